"""The facts loader on the database (constant queries) and the check_compliance command."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from conftest import make_id
from dangjian.compliance.facts import load_facts
from dangjian.meetings import services
from dangjian.meetings.models import ActivityKind, ActivityStatus, AttendanceStatus
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category, Organization, OrgKind


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


def held(w, org, kind, day, code, present=()):
    activity = services.activity_create(actor=w.admin, org=org, kind=kind, code=code, title=f"{code}会议",
                                        starts_at=at(day), status=ActivityStatus.HELD)
    if present:
        services.attendance_save(actor=w.admin, activity=activity,
                                 marks={m.pk: (AttendanceStatus.PRESENT, "") for m in present})
    return activity


@pytest.fixture
def records(world):
    w = world
    # B1 has 张书记 and 李党员 (full). An assembly with one of the two present: exactly half, not valid.
    w.half = held(w, w.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 3, 31), "DY-1", [w.sec_member])
    w.whole = held(w, w.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 6, 30), "DY-2", [w.sec_member, w.member])
    w.planned = services.activity_create(actor=w.admin, org=w.b1, kind=ActivityKind.BRANCH_ASSEMBLY, code="DY-3",
                                         title="计划中", starts_at=at(dt.date(2024, 9, 10)))
    return w


def test_facts_quorum_from_attendance_rows(records):
    facts = load_facts(records.root, 2024)
    by_code = {a.code: a for a in facts.activities}
    assert (by_code["DY-1"].quorum_base, by_code["DY-1"].quorum_present, by_code["DY-1"].quorum_met) == (2, 1, False)
    assert by_code["DY-2"].quorum_met is True
    assert by_code["DY-3"].held is False
    assert {o.code for o in facts.orgs} == {"ROOT", "ZZ", "B1", "G1", "B2"}
    assert {o.code: o.committee_posts for o in facts.orgs}["B1"] == 1
    assert {m.name for m in facts.members} == {"张书记", "李党员", "王机关"}
    # Only the months in which a member was absent at every held activity (March; in June 李党员 was present).
    assert {(r.activity_id, r.status) for r in facts.attendance if r.member_id == records.member.pk} == {
        (records.half.pk, "absent")}


def test_facts_of_a_subtree_only(records):
    facts = load_facts(records.b2, 2024)
    assert [o.code for o in facts.orgs] == ["B2"] and facts.activities == []
    assert [m.name for m in facts.members] == ["王机关"]


def _branches(w, n):
    for i in range(n):
        b = org_services.org_create(actor=None, parent=w.root, code=f"BX{i}", name=f"支部{i}", kind=OrgKind.BRANCH)
        b = Organization.objects.get(pk=b.pk)
        m = org_services.member_create(actor=None, id_number=make_id("19900101", 100 + i), name=f"党员{i}",
                                       category=Category.FULL, branch=b)
        held(w, b, ActivityKind.THEME_DAY, dt.date(2024, 5, 1), f"ZT-{i}", [m])


@pytest.mark.parametrize("n", [2, 20])
def test_facts_queries_constant(world, django_assert_num_queries, n):
    _branches(world, n)
    with django_assert_num_queries(6):
        facts = load_facts(world.root, 2024)
    assert len([a for a in facts.activities if a.kind == "theme_day"]) == n


def run_cli(*args):
    out = StringIO()
    call_command("check_compliance", *args, stdout=out)
    return out.getvalue()


def test_cli_json_shape(records):
    data = json.loads(run_cli("--org", "ROOT", "--year", "2024", "--as-of", "2025-01-01", "--json"))
    assert set(data) == {"org", "year", "as_of", "pack", "findings", "status"}
    assert (data["org"], data["year"], data["as_of"], data["pack"]) == ("ROOT", 2024, "2025-01-01", "zhibu-2018")
    for f in data["findings"]:
        assert set(f) >= {"rule", "org", "period", "activity", "member", "severity", "message"}
    quorum = [f for f in data["findings"] if f["rule"] == "ZB-DYDH-QUORUM"]
    assert [(q["org"], q["period"], q["activity"]) for q in quorum] == [("B1", "2024-03", "DY-1")]
    assembly = {f["period"] for f in data["findings"] if f["rule"] == "ZB-DYDH-QUARTERLY" and f["org"] == "B1"}
    assert assembly == {"2024-Q1", "2024-Q3", "2024-Q4"}  # Q1's failed its quorum; Q3's is only planned
    # B2 has no 成立日期 recorded: every period is judged.
    assert {f["period"] for f in data["findings"] if f["rule"] == "ZB-DYDH-QUARTERLY" and f["org"] == "B2"} == {
        "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"}
    assert ("B1", None) in {(f["org"], f["period"]) for f in data["findings"] if f["rule"] == "ZB-ORG-SIZE"}
    assert {s["colour"] for s in data["status"]} <= {"green", "amber", "red"}
    colours = {(s["org"], s["period"]): s["colour"] for s in data["status"]}
    assert colours[("B1", "2024-03")] == "red"  # the assembly without its quorum
    assert all(s["org"] != "ZZ" for s in data["status"])  # a 党总支 has no periodic rules


def test_cli_table_in_chinese(records):
    text = run_cli("--org", "B1", "--year", "2024", "--as-of", "2024-07-15")
    assert "规范化检查：装卸一队党支部（B1）" in text
    assert "ZB-DYDH-QUORUM" in text and "未超过半数" in text
    assert "本期尚未完成" in text


def test_cli_unknown_org(db):
    with pytest.raises(CommandError, match="组织编码“NOPE”不存在"):
        run_cli("--org", "NOPE", "--year", "2024")


def test_cli_unknown_org_exit_status(db, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exc:
        ManagementUtility(["manage.py", "check_compliance", "--org", "NOPE", "--year", "2024"]).execute()
    assert exc.value.code == 1
    assert "组织编码“NOPE”不存在" in capsys.readouterr().err


def test_cli_bad_date(db, world):
    with pytest.raises(CommandError, match="检查日期"):
        run_cli("--org", "ROOT", "--year", "2024", "--as-of", "2024-13-01")


def test_absence_run_across_years_through_cli(world):
    # 李党员 absent (prefilled 缺席) from every 主题党日 of B1 from 2023-08 to 2024-01; 张书记 present.
    months = [(2023, m) for m in range(8, 13)] + [(2024, 1), (2024, 2)]
    for i, (y, m) in enumerate(months):
        held(world, world.b1, ActivityKind.THEME_DAY, dt.date(y, m, 5), f"ZT-{i}", [world.sec_member])
    data = json.loads(run_cli("--org", "B1", "--year", "2024", "--as-of", "2024-03-01", "--json"))
    absent = [(f["period"], f["member"]) for f in data["findings"] if f["rule"] == "ZB-MEMBER-ABSENT-6M"]
    assert absent == [("2024-01", "李党员")]
    assert len([f for f in data["findings"] if f["rule"] == "ZB-MEMBER-ABSENT-6M"][0]["evidence"]) == 6


def test_facts_voting_quorum_counts_members_full_on_the_day(world):
    late = org_services.member_create(actor=None, id_number=make_id("19950101", 33), name="赵转正",
                                      category=Category.FULL, branch=world.b1, admitted_on=dt.date(2023, 4, 1),
                                      full_on=dt.date(2024, 4, 1))
    before = held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 3, 31), "DY-A", [world.sec_member, late])
    after = held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 4, 1), "DY-B", [world.sec_member, late])
    by_code = {a.code: a for a in load_facts(world.root, 2024).activities}
    # 赵转正 is not yet full on 31 March: voting members 2 (张书记 present, 李党员 absent), so exactly half.
    assert (by_code["DY-A"].quorum_base, by_code["DY-A"].quorum_present) == (2, 1)
    assert (by_code["DY-B"].quorum_base, by_code["DY-B"].quorum_present) == (3, 2)
    assert before.attendance.count() == after.attendance.count() == 3


def test_facts_absences_only_from_months_absent_throughout(world):
    a = held(world, world.b1, ActivityKind.THEME_DAY, dt.date(2024, 5, 5), "ZT-A", [world.sec_member])
    held(world, world.b1, ActivityKind.BRANCH_ASSEMBLY, dt.date(2024, 5, 31), "DY-A", [world.sec_member, world.member])
    b = held(world, world.b1, ActivityKind.THEME_DAY, dt.date(2024, 6, 1), "ZT-B", [world.sec_member])
    services.attendance_save(actor=world.admin, activity=b, marks={world.sec_member.pk: (AttendanceStatus.LEAVE, "出差")})
    rows = {(r.activity_id, r.member_id) for r in load_facts(world.root, 2024).attendance}
    # 李党员: absent at ZT-A but present at DY-A in May (no row), absent at ZT-B in June; 张书记 on leave in June.
    assert rows == {(b.pk, world.member.pk)} and a.pk not in {aid for aid, _ in rows}
