"""Sheets 活动 and 出勤: import, every error kind (nothing written), re-import, round trip, CLI."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.core.scoping import get_scope
from dangjian.imports.exporter import write_workbook
from dangjian.imports.importer import import_workbook
from dangjian.imports.sheets.activities import SPEC as ACTIVITY_SPEC
from dangjian.imports.sheets.attendance import LEAVE_WITHOUT_REASON
from dangjian.imports.sheets.attendance import SPEC as ATTENDANCE_SPEC
from dangjian.meetings import services as meetings
from dangjian.meetings.models import Activity, ActivityKind, ActivityStatus, Attendance, AttendanceStatus
from dangjian.meetings.selectors import activity_quorum
from dangjian.orgs import services
from dangjian.orgs.models import Category, Member, Organization, OrgKind, WorkTeam

from .helpers import MEMBER_HEADERS, db_state, member_row, messages, xlsx

ACTIVITY_HEADERS = ACTIVITY_SPEC.headers
ATTENDANCE_HEADERS = ATTENDANCE_SPEC.headers
NEW_ID = make_id("19870707", 41)


def aware(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def activity_row(code="A1", org="B1", kind="支部党员大会", starts="2025-03-20 15:00", ends="2025-03-20 16:30",
                 title="第一季度支部党员大会", **extra) -> dict:
    row = {"活动编号": code, "组织编码": org, "活动类型": kind, "开始时间": starts, "结束时间": ends, "主题": title,
           "地点": "党员活动室"}
    row.update(extra)
    return row


def attendance_row(code, id_number, status="出席", reason="") -> list:
    return [code, id_number, status, reason]


def book(activities=(), attendance=(), members=()) -> io.BytesIO:
    sheets: dict = {}
    if members:
        sheets["党员"] = [MEMBER_HEADERS, *members]
    if activities:
        sheets["活动"] = [ACTIVITY_HEADERS, *activities]
    if attendance:
        sheets["出勤"] = [ATTENDANCE_HEADERS, *attendance]
    return xlsx(sheets)


def state() -> tuple:
    """Everything the two sheets write (plus the audit log), to show that a failed import wrote nothing."""
    return (
        sorted(Activity.objects.values_list("code", "title", "org__code", "status", "host_id", "minutes")),
        sorted(Attendance.objects.values_list("activity__code", "member_id", "status", "reason")),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def held(world):
    """An existing 支部委员会-free world: one held 支部党员大会 of B1 (code OLD) with two attendance rows."""
    activity = meetings.activity_create(actor=None, org=world.b1, kind=ActivityKind.BRANCH_ASSEMBLY, code="OLD",
                                        title="上次的党员大会", starts_at=aware(2025, 1, 10, 9), prefill_attendance=False,
                                        status=ActivityStatus.HELD)
    meetings.attendance_save(actor=None, activity=activity, marks={
        world.sec_member.pk: (AttendanceStatus.PRESENT, ""), world.member.pk: (AttendanceStatus.LEAVE, "出差")})
    return activity


@pytest.fixture
def other_group(world):
    """A second 集团 with one branch and one member."""
    root = services.org_create(actor=None, parent=None, code="OTHER", name="另一集团党委", kind=OrgKind.COMMITTEE)
    branch = services.org_create(actor=None, parent=Organization.objects.get(pk=root.pk), code="OB1",
                                 name="另一集团党支部", kind=OrgKind.BRANCH)
    return services.member_create(actor=None, id_number=make_id("19700101", 91), name="外集团党员",
                                  category=Category.FULL, branch=Organization.objects.get(pk=branch.pk))


# --- importing -----------------------------------------------------------------------------------


def test_import_creates_activities_and_only_the_listed_attendance(world):
    future = (timezone.localdate() + dt.timedelta(days=20)).strftime("%Y-%m-%d 09:00")
    source = book(
        activities=[
            activity_row("A1", 主持人身份证号=world.sec_member.id_number, 议程="1. 传达精神\r\n2. 讨论发展党员",
                         会议记录="会议由张书记主持。"),
            activity_row("A2", "G1", "党小组会", "2025-03-25 17:30", "", "三月党小组会"),
            activity_row("A3", "B1", "党课", future, "", "专题党课", 讲课人身份证号=world.sec_member.id_number),
        ],
        attendance=[attendance_row("A1", world.sec_member.id_number),
                    attendance_row("A1", world.member.id_number, "请假", "倒班"),
                    attendance_row("A2", world.sec_member.id_number, "出席")])
    result = import_workbook(source, actor=world.admin, dry_run=False)
    assert result.ok, messages(result)
    assert result.summary["活动"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert result.summary["出勤"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert result.warnings == []

    a1 = Activity.objects.get(code="A1")
    assert (a1.org, a1.top_org, a1.kind, a1.title, a1.place) == (
        world.b1, world.root, ActivityKind.BRANCH_ASSEMBLY, "第一季度支部党员大会", "党员活动室")
    assert a1.starts_at == aware(2025, 3, 20, 15) and a1.ends_at == aware(2025, 3, 20, 16, 30)
    assert a1.host == world.sec_member and a1.lecturer is None
    assert a1.agenda == "1. 传达精神\n2. 讨论发展党员" and a1.minutes == "会议由张书记主持。"
    # Importing is recording: a past activity is 已召开 and, entered long after, 补录.
    assert (a1.status, a1.late_entry, a1.template_ref) == (ActivityStatus.HELD, True, "标准模板 2018.1")
    assert a1.recorded_at is not None and a1.created_by == world.admin
    a3 = Activity.objects.get(code="A3")
    assert (a3.status, a3.late_entry, a3.recorded_at, a3.lecturer) == (
        ActivityStatus.PLANNED, False, None, world.sec_member)
    assert Activity.objects.get(code="A2").org == world.g1

    # Only what the sheet says is stored; the expected member with no row counts as 缺席.
    assert sorted(Attendance.objects.filter(activity=a1).values_list("member__name", "status", "reason")) == [
        ("张书记", "present", ""), ("李党员", "leave", "倒班")]
    extra = services.member_create(actor=None, id_number=make_id("19900909", 43), name="王缺席",
                                   category=Category.FULL, branch=world.b1)
    quorum, expected = activity_quorum(a1)
    assert extra.pk in {p.id for p in expected}
    assert (quorum.expected, quorum.attended, quorum.on_leave, quorum.absent) == (3, 1, 1, 1)

    audits = AuditEntry.objects.filter(object_type="activity", source="import")
    assert audits.filter(action="create").count() == 3
    a1_attendance = audits.get(object_id=str(a1.pk), action="update")
    assert a1_attendance.before == {"attendance": {}}
    assert a1_attendance.after == {"attendance": {str(world.sec_member.pk): "present", str(world.member.pk): "leave"}}


def test_members_of_the_same_workbook_can_host_and_attend(world):
    source = book(members=[member_row(NEW_ID, "新党员", "正式党员", "B1", 转正日期=dt.date(2015, 7, 1))],
                  activities=[activity_row("A1", 主持人身份证号=NEW_ID)],
                  attendance=[attendance_row("A1", NEW_ID)])
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    member = Member.objects.get(id_number=NEW_ID)
    assert Activity.objects.get(code="A1").host == member
    assert Attendance.objects.get(activity__code="A1", member=member).status == "present"


def test_expected_people_not_listed_get_absent_rows(world):
    """As when an activity is planned on the web, everyone expected has a row; unlisted ones are 缺席."""
    source = book(activities=[activity_row("A1")], attendance=[attendance_row("A1", world.sec_member.id_number)])
    assert import_workbook(source, actor=None, dry_run=False).ok
    rows = dict(Attendance.objects.filter(activity__code="A1").values_list("member__name", "status"))
    assert rows == {"张书记": "present", "李党员": "absent"}


def test_reimport_updates_by_code_and_never_duplicates(world, held):
    rows = [activity_row("A1"), activity_row("A2", "G1", "党小组会", "2025-03-25 17:30", "", "三月党小组会")]
    marks = [attendance_row("A1", world.sec_member.id_number), attendance_row("A1", world.member.id_number, "缺席"),
             attendance_row("OLD", world.member.id_number, "请假", "出差")]
    assert import_workbook(book(rows, marks), actor=None, dry_run=False).ok
    counts = (Activity.objects.count(), Attendance.objects.count())
    audits = AuditEntry.objects.count()

    again = import_workbook(book(rows, marks), actor=None, dry_run=False)
    assert again.ok, messages(again)
    assert again.summary["活动"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert again.summary["出勤"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert AuditEntry.objects.count() == audits

    rows[0] = activity_row("A1", title="改过主题的党员大会")
    marks[1] = attendance_row("A1", world.member.id_number, "请假", "病假")
    changed = import_workbook(book(rows, marks), actor=None, dry_run=False)
    assert changed.ok, messages(changed)
    assert changed.summary["活动"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert changed.summary["出勤"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert (Activity.objects.count(), Attendance.objects.count()) == counts
    assert Activity.objects.get(code="A1").title == "改过主题的党员大会"
    assert Attendance.objects.get(activity__code="A1", member=world.member).reason == "病假"
    # rows not in the sheet are kept: OLD's present 张书记
    assert Attendance.objects.filter(activity=held, member=world.sec_member, status="present").exists()
    update = AuditEntry.objects.filter(object_type="activity", object_id=str(Activity.objects.get(code="A1").pk),
                                       action="update").latest("id")
    assert update.before["attendance"][str(world.member.pk)] == "absent"
    assert update.after["attendance"][str(world.member.pk)] == "leave"


def test_reimport_without_optional_columns_keeps_them(world, held):
    headers = ["活动编号", "组织编码", "活动类型", "开始时间", "主题"]
    source = xlsx({"活动": [headers, ["OLD", "B1", "支部党员大会", "2025-01-10 09:00", "改名"]],
                   "出勤": [["活动编号", "身份证号", "出勤情况"], ["OLD", world.member.id_number, "请假"]]})
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert result.warnings == []  # the reason on record (出差) is kept, so no warning
    assert Attendance.objects.get(activity=held, member=world.member).reason == "出差"
    assert Activity.objects.get(code="OLD").title == "改名"


def test_leave_without_reason_is_a_warning_not_an_error(world):
    source = book([activity_row("A1")], [attendance_row("A1", world.member.id_number, "请假", "")])
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert [str(w) for w in result.warnings] == [f"出勤 / 第2行 / 说明: {LEAVE_WITHOUT_REASON}"]
    assert Attendance.objects.get(activity__code="A1", member=world.member).status == AttendanceStatus.LEAVE


def test_branch_secretary_imports_for_their_branch(world):
    source = book([activity_row("A1"), activity_row("A2", "G1", "党小组会", title="小组会")],
                  [attendance_row("A1", world.member.id_number)])
    result = import_workbook(source, actor=world.sec1, dry_run=False, scope=get_scope(world.sec1))
    assert result.ok, messages(result)
    assert Activity.objects.count() == 2


def test_queries_do_not_grow_with_the_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(n: int, prefix: str) -> int:
        rows = [activity_row(f"{prefix}{i}", starts=f"2025-03-{i + 1:02d} 15:00", ends="") for i in range(n)]
        marks = [attendance_row(f"{prefix}{i}", p.id_number) for i in range(n) for p in (world.sec_member, world.member)]
        with CaptureQueriesContext(connection) as ctx:
            assert import_workbook(book(rows, marks), actor=None, dry_run=False).ok
        return len(ctx.captured_queries)

    assert run(2, "X") == run(20, "Y")


# --- errors: each names sheet, row and column, and nothing is written ------------------------------


def failed(world, source, **kwargs) -> list[str]:
    before, orgs = state(), db_state(world)
    result = import_workbook(source, actor=world.admin, dry_run=False, **kwargs)
    assert not result.ok and not result.written
    assert state() == before and db_state(world) == orgs, "a workbook with errors must write nothing"
    return messages(result)


GOOD = activity_row("GOOD", title="应当不被写入的活动")


def test_unknown_org(world):
    assert failed(world, book([GOOD, activity_row("A1", "NOPE")])) == [
        "活动 / 第3行 / 组织编码: 组织编码“NOPE”不存在：组织表中没有，系统中也没有"]


def test_org_kind_not_allowed_by_the_template(world):
    errors = failed(world, book([GOOD, activity_row("A1", "G1", "支部委员会"), activity_row("A2", "B1", "党小组会"),
                                 activity_row("A3", "ZZ", "主题党日")]))
    assert errors == [
        "活动 / 第3行 / 组织编码: 支部委员会应由党支部开展，“第一党小组”是党小组",
        "活动 / 第4行 / 组织编码: 党小组会应由党小组开展，“装卸一队党支部”是党支部",
        "活动 / 第5行 / 组织编码: 主题党日应由党支部开展，“港务党总支”是党总支",
    ]


def test_unknown_type_and_bad_times(world):
    errors = failed(world, book([GOOD, activity_row("A1", kind="茶话会"),
                                 activity_row("A2", starts="2025-03-20 15:00", ends="2025-03-20 14:00"),
                                 activity_row("A3", starts="2025年3月", ends=""),
                                 activity_row("A4", starts="", ends="")]))
    assert errors == [
        "活动 / 第3行 / 活动类型: 活动类型“茶话会”无效，应为：支部党员大会/支部委员会/党小组会/党课/主题党日/组织生活会/"
        "民主评议党员/谈心谈话/专题学习/志愿服务/党员主题实践活动/发展党员会议/其他",
        "活动 / 第4行 / 结束时间: 结束时间早于开始时间",
        "活动 / 第5行 / 开始时间: 日期时间格式不正确：“2025年3月”，应为日期时间单元格或“YYYY-MM-DD HH:MM”格式的文本",
        "活动 / 第6行 / 开始时间: 不能为空",
    ]


def test_unknown_person_and_person_of_another_group(world, other_group):
    errors = failed(world, book([GOOD, activity_row("A1", 主持人身份证号=make_id("19900101", 99)),
                                 activity_row("A2", 讲课人身份证号=other_group.id_number)]))
    assert errors == [
        "活动 / 第3行 / 主持人身份证号: 主持人未登记：党员表和系统中都没有这个身份证号",
        "活动 / 第4行 / 讲课人身份证号: 讲课人须为本单位人员：外集团党员不是“集团党委”的人员",
    ]


def test_duplicate_activity_code(world):
    assert failed(world, book([GOOD, activity_row("A1"), activity_row("A1", title="又一次")])) == [
        "活动 / 第4行 / 活动编号: 活动编号“A1”与第3行重复"]


def test_attendance_errors(world, held, other_group):
    errors = failed(world, book([GOOD], [
        attendance_row("GOOD", world.sec_member.id_number),
        attendance_row("NOPE", world.member.id_number),
        attendance_row("GOOD", make_id("19900101", 98)),
        attendance_row("GOOD", other_group.id_number),
        attendance_row("GOOD", world.sec_member.id_number, "请假", "重复"),
        attendance_row("OLD", world.sec_member.id_number, "迟到"),
        attendance_row("OLD", "", "出席"),
    ]))
    assert errors == [
        "出勤 / 第3行 / 活动编号: 活动编号“NOPE”不存在：活动表中没有，系统中也没有",
        "出勤 / 第4行 / 身份证号: 人员未登记：党员表和系统中都没有这个身份证号",
        "出勤 / 第5行 / 身份证号: 外集团党员不是“集团党委”的人员，不能登记出勤",
        "出勤 / 第6行 / 身份证号: 该人员在活动“GOOD”的出勤已在第2行填写，不能重复",
        "出勤 / 第7行 / 出勤情况: 出勤情况“迟到”无效，应为：出席/请假/缺席",
        "出勤 / 第8行 / 身份证号: 不能为空",
    ]


def test_archived_activity_cannot_change(world, held):
    meetings.activity_update(actor=None, activity=held, minutes="已记录")
    meetings.activity_advance(actor=None, activity=held, to=ActivityStatus.ARCHIVED)
    errors = failed(world, book([GOOD, activity_row("OLD", starts="2025-01-10 09:00", ends="", title="改名")],
                                [attendance_row("OLD", world.sec_member.id_number, "缺席")]))
    assert errors == ["活动 / 第3行 / 活动编号: 该活动已归档，已归档的记录不能再修改",
                      "出勤 / 第2行 / 活动编号: 该活动已归档，已归档的记录不能再修改出勤"]


def test_archived_activity_unchanged_rows_are_fine(world, held):
    meetings.activity_update(actor=None, activity=held, minutes="已记录")
    meetings.activity_advance(actor=None, activity=held, to=ActivityStatus.ARCHIVED)
    result = import_workbook(book(attendance=[attendance_row("OLD", world.member.id_number, "请假", "出差")]),
                             actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert result.summary["出勤"]["unchanged"] == 1


def test_scope_branch_secretary_outside_their_branch(world, held):
    other = meetings.activity_create(actor=None, org=world.b2, kind=ActivityKind.BRANCH_ASSEMBLY, code="B2OLD",
                                     title="机关支部大会", starts_at=aware(2025, 1, 12, 9), prefill_attendance=False)
    assert other.pk
    errors = failed(world, book([GOOD, activity_row("A1", "B2")], [attendance_row("B2OLD", world.member.id_number)]),
                    scope=get_scope(world.sec1))
    assert errors == ["活动 / 第3行 / 组织编码: 无权导入该组织的数据", "出勤 / 第2行 / 活动编号: 无权导入该组织的数据"]


def test_errors_across_sheets_are_all_reported_together(world):
    errors = failed(world, book([GOOD, activity_row("A1", "NOPE")], [attendance_row("A9", world.member.id_number)]))
    assert errors == ["活动 / 第3行 / 组织编码: 组织编码“NOPE”不存在：组织表中没有，系统中也没有",
                      "出勤 / 第2行 / 活动编号: 活动编号“A9”不存在：活动表中没有，系统中也没有"]


# --- export and round trip ------------------------------------------------------------------------


def dump() -> tuple:
    activities = sorted(Activity.objects.values_list(
        "code", "org__code", "kind", "starts_at", "ends_at", "place", "title", "host__id_number",
        "lecturer__id_number", "agenda", "minutes", "top_org__code"))
    attendance = sorted(Attendance.objects.values_list("activity__code", "member__id_number", "status", "reason"))
    return activities, attendance


def export(**kwargs) -> io.BytesIO:
    out = io.BytesIO()
    write_workbook(out, **kwargs)
    out.seek(0)
    return out


@pytest.fixture
def recorded(world, held):
    """Activities of every shape: archived with minutes, planned, at a group, a lecture, a volunteer day."""
    lecture = meetings.activity_create(
        actor=None, org=world.b1, kind=ActivityKind.PARTY_LECTURE, code="L1", title="专题党课", place="党员活动室",
        starts_at=aware(2025, 2, 14, 14, 30), ends_at=aware(2025, 2, 14, 16), lecturer=world.sec_member,
        host=world.sec_member, agenda="1. 讲党课\n2. 交流", minutes="张书记讲授专题党课。", status=ActivityStatus.HELD)
    meetings.attendance_save(actor=None, activity=lecture, marks={
        world.sec_member.pk: (AttendanceStatus.PRESENT, ""), world.member.pk: (AttendanceStatus.ABSENT, "")})
    meetings.activity_advance(actor=None, activity=lecture, to=ActivityStatus.ARCHIVED)
    meetings.activity_create(actor=None, org=world.g1, kind=ActivityKind.GROUP_MEETING, code="G1-2025-03",
                             title="三月党小组会", starts_at=aware(2025, 3, 12, 17, 30))
    meetings.activity_create(actor=None, org=world.b2, kind=ActivityKind.VOLUNTEER, code="V1", title="志愿服务",
                             starts_at=(timezone.now() + dt.timedelta(days=10)).replace(second=0, microsecond=0),
                             prefill_attendance=False)
    return world


def empty_database() -> None:
    Attendance.objects.all().delete()
    Activity.objects.all().delete()
    Member.objects.all().delete()
    WorkTeam.objects.all().delete()
    Organization.objects.all().delete()


def test_round_trip_into_an_empty_database(recorded):
    before = dump()
    assert len(before[0]) == 4 and len(before[1]) == 5
    source = export()
    empty_database()
    result = import_workbook(source, actor=None, dry_run=False)
    assert result.ok, messages(result)
    assert dump() == before
    again = import_workbook(export(), actor=None, dry_run=True)
    assert again.ok and all(c["created"] == c["updated"] == 0 for c in again.summary.values())


def test_export_of_a_subtree_carries_its_activities_and_their_people_only(recorded):
    wb = load_workbook(export(root=recorded.b1))
    codes = [r[0] for r in wb["活动"].iter_rows(min_row=2, values_only=True)]
    assert codes == ["OLD", "L1", "G1-2025-03"]  # by organization, then time; not B2's V1
    header = [c.value for c in wb["活动"][1]]
    assert header == ACTIVITY_HEADERS
    lecture = next(r for r in wb["活动"].iter_rows(min_row=2, values_only=True) if r[0] == "L1")
    assert lecture[1:5] == ("B1", "党课", dt.datetime(2025, 2, 14, 14, 30), dt.datetime(2025, 2, 14, 16))
    assert lecture[8] == recorded.sec_member.id_number and lecture[9] == "1. 讲党课\n2. 交流"
    marks = sorted(wb["出勤"].iter_rows(min_row=2, values_only=True))
    assert ("L1", recorded.member.id_number, "缺席", None) in marks
    assert {m[0] for m in marks} == {"OLD", "L1", "G1-2025-03"}


def test_masked_export_masks_the_people(recorded):
    wb = load_workbook(export(mask=True))
    lecture = next(r for r in wb["活动"].iter_rows(min_row=2, values_only=True) if r[0] == "L1")
    assert "*" in lecture[8]
    assert all("*" in r[1] for r in wb["出勤"].iter_rows(min_row=2, values_only=True))


def test_template_sample_activity_imports(world):
    from dangjian.imports.exporter import write_template

    out = io.BytesIO()
    write_template(out)
    out.seek(0)
    result = import_workbook(out, actor=None, dry_run=False)
    assert result.ok, messages(result)
    activity = Activity.objects.get(code="D001-01-20240705-01")
    assert activity.host.name == "张示例" and activity.org.code == "D001-01"
    assert Attendance.objects.filter(activity=activity, status="present").count() == 1


# --- the command line ---------------------------------------------------------------------------


def test_cli_import_and_export(world, tmp_path, capsys):
    path = tmp_path / "活动.xlsx"
    path.write_bytes(book([activity_row("A1")], [attendance_row("A1", world.member.id_number)]).getvalue())
    call_command("import_workbook", str(path), "--dry-run")
    assert "活动：新增1，修改0，未变0" in capsys.readouterr().out
    assert not Activity.objects.exists()
    call_command("import_workbook", str(path))
    out = capsys.readouterr().out
    assert "出勤：新增1，修改0，未变0" in out and "导入成功" in out
    assert Attendance.objects.get(activity__code="A1", member=world.member).status == AttendanceStatus.PRESENT

    exported = tmp_path / "导出.xlsx"
    call_command("export_workbook", str(exported), "--org", "B1")
    wb = load_workbook(exported)
    assert [r[0] for r in wb["活动"].iter_rows(min_row=2, values_only=True)] == ["A1"]
    assert sorted(r[:3] for r in wb["出勤"].iter_rows(min_row=2, values_only=True)) == sorted([
        ("A1", world.member.id_number, "出席"), ("A1", world.sec_member.id_number, "缺席")])


def test_cli_export_of_chosen_sheets_only(world, tmp_path):
    path = tmp_path / "名册.xlsx"
    call_command("export_workbook", str(path), "--sheets", "组织,党员")
    assert load_workbook(path).sheetnames == ["组织", "党员"]
    with pytest.raises(CommandError, match="没有这些表：花名册"):
        call_command("export_workbook", str(path), "--sheets", "花名册")
