"""The points API: the year's table (the CLI's JSON), one member's points, the ledger (awards, reversals), claims
and their approval, specials — scoped (a member sees only themself; outsiders get 404/403); bad input
changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.meetings import services as meetings
from dangjian.meetings.models import ActivityKind, ActivityStatus, AttendanceStatus
from dangjian.points import services
from dangjian.points.models import ClaimStatus, EntrySource, PointClaim, PointEntry
from dangjian.points.selectors import to_json, year_table

YEAR = timezone.localdate().year - 1  # a whole past year: every date and quarter of it may be scored
TABLE = "/api/points"


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


@pytest.fixture(name="ledger")
def ledger_fixture(world):
    """B1: 李党员 (member) 31 = duty 13 + service 2 + discipline 8 + the special's 8 (80 × 0.10), absent once
    (−2 → 参加组织活动 floored at 0); 张书记 (sec_member) 21 = attended once 1 + duty 10 + discipline 10.
    B2: 王机关 25 = duty 15 + discipline 10. One pending claim of 李党员."""
    w = world
    w.theme_day = meetings.activity_create(actor=w.admin, org=w.b1, kind=ActivityKind.THEME_DAY, code="ZT-1",
                                           title="主题党日", starts_at=at(dt.date(YEAR, 3, 10)),
                                           status=ActivityStatus.HELD)
    meetings.attendance_save(actor=w.admin, activity=w.theme_day, marks={
        w.sec_member.pk: (AttendanceStatus.PRESENT, ""), w.member.pk: (AttendanceStatus.ABSENT, "")})
    services.accrue(root=w.root, year=YEAR)
    services.score_set(actor=w.sec1, member=w.member, rule="duty_score", slot=f"{YEAR}-Q1", points="12")
    services.score_set(actor=w.sec1, member=w.member, rule="duty_score", slot=f"{YEAR}-Q2", points="14")
    services.score_set(actor=w.orgadmin, member=w.sec_member, rule="duty_score", slot=f"{YEAR}-Q1", points="10")
    services.score_set(actor=w.outsider, member=w.b2_member, rule="duty_score", slot=f"{YEAR}-Q1", points="15")
    w.deduction = services.entry_award(actor=w.sec1, member=w.member, rule="discipline_deduct", points="-2",
                                       occurred_on=dt.date(YEAR, 4, 2), reason="上班期间擅离岗位")
    claim = services.claim_create(actor=w.member1, member=w.member, rule="service_declared", points="2",
                                  occurred_on=dt.date(YEAR, 5, 6), reason="参加社区义务劳动")
    w.approved = services.claim_decide(actor=w.sec1, claim=claim, approve=True, note="同意")
    w.pending = services.claim_create(actor=w.member1, member=w.member, rule="service_declared", points="1",
                                      occurred_on=dt.date(YEAR, 7, 1), reason="义务维修")
    w.special = services.special_create(
        actor=w.orgadmin, org=w.root, name=f"{YEAR}年“安全生产月”劳动竞赛", starts_on=dt.date(YEAR, 6, 1),
        ends_on=dt.date(YEAR, 6, 30), weight="0.10", max_points="100",
        rules=[{"code": "contest", "name": "竞赛评分", "kind": "manual", "range": [0, 100]}])
    services.entry_award(actor=w.sec1, member=w.member, rule="contest", points="80", occurred_on=dt.date(YEAR, 6, 30),
                         reason="竞赛综合评分", assessment=w.special)
    return w


def members_of(data: dict) -> dict[str, tuple]:
    return {m["name"]: (m["total"], m["grade"], m["rank"]) for m in data["members"]}


# --- the table ------------------------------------------------------------------------------------------


def test_table_is_the_selectors_json(ledger, client):
    client.force_login(ledger.orgadmin)
    response = client.get(TABLE, {"org": "ROOT", "year": YEAR})
    assert response.status_code == 200
    data = response.json()
    assert data == to_json(year_table(ledger.root, YEAR))
    assert members_of(data) == {"李党员": (31, "不合格", 1), "王机关": (25, "不合格", 2), "张书记": (21, "不合格", 3)}
    li = next(m for m in data["members"] if m["name"] == "李党员")
    assert li["categories"]["参加组织活动"] == 0 and li["categories"]["履行岗位职责"] == 13
    assert li["categories"]["遵守道德纪律"] == 8 and li["categories"]["服务职工群众"] == 2
    assert li["id_masked"].count("*") == 10 and data["org"]["code"] == "ROOT" and data["year"] == YEAR
    assert data["pack"]["code"] == "points-default" and data["grade_counts"] == {"优秀": 0, "合格": 0, "不合格": 3}


def test_table_filters(ledger, client):
    client.force_login(ledger.admin)
    by_activity = client.get(TABLE, {"org": "B1", "year": YEAR, "category": "参加组织活动"}).json()
    assert [(m["name"], m["rank"]) for m in by_activity["members"]] == [("张书记", 1), ("李党员", 2)]
    assert by_activity["category"] == "参加组织活动"
    assert client.get(TABLE, {"org": "B1", "year": YEAR, "category": "activity"}).json() == by_activity
    quarter = client.get(TABLE, {"org": "B1", "year": YEAR, "period": f"{YEAR}-Q1"}).json()
    assert {m["name"]: m["grade"] for m in quarter["members"]} == {"李党员": None, "张书记": None}
    assert quarter["period"] == f"{YEAR}-Q1" and quarter["grade_counts"] == {}
    assert members_of(quarter)["张书记"][0] == 21  # 1 + 10 + discipline 10 (caps still apply)


@pytest.mark.parametrize("params, field, words", [
    ({"period": "2020-Q1"}, "period", "无效"),
    ({"period": "Q5"}, "period", "无效"),
    ({"category": "唱歌"}, "category", "积分类别“唱歌”不存在"),
    ({"year": "1999"}, "year", "应不小于"),
    ({"year": "abc"}, "year", "应为整数"),
])
def test_table_bad_filters(ledger, client, params, field, words):
    client.force_login(ledger.admin)
    response = client.get(TABLE, {"org": "B1", "year": YEAR, **params})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == field and words in error["message"]


@pytest.mark.parametrize("who, org, status", [
    ("admin", "ROOT", 200), ("orgadmin", "B2", 200), ("zz_admin", "B1", 200), ("zz_admin", "ROOT", 404),
    ("sec1", "B1", 200), ("sec1", "ROOT", 404), ("sec1", "B2", 404), ("outsider", "B1", 404),
    ("member1", "B1", 404), ("admin", "NOPE", 404),
])
def test_table_scoping(ledger, client, who, org, status):
    client.force_login(getattr(ledger, who))
    assert client.get(TABLE, {"org": org, "year": YEAR}).status_code == status


def test_login_required(ledger, client):
    assert client.get(TABLE, {"org": "B1", "year": YEAR}).status_code == 401
    assert client.get(f"/api/points/members/{ledger.member.pk}", {"year": YEAR}).status_code == 401
    assert client.post("/api/points/claims", {}, content_type="application/json").status_code == 401


# --- one member -----------------------------------------------------------------------------------------


def test_member_sees_their_own_points(ledger, client):
    client.force_login(ledger.member1)
    response = client.get(f"/api/points/members/{ledger.member.pk}", {"year": YEAR})
    assert response.status_code == 200
    data = response.json()
    assert (data["total"], data["grade"], data["rank_in_branch"], data["branch_size"]) == (31, "不合格", 1, 2)
    cats = {c["name"]: c for c in data["categories"]}
    assert cats["参加组织活动"]["raw"] == -2 and cats["参加组织活动"]["value"] == 0
    assert cats["参加组织活动"]["cut"] == -2  # what the floor lifted
    assert cats["完成指标任务"]["missing"] == "完成指标任务：本年尚未评分"
    assert data["specials"] == [{"id": ledger.special.pk, "name": ledger.special.name, "result": 80, "weight": 0.1,
                                 "contribution": 8}]
    assert [m["month"] for m in data["months"]][:2] == [f"{YEAR}-01", f"{YEAR}-02"] and len(data["months"]) == 12
    months = {m["month"]: m["points"] for m in data["months"]}
    assert months[f"{YEAR}-03"] == 10 and months[f"{YEAR}-04"] == -2  # Q1's score dated 31 March, the absence
    entries = data["entries"]
    assert entries["total"] == 6 and entries["items"][0]["occurred_on"] == f"{YEAR}-06-30"
    deduction = next(e for e in entries["items"] if e["rule"] == "discipline_deduct")
    assert deduction["rule_name"] == "违反道德纪律扣分" and deduction["category_name"] == "遵守道德纪律"
    assert deduction["reason"] == "上班期间擅离岗位" and deduction["points"] == -2 and deduction["source"] == "评分"
    absent = next(e for e in entries["items"] if e["rule"] == "attend_absent")
    assert absent["activity"]["code"] == "ZT-1" and absent["source"] == "自动"
    declared = next(e for e in entries["items"] if e["rule"] == "service_declared")
    assert declared["approved_by"] == "sec1" and declared["claim_id"] == ledger.approved.pk
    assert {c["status"] for c in data["claims"]} == {"approved", "pending"}
    paged = client.get(f"/api/points/members/{ledger.member.pk}", {"year": YEAR, "limit": 2, "offset": 5}).json()
    assert paged["entries"]["total"] == 6 and len(paged["entries"]["items"]) == 1


@pytest.mark.parametrize("who, whom, status", [
    ("member1", "sec_member", 404), ("outsider", "member", 404), ("sec1", "member", 200),
    ("zz_admin", "b2_member", 404), ("orgadmin", "b2_member", 200),
])
def test_member_points_scoping(ledger, client, who, whom, status):
    client.force_login(getattr(ledger, who))
    assert client.get(f"/api/points/members/{getattr(ledger, whom).pk}", {"year": YEAR}).status_code == status


# --- the ledger -----------------------------------------------------------------------------------------


def test_entries_are_scoped(ledger, client):
    client.force_login(ledger.member1)
    mine = client.get("/api/points/entries", {"year": YEAR}).json()
    assert mine["total"] == 6 and {e["member"]["name"] for e in mine["items"]} == {"李党员"}
    assert client.get("/api/points/entries", {"member": ledger.sec_member.pk}).status_code == 404
    client.force_login(ledger.sec1)
    branch = client.get("/api/points/entries", {"year": YEAR}).json()
    assert {e["member"]["name"] for e in branch["items"]} == {"李党员", "张书记"}
    assert client.get("/api/points/entries", {"org": "B2"}).status_code == 404
    client.force_login(ledger.admin)
    b2 = client.get("/api/points/entries", {"org": "B2", "year": YEAR}).json()
    assert [e["member"]["name"] for e in b2["items"]] == ["王机关"]
    assert client.get("/api/points/entries", {"year": YEAR + 1}).json()["total"] == 0
    absences = client.get("/api/points/entries", {"rule": "attend_absent"}).json()["items"]
    # Attendance pre-filled as absent and then corrected: the correction is a reversing entry.
    assert sorted((e["member"]["name"], e["points"], e["reverses"] is not None) for e in absences) == [
        ("张书记", -2, False), ("张书记", 2, True), ("李党员", -2, False)]


def test_officer_awards_and_reverses(ledger, client):
    client.force_login(ledger.sec1)
    body = {"member_id": ledger.member.pk, "rule": "discipline_deduct", "points": -1.5,
            "occurred_on": f"{YEAR}-08-01", "reason": "酒后驾驶"}
    response = client.post("/api/points/entries", body, content_type="application/json")
    assert response.status_code == 201
    entry = response.json()
    assert entry["points"] == -1.5 and entry["created_by"] == "sec1" and entry["reason"] == "酒后驾驶"
    response = client.post(f"/api/points/entries/{entry['id']}/reverse", {"reason": "误录"},
                           content_type="application/json")
    assert response.status_code == 201
    reversal = response.json()
    assert reversal["points"] == 1.5 and reversal["reverses"] == entry["id"] and reversal["reason"] == "误录"
    again = client.post(f"/api/points/entries/{entry['id']}/reverse", {"reason": "再冲一次"},
                        content_type="application/json")
    assert again.status_code == 422 and again.json()["detail"][0]["message"] == "该积分记录已被冲销"
    listed = client.get("/api/points/entries", {"member": ledger.member.pk, "rule": "discipline_deduct"}).json()
    reversed_entry = next(e for e in listed["items"] if e["id"] == entry["id"])
    assert reversed_entry["reversed_by"] == reversal["id"]
    assert year_table(ledger.b1, YEAR).by_member[ledger.member.pk].total == Decimal("31")  # back where it was


@pytest.mark.parametrize("changes, field, words", [
    ({"reason": ""}, "reason", "请填写奖励或扣分的事由"),
    ({"points": -11}, "points", "应在-10至-0.5之间"),
    ({"rule": "attend_present"}, "rule", "自动计分"),
    ({"rule": "duty_score"}, "rule", "请在评分表中录入"),
    ({"rule": "nope"}, "rule", "积分规则“nope”不存在"),
    ({"occurred_on": "2099-01-01"}, "occurred_on", "不能晚于今天"),
    ({"occurred_on": "01/08/2025"}, "occurred_on", "日期格式"),
    ({"colour": "red"}, "colour", "不支持此字段"),
])
def test_bad_award_changes_nothing(ledger, client, changes, field, words):
    client.force_login(ledger.sec1)
    before = PointEntry.objects.count()
    body = {"member_id": ledger.member.pk, "rule": "discipline_deduct", "points": -1,
            "occurred_on": f"{YEAR}-08-01", "reason": "迟到", **changes}
    response = client.post("/api/points/entries", body, content_type="application/json")
    assert response.status_code == 422
    assert any(e["field"] == field and words in e["message"] for e in response.json()["detail"]), response.json()
    assert PointEntry.objects.count() == before


def test_who_may_award_and_reverse(ledger, client):
    body = {"member_id": ledger.member.pk, "rule": "discipline_deduct", "points": -1,
            "occurred_on": f"{YEAR}-08-01", "reason": "迟到"}
    before = PointEntry.objects.count()
    client.force_login(ledger.member1)  # the member themself: visible, not allowed
    assert client.post("/api/points/entries", body, content_type="application/json").status_code == 403
    assert client.post(f"/api/points/entries/{ledger.deduction.pk}/reverse", {"reason": "不服"},
                       content_type="application/json").status_code == 403
    client.force_login(ledger.outsider)  # another branch's secretary: not even visible
    assert client.post("/api/points/entries", body, content_type="application/json").status_code == 404
    assert client.post(f"/api/points/entries/{ledger.deduction.pk}/reverse", {"reason": "x"},
                       content_type="application/json").status_code == 404
    assert PointEntry.objects.count() == before
    client.force_login(ledger.sec1)  # automatic entries follow their records
    auto = PointEntry.objects.filter(source=EntrySource.AUTO, reverses__isnull=True, reversed_by__isnull=True).first()
    response = client.post(f"/api/points/entries/{auto.pk}/reverse", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 422 and "原始记录" in response.json()["detail"][0]["message"]


# --- claims ---------------------------------------------------------------------------------------------


def test_member_declares_and_the_secretary_decides(ledger, client):
    client.force_login(ledger.member1)
    response = client.post("/api/points/claims", {"rule": "service_declared", "points": 1.5,
                                                   "occurred_on": f"{YEAR}-09-09", "reason": "为老人讲解防诈骗"},
                           content_type="application/json")
    assert response.status_code == 201
    claim = response.json()
    assert (claim["status"], claim["status_label"], claim["member"]["name"]) == ("pending", "待审批", "李党员")
    assert claim["rule_name"] == "其他服务职工群众事项" and claim["points"] == 1.5
    mine = client.get("/api/points/claims").json()
    assert mine["total"] == 3 and [c["status"] for c in mine["items"]][:2] == ["pending", "pending"]
    assert client.post(f"/api/points/claims/{claim['id']}/decide", {"approve": True},
                       content_type="application/json").status_code == 403  # not on one's own claim

    client.force_login(ledger.sec1)
    queue = client.get("/api/points/claims", {"status": "待审批"}).json()
    assert {c["id"] for c in queue["items"]} == {claim["id"], ledger.pending.pk}
    rejected = client.post(f"/api/points/claims/{ledger.pending.pk}/decide", {"approve": False},
                           content_type="application/json")
    assert rejected.status_code == 422 and rejected.json()["detail"][0]["field"] == "note"
    rejected = client.post(f"/api/points/claims/{ledger.pending.pk}/decide",
                           {"approve": False, "note": "属于本职工作"}, content_type="application/json").json()
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "属于本职工作"
    assert rejected["entry_id"] is None and rejected["decided_by"] == "sec1"
    approved = client.post(f"/api/points/claims/{claim['id']}/decide", {"approve": True, "note": "同意"},
                           content_type="application/json").json()
    assert approved["status"] == "approved" and approved["entry_id"] is not None
    entry = PointEntry.objects.get(pk=approved["entry_id"])
    assert entry.source == EntrySource.DECLARED and entry.points == Decimal("1.5")
    again = client.post(f"/api/points/claims/{claim['id']}/decide", {"approve": False, "note": "改主意"},
                        content_type="application/json")
    assert again.status_code == 422 and "不能重复审批" in again.json()["detail"][0]["message"]
    assert client.get(f"/api/points/claims/{claim['id']}").json()["status"] == "approved"


def test_claims_are_scoped(ledger, client):
    client.force_login(ledger.outsider)
    assert client.get("/api/points/claims").json()["total"] == 0
    assert client.get(f"/api/points/claims/{ledger.pending.pk}").status_code == 404
    assert client.post(f"/api/points/claims/{ledger.pending.pk}/decide", {"approve": True},
                       content_type="application/json").status_code == 404
    response = client.post("/api/points/claims", {"member_id": ledger.member.pk, "rule": "service_declared",
                                                  "points": 1, "occurred_on": f"{YEAR}-09-09", "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404
    client.force_login(ledger.member1)
    response = client.post("/api/points/claims", {"member_id": ledger.sec_member.pk, "rule": "service_declared",
                                                  "points": 1, "occurred_on": f"{YEAR}-09-09", "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404
    assert PointClaim.objects.filter(status=ClaimStatus.PENDING).count() == 1


@pytest.mark.parametrize("changes, field, words", [
    ({"rule": "discipline_deduct"}, "rule", "不是可申报的积分项目"),
    ({"points": 6}, "points", "应在0.5至5之间"),
    ({"reason": " "}, "reason", "请填写申报事由"),
    ({"status": "approved"}, "status", "不支持此字段"),
])
def test_bad_claim_changes_nothing(ledger, client, changes, field, words):
    client.force_login(ledger.member1)
    before = PointClaim.objects.count()
    body = {"rule": "service_declared", "points": 1, "occurred_on": f"{YEAR}-09-09", "reason": "义务劳动", **changes}
    response = client.post("/api/points/claims", body, content_type="application/json")
    assert response.status_code == 422
    assert any(e["field"] == field and words in e["message"] for e in response.json()["detail"]), response.json()
    assert PointClaim.objects.count() == before


def test_user_without_member_names_the_member(ledger, client):
    client.force_login(ledger.orgadmin)
    response = client.post("/api/points/claims", {"rule": "service_declared", "points": 1,
                                                  "occurred_on": f"{YEAR}-09-09", "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "member_id"


# --- specials -------------------------------------------------------------------------------------------


def test_specials(ledger, client):
    client.force_login(ledger.member1)  # a special of the group applies to its members: they see it
    data = client.get("/api/points/specials").json()
    assert data["total"] == 1
    [special] = data["items"]
    assert special["name"] == ledger.special.name and special["weight"] == 0.1 and special["max_points"] == 100
    assert special["org"] == "ROOT" and special["rules"][0]["code"] == "contest"
    assert client.get("/api/points/specials", {"year": YEAR + 1}).json()["total"] == 0
    client.force_login(ledger.zz_admin)
    assert client.get("/api/points/specials", {"year": YEAR}).json()["total"] == 1


def test_lists_take_a_constant_number_of_queries(ledger, client):
    """Entries and claims of many members and branches: the same number of queries for 1 row or 20."""
    client.force_login(ledger.admin)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"limit": 200}).status_code == 200
        return len(ctx.captured_queries)

    before = (queries("/api/points/entries"), queries("/api/points/claims"))
    for i in range(10):
        for member in (ledger.sec_member, ledger.b2_member):
            services.entry_award(actor=ledger.admin, member=member, rule="discipline_deduct", points="-0.5",
                                 occurred_on=dt.date(YEAR, 10, 1 + i), reason=f"迟到第{i + 1}次")
            services.claim_create(actor=ledger.admin, member=member, rule="service_declared", points="1",
                                  occurred_on=dt.date(YEAR, 10, 1 + i), reason=f"义务劳动第{i + 1}次")
    assert (queries("/api/points/entries"), queries("/api/points/claims")) == before
