"""The member's own view: upcoming activities, this year's attendance, and leave requests."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.meetings import services
from dangjian.meetings.leave import leave_request_submit
from dangjian.meetings.models import ActivityKind, ActivityStatus, Attendance, AttendanceStatus

from .test_month import templates  # noqa: F401  (the fixture)


def make(org, kind, starts_at, status=ActivityStatus.PLANNED, **kw):
    return services.activity_create(actor=None, org=org, kind=kind, title=f"{ActivityKind(kind).label}（测试）",
                                    starts_at=starts_at, status=status, **kw)


@pytest.fixture
def soon():
    return timezone.now() + dt.timedelta(days=3)


@pytest.fixture
def assembly(world, templates, soon):  # noqa: F811
    """A 支部党员大会 of B1 in three days; member1 is expected (prefilled 缺席)."""
    return make(world.b1, "branch_assembly", soon)


def row(activity, member):
    return Attendance.objects.get(activity=activity, member=member)


# --- my_activities --------------------------------------------------------------------------------------------

def test_member_sees_upcoming_activities_with_a_leave_button(world, login, assembly):
    response = login(world.member1).get(reverse("my_activities"))
    assert response.status_code == 200
    items = response.context["items"]
    assert [i["activity"] for i in items] == [assembly]
    assert items[0]["expected"] and items[0]["can_leave"]
    assert reverse("leave_request", args=[assembly.pk]) in response.content.decode()


def test_planned_activity_of_my_group_without_a_row_is_listed(world, login, templates, soon):  # noqa: F811
    meeting = make(world.g1, "group_meeting", soon, prefill_attendance=False)
    items = login(world.sec1).get(reverse("my_activities")).context["items"]
    assert [(i["activity"], i["expected"], i["can_leave"]) for i in items] == [(meeting, False, True)]


def test_committee_meeting_is_not_listed_for_a_plain_member(world, login, templates, soon):  # noqa: F811
    make(world.b1, "committee_meeting", soon)
    assert login(world.member1).get(reverse("my_activities")).context["items"] == []
    assert len(login(world.sec1).get(reverse("my_activities")).context["items"]) == 1  # the secretary sits on it


def test_other_branches_and_past_activities_are_not_upcoming(world, login, templates, soon):  # noqa: F811
    make(world.b2, "branch_assembly", soon)
    make(world.b1, "branch_assembly", timezone.now() - dt.timedelta(days=3))
    assert login(world.member1).get(reverse("my_activities")).context["items"] == []


def test_attendance_record_of_the_year(world, login, templates):  # noqa: F811
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(today.replace(day=1, month=1), dt.time(9), tzinfo=tz)
    held = make(world.b1, "branch_assembly", start, ActivityStatus.HELD)
    services.attendance_save(actor=None, activity=held, marks={world.member.pk: (AttendanceStatus.PRESENT, "")})
    absent = make(world.b1, "branch_assembly", start + dt.timedelta(hours=1), ActivityStatus.HELD)
    make(world.b1, "branch_assembly", start + dt.timedelta(hours=2))  # planned: not on the record
    last_year = make(world.b1, "branch_assembly", start - dt.timedelta(days=2), ActivityStatus.HELD)
    response = login(world.member1).get(reverse("my_activities"))
    assert [r.activity for r in response.context["record"]] == [absent, held]
    assert response.context["tally"] == [("出席", "present", 1), ("请假", "leave", 0), ("缺席", "absent", 1)]
    assert response.context["rate"] == 0.5
    assert last_year not in [r.activity for r in response.context["record"]]


def test_user_without_member_link_gets_a_friendly_message(world, login, templates):  # noqa: F811
    response = login(world.orgadmin).get(reverse("my_activities"))
    assert response.status_code == 200
    assert "您的账号还没有关联党员信息" in response.content.decode()


# --- leave requests -------------------------------------------------------------------------------------------

def test_leave_request_for_an_upcoming_activity(world, login, assembly):
    client = login(world.member1)
    url = reverse("leave_request", args=[assembly.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "  当天出差在外  "})
    assert response.status_code == 302 and response.url == reverse("my_activities")
    r = row(assembly, world.member)
    assert (r.status, r.reason, r.requested_by_member) == (AttendanceStatus.LEAVE, "当天出差在外", True)
    entry = AuditEntry.objects.filter(object_type="activity", object_id=str(assembly.pk)).latest("id")
    assert entry.actor == world.member1
    assert entry.before["attendance"] == {str(world.member.pk): "absent"}
    assert entry.after == {"attendance": {str(world.member.pk): "leave"}, "reason": "当天出差在外",
                           "requested_by_member": True}
    listed = client.get(reverse("my_activities")).content.decode()
    assert "已请假" in listed and "当天出差在外" in listed and "修改请假" in listed


def test_leave_request_needs_a_reason(world, login, assembly):
    response = login(world.member1).post(reverse("leave_request", args=[assembly.pk]), {"reason": "   "})
    assert response.status_code == 400
    assert "请填写请假原因" in response.content.decode()
    assert row(assembly, world.member).status == AttendanceStatus.ABSENT


def test_leave_request_reason_too_long(world, login, assembly):
    response = login(world.member1).post(reverse("leave_request", args=[assembly.pk]), {"reason": "长" * 201})
    assert response.status_code == 400
    assert row(assembly, world.member).status == AttendanceStatus.ABSENT


@pytest.mark.parametrize("case", ["held", "past"])
def test_leave_refused_for_held_or_past_activities(world, login, templates, case):  # noqa: F811
    if case == "held":
        activity = make(world.b1, "branch_assembly", timezone.now() - dt.timedelta(hours=2), ActivityStatus.HELD)
        message = "该活动已召开，不能再请假"
    else:
        activity = make(world.b1, "branch_assembly", timezone.now() - dt.timedelta(hours=2))
        message = "活动已经开始，不能再在线请假"
    client = login(world.member1)
    url = reverse("leave_request", args=[activity.pk])
    page = client.get(url)
    assert page.status_code == 200 and message in page.content.decode() and "提交请假" not in page.content.decode()
    response = client.post(url, {"reason": "有事"})
    assert response.status_code == 400 and message in response.content.decode()
    assert row(activity, world.member).status == AttendanceStatus.ABSENT
    assert not AuditEntry.objects.filter(object_type="activity", object_id=str(activity.pk),
                                         action="update").exists()


def test_leave_refused_where_not_expected(world, login, templates, soon):  # noqa: F811
    meeting = make(world.b1, "committee_meeting", soon)  # member1 is not on the committee
    response = login(world.member1).post(reverse("leave_request", args=[meeting.pk]), {"reason": "有事"})
    assert response.status_code == 400
    assert "您不在本次活动的应到人员中" in response.content.decode()
    assert not Attendance.objects.filter(activity=meeting, member=world.member).exists()


def test_leave_for_an_expected_member_without_a_row_creates_one(world, login, templates, soon):  # noqa: F811
    meeting = make(world.g1, "group_meeting", soon, prefill_attendance=False)
    response = login(world.sec1).post(reverse("leave_request", args=[meeting.pk]), {"reason": "值班"})
    assert response.status_code == 302
    assert row(meeting, world.sec_member).status == AttendanceStatus.LEAVE


def test_someone_elses_activity_is_404(world, login, templates, soon):  # noqa: F811
    other_branch = make(world.b2, "branch_assembly", soon)
    other_group = make(world.g1, "group_meeting", soon)  # member1 is in no group
    client = login(world.member1)
    for activity in (other_branch, other_group):
        assert client.get(reverse("leave_request", args=[activity.pk])).status_code == 404
        assert client.post(reverse("leave_request", args=[activity.pk]), {"reason": "x"}).status_code == 404
    assert client.get(reverse("leave_request", args=[999999])).status_code == 404
    assert login(world.outsider).get(reverse("leave_request", args=[other_group.pk])).status_code == 404


def test_leave_page_for_a_user_without_member_link(world, login, assembly):
    response = login(world.orgadmin).post(reverse("leave_request", args=[assembly.pk]), {"reason": "x"})
    assert response.status_code == 200
    assert "只有关联了党员信息的账号才能在线请假" in response.content.decode()
    assert not Attendance.objects.filter(activity=assembly, status=AttendanceStatus.LEAVE).exists()


def test_service_only_for_oneself_and_audited_once(world, assembly):
    with pytest.raises(PermissionDenied):
        leave_request_submit(actor=world.sec1, activity=assembly, member=world.member, reason="代请")
    with pytest.raises(ValidationError):
        leave_request_submit(actor=world.member1, activity=assembly, member=world.member, reason="")
    leave_request_submit(actor=world.member1, activity=assembly, member=world.member, reason="培训")
    assert row(assembly, world.member).reason == "培训"
    assert AuditEntry.objects.filter(object_type="activity", object_id=str(assembly.pk), action="update").count() == 1


def test_leave_refused_after_start_by_the_service(world, assembly):
    later = assembly.starts_at + dt.timedelta(minutes=1)
    with pytest.raises(ValidationError) as exc:
        leave_request_submit(actor=world.member1, activity=assembly, member=world.member, reason="x", now=later)
    assert "活动已经开始" in str(exc.value)
