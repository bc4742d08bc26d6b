"""Activity services: prefilled attendance, the 补录 mark, the lifecycle, attendance, 民主评议 grades,
the 整改清单, and who sees which activity."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.meetings import records, services
from dangjian.meetings.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Appraisal,
    Attendance,
    AttendanceStatus,
    FollowUpItem,
)
from dangjian.meetings.selectors import activities_for
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category, OrgKind

from .conftest import local_dt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("templates_ready")]

P, L, A = AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT
START = local_dt(dt.date(2025, 9, 10), 15)


def plan(w, kind=ActivityKind.COMMITTEE_MEETING, org=None, **kw):
    kw.setdefault("starts_at", START)
    return services.activity_create(actor=w.sec1, org=org or w.b1, kind=kind, title=kw.pop("title", "会议"), **kw)


def test_committee_meeting_prefills_the_committee_only(world, committee_meeting):
    rows = list(Attendance.objects.filter(activity=committee_meeting).values_list("member__name", "status"))
    assert rows == [("张书记", A)]
    assert committee_meeting.status == ActivityStatus.PLANNED
    assert committee_meeting.template_ref.startswith("标准模板")
    assert committee_meeting.code.startswith("B1-")
    assert committee_meeting.top_org == world.root
    entry = AuditEntry.objects.get(object_type="activity", object_id=str(committee_meeting.pk), action="create")
    assert entry.actor == world.sec1 and entry.org_path == world.b1.path


def test_branch_assembly_prefills_every_party_member_on_its_date(world, branch_people, yesterday_3pm):
    activity = plan(world, ActivityKind.BRANCH_ASSEMBLY, starts_at=yesterday_3pm)
    names = set(Attendance.objects.filter(activity=activity).values_list("member__name", flat=True))
    assert names == {"张书记", "李党员", "赵一", "钱二", "孙预备"}
    # Before 孙预备 was admitted, they were not expected.
    before = plan(world, ActivityKind.BRANCH_ASSEMBLY, starts_at=yesterday_3pm - dt.timedelta(days=60))
    assert not Attendance.objects.filter(activity=before, member=world.probationary).exists()


def test_holder_and_fields_are_checked_in_chinese(world):
    with pytest.raises(ValidationError) as exc:
        plan(world, ActivityKind.COMMITTEE_MEETING, org=world.g1, title="", tags=["安全"])
    errors = exc.value.message_dict
    assert "应由党支部开展" in errors["org"][0]
    assert errors["title"] == ["主题不能为空"]
    assert "“党建+”标签" in errors["tags"][0]
    with pytest.raises(ValidationError) as exc:
        plan(world, ends_at=START - dt.timedelta(hours=1))
    assert exc.value.message_dict["ends_at"] == ["结束时间早于开始时间"]
    assert not Activity.objects.exists()


def test_roles_must_come_from_the_same_unit(world):
    other_root = org_services.org_create(actor=None, parent=None, code="X", name="外单位党委", kind=OrgKind.COMMITTEE)
    other_branch = org_services.org_create(actor=None, parent=other_root, code="XB", name="外单位支部",
                                           kind=OrgKind.BRANCH)
    stranger = org_services.member_create(actor=None, id_number=make_id("19700101", 91), name="外人",
                                          category=Category.FULL, branch=other_branch)
    with pytest.raises(ValidationError) as exc:
        plan(world, host=stranger)
    assert exc.value.message_dict["host"] == ["主持人须为本单位人员"]


# --- 补录 -------------------------------------------------------------------------------------------


def days(n: int, seconds: int = 0) -> dt.timedelta:
    return dt.timedelta(days=n, seconds=seconds)


def test_late_entry_threshold_is_configurable_and_strict(world):
    n = services.late_entry_days()
    assert n == 7
    on_time = plan(world, status=ActivityStatus.HELD, now=START + days(n))
    assert on_time.late_entry is False and on_time.recorded_at == START + days(n)
    late = plan(world, status=ActivityStatus.HELD, now=START + days(n + 1))
    assert late.late_entry is True
    entry = AuditEntry.objects.get(object_type="activity", object_id=str(late.pk))
    assert entry.after["late_entry"] is True and entry.after["recorded_at"] == (START + days(n + 1)).isoformat()


def test_late_entry_counts_from_the_end_of_the_activity(world):
    n = services.late_entry_days()
    ends = START + dt.timedelta(hours=2)
    activity = plan(world, status=ActivityStatus.HELD, ends_at=ends, now=START + days(n, 3600))
    assert activity.late_entry is False


def test_holding_a_planned_meeting_long_after_marks_it_late(world):
    n = services.late_entry_days()
    activity = plan(world)
    services.activity_advance(actor=world.sec1, activity=activity, to=ActivityStatus.NOTIFIED, now=START - days(2))
    activity = services.activity_advance(actor=world.sec1, activity=activity, to=ActivityStatus.HELD,
                                         now=START + days(n + 1))
    assert activity.late_entry is True
    last = AuditEntry.objects.filter(object_type="activity", object_id=str(activity.pk)).latest("id")
    assert last.before["late_entry"] is False and last.after["late_entry"] is True


def test_minutes_or_attendance_entered_late_mark_it(world):
    n = services.late_entry_days()
    a = plan(world)
    services.activity_update(actor=world.sec1, activity=a, minutes="记录", now=START + days(n))
    a.refresh_from_db()
    assert a.late_entry is False and a.recorded_at == START + days(n)
    b = plan(world)
    services.attendance_save(actor=world.sec1, activity=b, marks={world.sec_member.pk: (P, "")},
                             now=START + days(n + 1))
    b.refresh_from_db()
    assert b.late_entry is True


def test_cannot_record_a_future_meeting_as_held(world):
    with pytest.raises(ValidationError) as exc:
        plan(world, starts_at=timezone.now() + days(3), status=ActivityStatus.HELD)
    assert exc.value.message_dict["status"] == ["活动时间在将来，不能记为已召开"]


# --- lifecycle ------------------------------------------------------------------------------------


def test_lifecycle_one_step_at_a_time(world, committee_meeting):
    a = committee_meeting
    with pytest.raises(ValidationError) as exc:
        services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.HELD)
    assert "不能从“计划”变为“已召开”" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.PLANNED)
    a = services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.NOTIFIED)
    a = services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.HELD)
    assert a.status == ActivityStatus.HELD and a.recorded_at is not None and a.late_entry is False


def test_not_held_before_it_starts(world):
    a = plan(world, starts_at=timezone.now() + days(2))
    services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.NOTIFIED)
    with pytest.raises(ValidationError) as exc:
        services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.HELD)
    assert exc.value.messages == ["活动尚未开始，不能标为已召开"]


def test_archive_needs_minutes_and_then_is_read_only(world, committee_meeting, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = committee_meeting
    for to in (ActivityStatus.NOTIFIED, ActivityStatus.HELD):
        a = services.activity_advance(actor=world.sec1, activity=a, to=to)
    with pytest.raises(ValidationError) as exc:
        services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.ARCHIVED)
    assert exc.value.message_dict == {"minutes": ["归档前须填写会议记录"]}
    services.activity_update(actor=world.sec1, activity=a, minutes="   ")
    with pytest.raises(ValidationError):
        services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.ARCHIVED)
    services.activity_update(actor=world.sec1, activity=a, minutes="研究了发展党员工作。")
    a = services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.ARCHIVED)

    with pytest.raises(ValidationError, match="已归档的记录不能再修改"):
        services.activity_update(actor=world.sec1, activity=a, title="改")
    with pytest.raises(ValidationError, match="已归档"):
        services.attendance_save(actor=world.sec1, activity=a, marks={world.sec_member.pk: (P, "")})
    with pytest.raises(ValidationError, match="不能从“已归档”"):
        services.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.PLANNED)
    with pytest.raises(ValidationError, match="已归档"):
        records.evidence_add(actor=world.sec1, activity=a, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"),
                             kind="minutes")
    a.refresh_from_db()
    assert a.title == "九月支委会" and a.evidence.count() == 0


# --- attendance -----------------------------------------------------------------------------------


def test_leave_needs_a_reason_naming_the_person_and_nothing_is_saved(world, committee_meeting):
    with pytest.raises(ValidationError) as exc:
        services.attendance_save(actor=world.sec1, activity=committee_meeting,
                                 marks={world.sec_member.pk: (L, " "), world.member.pk: (P, "")})
    assert exc.value.messages == ["张书记：请假须说明原因"]
    assert list(Attendance.objects.filter(activity=committee_meeting).values_list("status", flat=True)) == [A]


def test_guests_of_the_same_unit_only(world, committee_meeting):
    n = services.attendance_save(actor=world.sec1, activity=committee_meeting,
                                 marks={world.member.pk: (P, ""), world.b2_member.pk: (P, "")})
    assert n == 2
    other_root = org_services.org_create(actor=None, parent=None, code="X", name="外单位党委", kind=OrgKind.COMMITTEE)
    other_branch = org_services.org_create(actor=None, parent=other_root, code="XB", name="外单位支部",
                                           kind=OrgKind.BRANCH)
    stranger = org_services.member_create(actor=None, id_number=make_id("19700101", 91), name="外人",
                                          category=Category.FULL, branch=other_branch)
    with pytest.raises(ValidationError) as exc:
        services.attendance_save(actor=world.sec1, activity=committee_meeting, marks={stranger.pk: (P, "")})
    assert exc.value.messages == ["外人不属于本单位，不能登记出勤"]


def test_attendance_change_is_audited_once(world, committee_meeting):
    services.attendance_save(actor=world.sec1, activity=committee_meeting,
                             marks={world.sec_member.pk: (L, "出差")})
    services.attendance_save(actor=world.sec1, activity=committee_meeting,
                             marks={world.sec_member.pk: (L, "出差")})  # no change, no entry
    entries = AuditEntry.objects.filter(object_type="activity", object_id=str(committee_meeting.pk), action="update")
    assert entries.count() == 1
    assert entries[0].after == {"attendance": {str(world.sec_member.pk): L}}


# --- 民主评议 -------------------------------------------------------------------------------------


@pytest.fixture
def appraisal(world, branch_people, yesterday_3pm):
    return plan(world, ActivityKind.MEMBER_APPRAISAL, title="2025年度民主评议党员", starts_at=yesterday_3pm)


def test_excellent_over_one_third_is_refused_and_nothing_saved(world, appraisal):
    w = world
    grades = {w.sec_member.pk: ("优秀", ""), w.member.pk: ("优秀", ""), w.full_a.pk: ("合格", ""),
              w.full_b.pk: ("合格", "")}
    with pytest.raises(ValidationError) as exc:
        records.appraisal_save(actor=w.sec1, activity=appraisal, grades=grades)
    assert exc.value.messages == ["“优秀”等次不能超过参评党员的三分之一：参评4人，最多1人评为优秀，现为2人"]
    assert not Appraisal.objects.exists()
    grades[w.probationary.pk] = ("合格", "")
    grades[w.member.pk] = ("基本合格", "迟到较多")
    assert records.appraisal_save(actor=w.sec1, activity=appraisal, grades=grades) == 5
    assert Appraisal.objects.get(member=w.member).note == "迟到较多"
    # Clearing grades shrinks the base: 1 优秀 among 2 is over one third.
    with pytest.raises(ValidationError, match="参评2人，最多0人"):
        records.appraisal_save(actor=w.sec1, activity=appraisal, grades={
            w.full_a.pk: ("", ""), w.full_b.pk: ("", ""), w.probationary.pk: ("", "")})
    assert Appraisal.objects.count() == 5
    entry = AuditEntry.objects.filter(object_type="activity", object_id=str(appraisal.pk)).latest("id")
    assert entry.after["appraisal"][str(w.sec_member.pk)] == "优秀"


def test_grades_only_for_appraisals_and_for_people_in_it(world, appraisal, committee_meeting):
    with pytest.raises(ValidationError, match="不评定党员等次"):
        records.appraisal_save(actor=world.sec1, activity=committee_meeting, grades={world.sec_member.pk: ("合格", "")})
    with pytest.raises(ValidationError) as exc:
        records.appraisal_save(actor=world.sec1, activity=appraisal,
                               grades={world.b2_member.pk: ("合格", ""), world.member.pk: ("很好", "")})
    assert exc.value.messages == ["王机关不在本次评议的参评人员中", "李党员：等次“很好”无效，应为优秀、合格、基本合格、不合格"]


# --- 整改清单 -------------------------------------------------------------------------------------


def test_rectification_list_and_ticking_off_after_archiving(world):
    meeting = plan(world, ActivityKind.LIFE_MEETING, title="年度组织生活会")
    Item = records.FollowUpInput
    with pytest.raises(ValidationError) as exc:
        records.follow_up_save(actor=world.sec1, activity=meeting, items=[
            Item(id=None, content=""), Item(id=None, content="学习不够深入", owner_id=world.b2_member.pk,
                                            due_on=dt.date(2025, 1, 1))])
    assert exc.value.messages == ["第1项：请填写问题与整改措施", "第2项：整改时限早于会议日期"]
    records.follow_up_save(actor=world.sec1, activity=meeting, items=[
        Item(id=None, content="学习不够深入", owner_id=world.member.pk, due_on=dt.date(2025, 12, 31)),
        Item(id=None, content="联系群众不够")])
    first, second = FollowUpItem.objects.order_by("id")
    assert first.owner == world.member and not first.done

    for to in (ActivityStatus.NOTIFIED, ActivityStatus.HELD):
        services.activity_advance(actor=world.sec1, activity=meeting, to=to)
    services.activity_update(actor=world.sec1, activity=meeting, minutes="开展批评与自我批评。")
    services.activity_advance(actor=world.sec1, activity=meeting, to=ActivityStatus.ARCHIVED)

    tick = Item(id=first.pk, content=first.content, owner_id=first.owner_id, due_on=first.due_on, done=True)
    assert records.follow_up_save(actor=world.sec1, activity=meeting, items=[tick]) == 1
    first.refresh_from_db()
    assert first.done
    with pytest.raises(ValidationError, match="只能对整改事项销号"):
        records.follow_up_save(actor=world.sec1, activity=meeting, items=[
            Item(id=second.pk, content="改了内容")])
    with pytest.raises(ValidationError, match="只能对整改事项销号"):
        records.follow_up_save(actor=world.sec1, activity=meeting, items=[Item(id=None, content="新的")])
    with pytest.raises(ValidationError, match="不能删除"):
        records.follow_up_save(actor=world.sec1, activity=meeting, items=[
            Item(id=second.pk, content=second.content, delete=True)])
    assert FollowUpItem.objects.count() == 2


def test_no_rectification_list_for_other_kinds(world, committee_meeting):
    with pytest.raises(ValidationError, match="不形成整改清单"):
        records.follow_up_save(actor=world.sec1, activity=committee_meeting,
                               items=[records.FollowUpInput(id=None, content="x")])


# --- who sees which activity ----------------------------------------------------------------------


def test_activities_for_each_role(world, committee_meeting):
    assembly = plan(world, ActivityKind.BRANCH_ASSEMBLY, title="党员大会")
    b2_meeting = plan(world, ActivityKind.COMMITTEE_MEETING, org=world.b2, title="机关支委会")
    seen = {role: set(activities_for(getattr(world, role)).values_list("pk", flat=True))
            for role in ("admin", "orgadmin", "zz_admin", "sec1", "member1", "outsider")}
    everything = {committee_meeting.pk, assembly.pk, b2_meeting.pk}
    assert seen["admin"] == seen["orgadmin"] == everything
    assert seen["zz_admin"] == seen["sec1"] == {committee_meeting.pk, assembly.pk}
    # A member sees what they were expected at (the assembly), not the committee's meeting.
    assert seen["member1"] == {assembly.pk}
    assert seen["outsider"] == {b2_meeting.pk}


def test_a_superuser_linked_to_a_member_still_sees_everything(world, committee_meeting):
    world.admin.member = org_services.member_create(actor=None, id_number=make_id("19750505", 93), name="管理员",
                                                    category=Category.FULL, branch=world.b2)
    world.admin.save()
    assert activities_for(world.admin).count() == 1
