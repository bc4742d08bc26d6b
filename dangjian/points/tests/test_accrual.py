"""Automatic points from the records: 出席 +1, 缺席 −2, 请假 0, 志愿服务 +2, 民主评议 grades; reversal when a
record changes, never a double count; the hooks in the meetings services and the importer."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_id
from dangjian.core.models import AuditEntry
from dangjian.meetings import records
from dangjian.meetings import services as meetings
from dangjian.meetings.models import Activity, ActivityKind, ActivityStatus, Appraisal, Attendance
from dangjian.meetings.tests.conftest import templates_ready  # noqa: F401
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category
from dangjian.points.models import EntrySource, PointEntry, SpecialAssessment
from dangjian.points.selectors import year_table
from dangjian.points.services import accrue, accrue_activity

YEAR = timezone.localdate().year
_codes = iter(range(1, 100000))


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


def activity(w, org=None, kind=ActivityKind.BRANCH_ASSEMBLY, day=None, status=ActivityStatus.HELD, tags=None):
    """An activity row written directly (no hook), for testing accrual alone."""
    org = org or w.b1
    return Activity.objects.create(code=f"T{next(_codes):05d}", org=org, top_org=w.root, kind=kind, title="测试活动",
                                   starts_at=at(day or dt.date(YEAR, 3, 10)), status=status, tags=tags or [])


def mark(act, member, status):
    return Attendance.objects.update_or_create(activity=act, member=member, defaults={"status": status})[0]


def live(member, rule=None):
    qs = PointEntry.objects.filter(member=member, reverses__isnull=True, reversed_by__isnull=True)
    return list(qs.filter(rule=rule) if rule else qs)


def net(member, category=None) -> Decimal:
    qs = PointEntry.objects.filter(member=member)
    if category:
        qs = qs.filter(category=category)
    return sum((e.points for e in qs), Decimal("0"))


def test_each_attendance_status_gives_its_points(world):
    a = activity(world)
    mark(a, world.sec_member, "present")
    mark(a, world.member, "absent")
    third = org_services.member_create(actor=None, id_number=make_id("19910101", 44), name="请假者",
                                       category=Category.FULL, branch=world.b1)
    mark(a, third, "leave")
    report = accrue(root=world.root, year=YEAR)
    assert (report.created, report.reversed, report.members) == (2, 0, 2)
    present = PointEntry.objects.get(member=world.sec_member)
    assert (present.rule, present.category, present.points, present.source) == ("attend_present", "activity",
                                                                                 Decimal("1"), EntrySource.AUTO)
    assert present.source_key == f"attendance:{Attendance.objects.get(activity=a, member=world.sec_member).pk}"
    assert present.activity_id == a.pk and present.occurred_on == dt.date(YEAR, 3, 10)
    assert present.period == f"{YEAR}-03" and present.year == YEAR and present.top_org_id == world.root.pk
    assert "出席" in present.reason
    absent = PointEntry.objects.get(member=world.member)
    assert (absent.rule, absent.points) == ("attend_absent", Decimal("-2"))
    assert not PointEntry.objects.filter(member=third).exists()  # 请假: no entry at all


def test_only_held_activities_of_the_year_count(world):
    mark(activity(world, status=ActivityStatus.PLANNED), world.member, "absent")
    mark(activity(world, day=dt.date(YEAR - 1, 12, 31)), world.member, "present")
    mark(activity(world, status=ActivityStatus.ARCHIVED), world.member, "present")
    accrue(root=world.root, year=YEAR)
    assert [e.rule for e in live(world.member)] == ["attend_present"]


def test_volunteer_service_counts_in_service_not_in_activity(world):
    a = activity(world, kind=ActivityKind.VOLUNTEER)
    att = mark(a, world.member, "present")
    mark(a, world.sec_member, "absent")  # absence from a voluntary activity costs nothing
    accrue(root=world.root, year=YEAR)
    entry = PointEntry.objects.get(member=world.member)
    assert (entry.rule, entry.category, entry.points, entry.source_key) == ("volunteer", "service", Decimal("2"),
                                                                            f"volunteer:{att.pk}")
    assert not PointEntry.objects.filter(member=world.sec_member).exists()


@pytest.mark.parametrize("grade, points", [("优秀", 10), ("合格", 8), ("基本合格", 5), ("不合格", 0)])
def test_appraisal_grade_points(world, grade, points):
    a = activity(world, kind=ActivityKind.MEMBER_APPRAISAL)
    Appraisal.objects.create(activity=a, member=world.member, grade=grade)
    accrue(root=world.root, year=YEAR)
    entry = PointEntry.objects.get(member=world.member)
    assert (entry.rule, entry.category, entry.points) == ("appraisal_grade", "opinion", Decimal(points))


def test_only_the_latest_appraisal_of_the_year_counts(world):
    first = activity(world, kind=ActivityKind.MEMBER_APPRAISAL, day=dt.date(YEAR, 1, 20))
    later = activity(world, kind=ActivityKind.MEMBER_APPRAISAL, day=dt.date(YEAR, 6, 20))
    Appraisal.objects.create(activity=first, member=world.member, grade="不合格")
    Appraisal.objects.create(activity=later, member=world.member, grade="优秀")
    accrue(root=world.root, year=YEAR)
    assert [(e.points, e.activity_id) for e in live(world.member)] == [(Decimal("10"), later.pk)]


def test_rerunning_never_double_counts_and_a_changed_mark_is_reversed(world):
    a = activity(world)
    mark(a, world.member, "present")
    first = accrue(root=world.root, year=YEAR)
    again = accrue(root=world.root, year=YEAR)
    assert first.created == 1 and (again.created, again.reversed) == (0, 0)
    assert PointEntry.objects.count() == 1
    mark(a, world.member, "absent")
    changed = accrue(root=world.root, year=YEAR)
    assert (changed.created, changed.reversed, changed.members) == (1, 1, 1)
    assert net(world.member) == Decimal("-2")
    original = PointEntry.objects.get(rule="attend_present", reverses__isnull=True)
    reversal = PointEntry.objects.get(reverses=original)
    assert reversal.points == Decimal("-1") and reversal.reason.startswith("记录变更：")
    assert reversal.occurred_on == original.occurred_on and reversal.period == original.period
    third = accrue(root=world.root, year=YEAR)
    assert (third.created, third.reversed) == (0, 0)
    assert PointEntry.objects.count() == 3 and net(world.member) == Decimal("-2")


def test_a_removed_record_is_reversed(world):
    a = activity(world)
    mark(a, world.member, "present")
    accrue(root=world.root, year=YEAR)
    Attendance.objects.filter(activity=a).delete()
    report = accrue(root=world.root, year=YEAR)
    assert (report.created, report.reversed) == (0, 1)
    assert net(world.member) == 0 and live(world.member) == []
    assert "原记录已删除" in PointEntry.objects.get(reverses__isnull=False).reason


def test_a_branch_accrual_leaves_other_branches_alone(world):
    a1, a2 = activity(world, org=world.b1), activity(world, org=world.b2)
    mark(a1, world.member, "present")
    mark(a2, world.b2_member, "present")
    accrue(root=world.b1, year=YEAR)
    assert live(world.member) and not live(world.b2_member)
    accrue(root=world.root, year=YEAR)
    accrue(root=world.b1, year=YEAR)
    accrue(root=world.b2, year=YEAR)
    assert PointEntry.objects.count() == 2


def test_accrual_uses_a_constant_number_of_queries(world):
    def queries() -> int:
        PointEntry.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            accrue(root=world.root, year=YEAR)
        return len(ctx.captured_queries)

    mark(activity(world), world.member, "present")
    small = queries()
    for i in range(6):
        a = activity(world, day=dt.date(YEAR, 1 + i, 5))
        for m in (world.member, world.sec_member):
            mark(a, m, "present" if i % 2 else "absent")
        mark(activity(world, org=world.b2, day=dt.date(YEAR, 2, 1 + i)), world.b2_member, "present")
    assert queries() == small


def test_special_assessment_auto_rule_counts_tagged_attendance_in_its_window(world):
    special = SpecialAssessment.objects.create(
        org=world.zz, name="安全生产月", starts_on=dt.date(YEAR, 6, 1), ends_on=dt.date(YEAR, 6, 30),
        weight=Decimal("0.1"), max_points=Decimal("100"),
        rules=[{"code": "safety_day", "name": "参加安全主题党日", "kind": "auto", "metric": "attendance_tagged",
                "tag": "安全", "points": 5, "range": [5, 5]}])
    inside = activity(world, kind=ActivityKind.THEME_DAY, day=dt.date(YEAR, 6, 10), tags=["安全"])
    untagged = activity(world, kind=ActivityKind.THEME_DAY, day=dt.date(YEAR, 6, 11), tags=["业务"])
    outside = activity(world, kind=ActivityKind.THEME_DAY, day=dt.date(YEAR, 7, 10), tags=["安全"])
    b2_day = activity(world, org=world.b2, kind=ActivityKind.THEME_DAY, day=dt.date(YEAR, 6, 10), tags=["安全"])
    for a in (inside, untagged, outside):
        mark(a, world.member, "present")
    mark(b2_day, world.b2_member, "present")  # B2 is outside ZZ's subtree
    accrue(root=world.root, year=YEAR)
    specials = PointEntry.objects.filter(assessment=special)
    assert [(e.member_id, e.points, e.category, e.activity_id) for e in specials] == [
        (world.member.pk, Decimal("5"), "special", inside.pk)]
    assert PointEntry.objects.filter(member=world.member, assessment__isnull=True).count() == 3  # +1 each
    assert accrue(root=world.root, year=YEAR).created == 0
    row = year_table(world.root, YEAR).by_member[world.member.pk]
    assert row.specials[special.pk].result == 5 and row.specials[special.pk].contribution == Decimal("0.5")


def test_pack_version_in_force_on_the_record_date_is_used(world):
    from dangjian.points.models import PointPackVersion
    from dangjian.points.pack import DEFAULT_PACK, parse_pack_text
    from dangjian.standards.loader import PACK_DIR

    text = (PACK_DIR / DEFAULT_PACK).read_text(encoding="utf-8").replace("points: -2\n    range: [-2, -2]",
                                                                          "points: -3\n    range: [-3, -3]")
    PointPackVersion.objects.create(org=world.zz, effective_from=dt.date(YEAR, 5, 1),
                                    content=parse_pack_text(text, "zz"), source_text=text)
    before, after = activity(world, day=dt.date(YEAR, 4, 30)), activity(world, day=dt.date(YEAR, 5, 2))
    other = activity(world, org=world.b2, day=dt.date(YEAR, 5, 2))
    mark(before, world.member, "absent")
    mark(after, world.member, "absent")
    mark(other, world.b2_member, "absent")
    accrue(root=world.root, year=YEAR)
    assert sorted(e.points for e in live(world.member)) == [Decimal("-3"), Decimal("-2")]
    assert [e.points for e in live(world.b2_member)] == [Decimal("-2")]


def test_accrual_is_audited_once_when_something_changed(world):
    mark(activity(world), world.member, "present")
    accrue(root=world.root, year=YEAR, actor=world.admin, source="cli")
    entry = AuditEntry.objects.get(object_type="organization", object_id=str(world.root.pk), source="cli")
    assert entry.after["新增记录"] == 1 and entry.actor_id == world.admin.pk
    accrue(root=world.root, year=YEAR)
    assert AuditEntry.objects.filter(object_type="organization", source="cli").count() == 1


# --- the hooks in the meetings services -------------------------------------------------------------------

@pytest.fixture
def held_assembly(world, templates_ready):  # noqa: F811
    a = meetings.activity_create(actor=world.sec1, org=world.b1, kind=ActivityKind.BRANCH_ASSEMBLY,
                                 title="支部党员大会", starts_at=at(timezone.localdate() - dt.timedelta(days=2)),
                                 place="活动室", host=world.sec_member)
    return a


def test_attendance_save_and_advance_accrue(world, held_assembly):
    a = held_assembly
    meetings.attendance_save(actor=world.sec1, activity=a, marks={world.member.pk: ("present", "")})
    assert PointEntry.objects.count() == 0  # planned: not yet counted
    meetings.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.NOTIFIED)
    meetings.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.HELD)
    assert [e.rule for e in live(world.member)] == ["attend_present"]
    assert [e.rule for e in live(world.sec_member)] == ["attend_absent"]  # prefilled 缺席
    meetings.attendance_save(actor=world.sec1, activity=a, marks={world.sec_member.pk: ("present", ""),
                                                                  world.member.pk: ("leave", "出差")})
    assert [e.rule for e in live(world.sec_member)] == ["attend_present"]
    assert live(world.member) == [] and net(world.member) == 0
    assert net(world.sec_member) == 1


def test_moving_an_activity_to_another_year_moves_its_points(world, held_assembly):
    a = held_assembly
    meetings.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.NOTIFIED)
    meetings.activity_advance(actor=world.sec1, activity=a, to=ActivityStatus.HELD)
    assert live(world.sec_member)[0].year == YEAR
    meetings.activity_update(actor=world.sec1, activity=a, starts_at=at(dt.date(YEAR - 1, 12, 1)))
    [entry] = live(world.sec_member)
    assert entry.year == YEAR - 1
    assert net(world.sec_member, "activity") == Decimal("-2")
    assert sum(e.points for e in PointEntry.objects.filter(member=world.sec_member, year=YEAR)) == 0


def test_appraisal_save_accrues(world, templates_ready):  # noqa: F811
    a = meetings.activity_create(actor=world.sec1, org=world.b1, kind=ActivityKind.MEMBER_APPRAISAL,
                                 title="民主评议党员", starts_at=at(timezone.localdate() - dt.timedelta(days=2)),
                                 place="活动室", host=world.sec_member, status=ActivityStatus.HELD)
    records.appraisal_save(actor=world.sec1, activity=a, grades={world.member.pk: ("合格", "")})
    assert [e.points for e in live(world.member, "appraisal_grade")] == [Decimal("8")]
    records.appraisal_save(actor=world.sec1, activity=a, grades={world.member.pk: ("基本合格", "")})
    assert [e.points for e in live(world.member, "appraisal_grade")] == [Decimal("5")]
    records.appraisal_save(actor=world.sec1, activity=a, grades={world.member.pk: ("", "")})
    assert live(world.member, "appraisal_grade") == []
    assert net(world.member, "opinion") == 0


def test_accrue_activity_reports(world):
    a = activity(world)
    mark(a, world.member, "present")
    report = accrue_activity(activity=a)
    assert (report.created, report.years) == (1, [YEAR])
    assert accrue_activity(activity=a).created == 0


def test_workbook_import_accrues_the_imported_attendance(world, templates_ready):  # noqa: F811
    from dangjian.imports.importer import import_workbook
    from dangjian.imports.tests.test_activity_sheets import activity_row, attendance_row, book

    row = activity_row(code="IMP1", starts=f"{YEAR}-03-20 15:00", ends=f"{YEAR}-03-20 16:30")
    result = import_workbook(book(activities=[row], attendance=[attendance_row("IMP1", world.member.id_number)]),
                             actor=world.admin, dry_run=False)
    assert result.written, result.errors
    assert [e.rule for e in live(world.member)] == ["attend_present"]
    assert [e.rule for e in live(world.sec_member)] == ["attend_absent"]  # expected, not listed: 缺席
    again = import_workbook(book(attendance=[attendance_row("IMP1", world.member.id_number, "缺席")]),
                           actor=world.admin, dry_run=False)
    assert again.written, again.errors
    assert [e.rule for e in live(world.member)] == ["attend_absent"] and net(world.member) == Decimal("-2")
    assert net(world.sec_member) == Decimal("-2")
