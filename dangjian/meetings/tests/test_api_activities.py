"""/api/activities: list (filters, pagination, counts, quorum, constant queries), detail, create and update,
per role."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.meetings.models import Activity, ActivityKind, ActivityStatus, Attendance

from . import test_documents as shared
from .test_documents import YEAR, at, make, mark

# Fixtures shared with test_documents.py.
assembly, people, templates = shared.assembly, shared.people, shared.templates


def call(client, user, method: str, url: str, data=None):
    client.force_login(user)
    if method == "get":
        return client.get(url, data or {})
    return getattr(client, method)(url, data if data is not None else {}, content_type="application/json")


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    out: dict[str, list[str]] = {}
    for e in response.json()["detail"]:
        out.setdefault(e["field"], []).append(e["message"])
    return out


@pytest.fixture
def acts(world, assembly, people):
    """B1: the March assembly (held), a committee meeting in April (planned); G1: a group meeting in February
    (held); B2: an assembly in May (planned)."""

    class A:
        pass

    a = A()
    a.assembly = assembly
    a.committee = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, 4, 2)), status=ActivityStatus.PLANNED,
                       title="四月支委会")
    a.group = make(world, ActivityKind.GROUP_MEETING, at(dt.date(YEAR, 2, 12)), org=world.g1, title="二月小组会")
    mark(a.group, present=[people.zhang])
    a.b2 = make(world, ActivityKind.BRANCH_ASSEMBLY, at(dt.date(YEAR, 5, 6)), org=world.b2,
                status=ActivityStatus.PLANNED, title="机关党员大会")
    return a


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [i["title"] for i in response.json()["items"]]


# --- list ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, expected", [
    ("admin", ["机关党员大会", "四月支委会", "学习贯彻全会精神", "二月小组会"]),
    ("orgadmin", ["机关党员大会", "四月支委会", "学习贯彻全会精神", "二月小组会"]),
    ("zz_admin", ["四月支委会", "学习贯彻全会精神", "二月小组会"]),
    ("sec1", ["四月支委会", "学习贯彻全会精神", "二月小组会"]),
    ("outsider", ["机关党员大会"]),
    ("member1", ["学习贯彻全会精神"]),  # only what 李党员 is expected at
])
def test_list_is_scoped(world, acts, client, who, expected):
    response = call(client, getattr(world, who), "get", "/api/activities")
    assert titles(response) == expected
    assert response.json()["total"] == len(expected)


def test_list_item(world, acts, client):
    items = {i["title"]: i for i in call(client, world.sec1, "get", "/api/activities").json()["items"]}
    a = items["学习贯彻全会精神"]
    assert a["kind"] == "支部党员大会" and a["kind_value"] == "branch_assembly"
    assert a["org_code"] == "B1" and a["status"] == "已召开" and a["late_entry"] is True
    assert a["starts_at"] == f"{YEAR}-03-05T14:30:00+08:00"
    assert a["host"]["name"] == "张书记" and a["recorder"]["name"] == "赵委员" and a["lecturer"] is None
    assert a["attendance_counts"] == {"present": 3, "leave": 1, "absent": 1}
    assert a["quorum"]["met"] is True and a["quorum"]["base"] == 4 and a["quorum"]["expected"] == 5
    committee = items["四月支委会"]
    assert committee["attendance_counts"] == {"present": 0, "leave": 0, "absent": 2}
    assert committee["quorum"]["met"] is False and committee["quorum"]["required"] == 2
    assert items["二月小组会"]["quorum"]["met"] is None  # no quorum rule


@pytest.mark.parametrize("params, expected", [
    ({"org": "G1"}, ["二月小组会"]),
    ({"org": "B1", "kind": "支部委员会"}, ["四月支委会"]),
    ({"kind": "committee_meeting"}, ["四月支委会"]),
    ({"status": "已召开"}, ["学习贯彻全会精神", "二月小组会"]),
    ({"status": "planned"}, ["机关党员大会", "四月支委会"]),
    ({"from": f"{YEAR}-03-05", "to": f"{YEAR}-04-02"}, ["四月支委会", "学习贯彻全会精神"]),
    ({"to": f"{YEAR}-03-04"}, ["二月小组会"]),
])
def test_list_filters(world, acts, client, params, expected):
    assert titles(call(client, world.admin, "get", "/api/activities", params)) == expected


def test_list_pagination(world, acts, client):
    body = call(client, world.admin, "get", "/api/activities", {"limit": 2, "offset": 1}).json()
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 1)
    assert [i["title"] for i in body["items"]] == ["四月支委会", "学习贯彻全会精神"]


@pytest.mark.parametrize("params, field, message", [
    ({"kind": "党委会"}, "kind", "活动类型“党委会”无效"),
    ({"status": "取消"}, "status", "状态“取消”无效"),
    ({"from": "2025-02-30"}, "from", "日期格式应为YYYY-MM-DD"),
    ({"from": "2025-03-01", "to": "2025-02-01"}, "to", "结束日期早于开始日期"),
    ({"limit": 0}, "limit", "应不小于1"),
])
def test_list_validation(world, acts, client, params, field, message):
    found = errors(call(client, world.admin, "get", "/api/activities", params))
    assert any(m.startswith(message) for m in found[field]), found


@pytest.mark.parametrize("who", ["outsider", "member1"])
def test_list_org_outside_scope_is_404(world, acts, client, who):
    assert call(client, getattr(world, who), "get", "/api/activities", {"org": "B1"}).status_code == 404


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/activities", {"limit": 200})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_are_constant(world, acts, client, people):
    client.force_login(world.orgadmin)
    before = _list_queries(client)
    for month in range(6, 12):
        a = make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, month, 3)))
        mark(a, present=[people.zhang])
        make(world, ActivityKind.GROUP_MEETING, at(dt.date(YEAR, month, 9)), org=world.g1)
        make(world, ActivityKind.BRANCH_ASSEMBLY, at(dt.date(YEAR, month, 9)), org=world.b2)
    assert _list_queries(client) == before


# --- detail --------------------------------------------------------------------------------------


def test_detail_for_an_officer(world, acts, client, people):
    body = call(client, world.sec1, "get", f"/api/activities/{acts.assembly.pk}").json()
    assert body["minutes"].startswith("张书记传达了全会精神")
    rows = {r["name"]: r for r in body["attendance"]}
    assert set(rows) == {"张书记", "李党员", "赵委员", "钱党员", "孙预备"}
    assert rows["钱党员"]["status"] == "请假" and rows["钱党员"]["reason"] == "出差"
    assert rows["孙预备"]["status"] == "缺席" and rows["孙预备"]["expected"] is True
    assert body["quorum"]["explanation"].startswith("有表决权的应到人数4人")


def test_member_sees_only_their_own_row(world, acts, client):
    body = call(client, world.member1, "get", f"/api/activities/{acts.assembly.pk}").json()
    assert [r["name"] for r in body["attendance"]] == ["李党员"]
    assert body["attendance_counts"] == {"present": 3, "leave": 1, "absent": 1}


@pytest.mark.parametrize("who, status", [("outsider", 404), ("zz_admin", 200), ("member1", 404)])
def test_detail_scoping(world, acts, client, who, status):
    """A member of B1 who is not in G1 does not see G1's meetings (selectors.activities_for)."""
    assert call(client, getattr(world, who), "get", f"/api/activities/{acts.group.pk}").status_code == status


def test_detail_of_missing_activity(world, acts, client):
    response = call(client, world.admin, "get", "/api/activities/999999")
    assert response.status_code == 404 and response.json()["detail"] == "活动不存在或无权查看"


# --- create --------------------------------------------------------------------------------------


def payload(**extra) -> dict:
    return {"org_code": "B1", "kind": "支部委员会", "title": "研究发展党员", "starts_at": "2030-05-06T14:30:00",
            "ends_at": "2030-05-06T16:00:00+08:00", "place": "会议室", "agenda": "研究发展党员\n部署学习"} | extra


def test_create(world, templates, people, client):
    response = call(client, world.sec1, "post", "/api/activities",
                    payload(host_id=people.zhang.pk, recorder_id=people.zhao.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "支部委员会" and body["status"] == "计划"
    assert body["starts_at"] == "2030-05-06T14:30:00+08:00"  # no zone given: Beijing time
    assert body["code"] == "B1-20300506-01"
    assert body["host"]["name"] == "张书记"
    assert {r["name"]: r["status"] for r in body["attendance"]} == {"张书记": "缺席", "赵委员": "缺席"}
    activity = Activity.objects.get(pk=body["id"])
    assert activity.starts_at == dt.datetime(2030, 5, 6, 6, 30, tzinfo=dt.UTC)
    assert AuditEntry.objects.filter(object_id=str(activity.pk), action="create", source="api").exists()


def test_create_a_past_activity_as_held_is_a_late_entry(world, templates, people, client):
    response = call(client, world.sec1, "post", "/api/activities",
                    payload(kind="branch_assembly", status="已召开", starts_at="2025-01-10T09:00:00+08:00",
                            ends_at=None, prefill_attendance=False))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "已召开" and body["late_entry"] is True
    assert body["attendance_counts"]["absent"] == 5 and not any(r["recorded"] for r in body["attendance"])


@pytest.mark.parametrize("extra, field, message", [
    ({"title": "  "}, "title", "主题不能为空"),
    ({"kind": "党委会"}, "kind", "活动类型“党委会”无效"),
    ({"kind": "党小组会"}, "org_code", "党小组会应由党小组开展"),
    ({"org_code": "B2"}, "org_code", "组织“B2”不存在或不在您的管理范围内"),
    ({"ends_at": "2030-05-06T13:00:00+08:00"}, "ends_at", "结束时间早于开始时间"),
    ({"starts_at": "明天"}, "starts_at", "日期时间格式应为"),
    ({"status": "已归档"}, "status", "新建的活动不能直接归档"),
    ({"status": "已召开"}, "status", "活动尚未开始，不能标为已召开"),
    ({"host_id": 999999}, "host_id", "主持人（人员id 999999）不存在或不在您的管理范围内"),
    ({"tags": ["足球"]}, "tags", "“党建+”标签应为"),
    ({"colour": "red"}, "colour", "不支持此字段"),
])
def test_create_validation(world, templates, people, client, extra, field, message):
    response = call(client, world.sec1, "post", "/api/activities", payload(**extra))
    found = errors(response)
    assert any(m.startswith(message) for m in found.get(field, [])), found
    assert not Activity.objects.exists()


def test_create_missing_fields(world, templates, client):
    found = errors(call(client, world.sec1, "post", "/api/activities", {"org_code": "B1"}))
    assert found["kind"] == ["此项必填"] and found["title"] == ["此项必填"] and found["starts_at"] == ["此项必填"]


def test_host_from_another_branch_is_out_of_reach(world, templates, client):
    found = errors(call(client, world.sec1, "post", "/api/activities", payload(host_id=world.b2_member.pk)))
    assert "host_id" in found


def test_member_cannot_create(world, templates, client):
    response = call(client, world.member1, "post", "/api/activities", payload())
    assert response.status_code == 403 and "党员不能新建活动" in response.json()["detail"]


def test_create_needs_login(world, templates, client):
    assert client.post("/api/activities", payload(), content_type="application/json").status_code == 401


# --- update --------------------------------------------------------------------------------------


def test_update_and_advance(world, acts, client, people):
    url = f"/api/activities/{acts.committee.pk}"
    response = call(client, world.sec1, "patch", url, {"title": "四月支委会（改）", "recorder_id": people.zhao.pk,
                                                       "advance_to": "已通知"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "四月支委会（改）" and body["recorder"]["name"] == "赵委员" and body["status"] == "已通知"
    body = call(client, world.sec1, "patch", url, {"advance_to": "held"}).json()
    assert body["status"] == "已召开"
    found = errors(call(client, world.sec1, "patch", url, {"advance_to": "已归档"}))
    assert found == {"minutes": ["归档前须填写会议记录"]}
    body = call(client, world.sec1, "patch", url, {"minutes": "研究了发展党员工作。", "advance_to": "已归档"}).json()
    assert body["status"] == "已归档" and body["minutes"] == "研究了发展党员工作。"
    assert errors(call(client, world.sec1, "patch", url, {"place": "别处"})) == {"status": ["已归档的记录不能再修改"]}
    assert AuditEntry.objects.filter(object_id=str(acts.committee.pk), source="api").count() == 5


def test_a_failed_advance_changes_nothing(world, acts, client):
    url = f"/api/activities/{acts.committee.pk}"
    found = errors(call(client, world.sec1, "patch", url, {"title": "改了", "advance_to": "已归档"}))
    assert found == {"advance_to": ["不能从“计划”变为“已归档”"]}
    assert Activity.objects.get(pk=acts.committee.pk).title == "四月支委会"


@pytest.mark.parametrize("data, field, message", [
    ({"advance_to": "取消"}, "advance_to", "状态“取消”无效"),
    ({"title": None}, "title", "主题不能为空"),
    ({"starts_at": None}, "starts_at", "开始时间不能为空"),
    ({"lecturer_id": 999999}, "lecturer_id", "讲课人（人员id 999999）不存在"),
    ({"steps_done": ["不存在的步骤"]}, "steps_done", "勾选的步骤不在模板中"),
])
def test_update_validation(world, acts, client, data, field, message):
    found = errors(call(client, world.sec1, "patch", f"/api/activities/{acts.committee.pk}", data))
    assert any(m.startswith(message) for m in found.get(field, [])), found


@pytest.mark.parametrize("who, status", [("member1", 403), ("outsider", 404), ("zz_admin", 200)])
def test_update_permissions(world, acts, client, who, status):
    response = call(client, getattr(world, who), "patch", f"/api/activities/{acts.assembly.pk}", {"place": "礼堂"})
    assert response.status_code == status
    assert Activity.objects.get(pk=acts.assembly.pk).place == ("礼堂" if status == 200 else "三楼会议室，东侧")


def test_session_writes_need_csrf(world, acts):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.sec1)
    response = client.patch(f"/api/activities/{acts.committee.pk}", {"place": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert Attendance.objects.exists() and timezone.now()  # nothing else touched
