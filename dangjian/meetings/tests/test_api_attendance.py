"""PUT /api/activities/{id}/attendance: by member id or 身份证号, Chinese or stored values, validation, roles."""

import datetime as dt

import pytest

from dangjian.core.models import AuditEntry
from dangjian.meetings.models import ActivityKind, ActivityStatus, Attendance, AttendanceStatus

from . import test_documents as shared
from .test_documents import YEAR, at, make

# Fixtures shared with test_documents.py.
people, templates = shared.people, shared.templates


@pytest.fixture
def meeting(world, templates, people):
    """A held 支部委员会 of B1 (张书记 and 赵委员 expected, both prefilled as 缺席)."""
    return make(world, ActivityKind.COMMITTEE_MEETING, at(dt.date(YEAR, 6, 3)), title="六月支委会")


def put(client, user, activity, rows):
    client.force_login(user)
    return client.put(f"/api/activities/{activity.pk}/attendance", rows, content_type="application/json")


def errors(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    out: dict[str, list[str]] = {}
    for e in response.json()["detail"]:
        out.setdefault(e["field"], []).append(e["message"])
    return out


def statuses(activity) -> dict[str, tuple[str, str]]:
    return {a.member.name: (a.status, a.reason) for a in Attendance.objects.filter(activity=activity)
            .select_related("member")}


def test_put_attendance(world, meeting, people, client):
    assert statuses(meeting) == {"张书记": ("absent", ""), "赵委员": ("absent", "")}
    response = put(client, world.sec1, meeting, [
        {"member_id": people.zhang.pk, "status": "出席"},
        {"id_number": people.zhao.id_number.lower(), "status": "leave", "reason": "外出培训"},
    ])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["attendance_counts"] == {"present": 1, "leave": 1, "absent": 0}
    assert body["quorum"]["met"] is False  # 1 of 2 is not more than half
    assert statuses(meeting) == {"张书记": ("present", ""), "赵委员": ("leave", "外出培训")}
    body = put(client, world.sec1, meeting, [{"member_id": people.zhao.pk, "status": "出席"}]).json()
    assert body["quorum"]["met"] is True and body["attendance_counts"]["present"] == 2
    entries = AuditEntry.objects.filter(object_id=str(meeting.pk), action="update", source="api")
    assert entries.count() == 2


def test_a_guest_from_the_branch_can_be_added(world, meeting, people, client):
    body = put(client, world.sec1, meeting, [{"member_id": people.li.pk, "status": "出席"}]).json()
    guest = next(r for r in body["attendance"] if r["name"] == "李党员")
    assert guest["expected"] is False and guest["status"] == "出席"
    assert body["quorum"]["attended"] == 0  # a guest does not count towards the quorum


@pytest.mark.parametrize("rows, field, message", [
    ([{"member_id": "ZHANG", "status": "出席"}], "0.member_id", "应为整数"),
    ([{"status": "出席"}], "0.member_id", "请填写人员id或身份证号"),
    ([{"member_id": 999999, "status": "出席"}], "0.member_id", "人员id 999999 不存在或不在您的管理范围内"),
    ([{"id_number": "110101199001011237", "status": "出席"}], "0.id_number", "身份证号为1101"),
    ([{"member_id": "{zhang}", "status": "迟到"}], "0.status", "出勤情况“迟到”无效，应为：出席/请假/缺席"),
    ([{"member_id": "{zhang}", "status": "请假"}], "attendance", "请假须说明原因"),
    ([{"member_id": "{zhang}", "status": "出席"}, {"member_id": "{zhang}", "status": "缺席"}], "1.member_id",
     "同一人员在名单中重复出现"),
    ([{"member_id": "{zhang}", "status": "出席", "late": True}], "0.late", "不支持此字段"),
    ({"member_id": 1}, "payload", "应为列表"),
])
def test_validation(world, meeting, people, client, rows, field, message):
    if isinstance(rows, list):
        rows = [{k: (people.zhang.pk if v == "{zhang}" else v) for k, v in r.items()} for r in rows]
    found = errors(put(client, world.sec1, meeting, rows))
    assert any(message in m for m in found.get(field, [])), found
    assert statuses(meeting) == {"张书记": ("absent", ""), "赵委员": ("absent", "")}


def test_member_of_another_branch_is_out_of_reach(world, meeting, client):
    found = errors(put(client, world.sec1, meeting, [{"id_number": world.b2_member.id_number, "status": "出席"}]))
    assert "0.id_number" in found
    assert world.b2_member.id_number not in str(found)  # the number is masked in the message


@pytest.mark.parametrize("who, status", [("member1", 404), ("outsider", 404), ("orgadmin", 200)])
def test_permissions(world, meeting, people, client, who, status):
    """李党员 is not on the committee: he does not see its meeting at all."""
    response = put(client, getattr(world, who), meeting, [{"member_id": people.zhang.pk, "status": "出席"}])
    assert response.status_code == status
    assert statuses(meeting)["张书记"][0] == ("present" if status == 200 else "absent")


def test_member_may_not_even_mark_themself(world, templates, people, client):
    assembly = make(world, ActivityKind.BRANCH_ASSEMBLY, at(dt.date(YEAR, 6, 9)))
    response = put(client, world.member1, assembly, [{"member_id": people.li.pk, "status": "出席"}])
    assert response.status_code == 403


def test_archived_record_is_final(world, meeting, people, client):
    from dangjian.meetings import services

    services.activity_update(actor=None, activity=meeting, minutes="记录")
    services.activity_advance(actor=None, activity=meeting, to=ActivityStatus.ARCHIVED)
    found = errors(put(client, world.sec1, meeting, [{"member_id": people.zhang.pk, "status": "出席"}]))
    assert found == {"attendance": ["已归档的记录不能再修改出勤"]}
    assert Attendance.objects.filter(activity=meeting, status=AttendanceStatus.PRESENT).count() == 0
