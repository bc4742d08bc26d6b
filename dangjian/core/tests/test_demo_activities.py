"""The demo's year of organizational life: plausible counts, attendance of the people expected, the three
deliberate gaps and nothing else missing, determinism, and the `demo` command's report."""

import datetime as dt
import hashlib
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from dangjian.demo.generator import generate, reset_demo_data
from dangjian.meetings.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Appraisal,
    AppraisalGrade,
    Attendance,
    FollowUpItem,
)
from dangjian.meetings.rules import excellent_limit
from dangjian.meetings.selectors import activity_quorum, expected_people
from dangjian.meetings.services import late_entry_days
from dangjian.meetings.worktemplates import default_templates, effective_template
from dangjian.orgs.models import COMMITTEE_POSTS, PARTY_MEMBER_CATEGORIES, Member, Organization, OrgKind

TODAY = dt.date(2026, 3, 18)  # a fixed day: the window is 2025-03-01 … the next weeks
K = ActivityKind
HELD = (ActivityStatus.HELD, ActivityStatus.ARCHIVED)
SMALL = {"branches": 6, "members": 200}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return generate(seed=2024, today=TODAY, with_points=False)


def local_day(activity) -> dt.date:
    return timezone.localtime(activity.starts_at).date()


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def periods(kind: str, today: dt.date) -> list[tuple[str, int, int]]:
    """Complete periods of the window (the twelve months before today's month): (kind, year, number)."""
    out = []
    for i in range(month_index(today) - 12, month_index(today)):
        year, month = divmod(i, 12)
        month += 1
        if kind == "month":
            out.append(("month", year, month))
        elif kind == "quarter" and month % 3 == 0:
            out.append(("quarter", year, month // 3))
        elif kind == "half_year" and month % 6 == 0:
            out.append(("half_year", year, month // 6))
        elif kind == "year" and month == 12:
            out.append(("year", year, 1))
    return out


def period_of(kind: str, day: dt.date) -> tuple[str, int, int]:
    number = {"month": day.month, "quarter": (day.month - 1) // 3 + 1, "half_year": (day.month - 1) // 6 + 1,
              "year": 1}[kind]
    return kind, day.year, number


def test_counts_per_kind_are_plausible(demo):
    summary = demo.activities
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    groups = Organization.objects.filter(kind=OrgKind.GROUP).count()
    counts = Counter(Activity.objects.values_list("kind", flat=True))
    assert summary.total == Activity.objects.count() == sum(counts.values())
    assert summary.attendance == Attendance.objects.count()
    months = 13  # twelve complete months and the current one (planned to its end)
    assert months * groups <= counts[K.GROUP_MEETING] <= (months + 1) * groups
    assert months * branches <= counts[K.THEME_DAY] <= (months + 1) * branches
    assert counts[K.BRANCH_ASSEMBLY] == counts[K.PARTY_LECTURE] == 5 * branches  # Q2 2025 … Q1 2026
    assert 11 * branches < counts[K.COMMITTEE_MEETING] < (months + 1) * branches
    assert counts[K.LIFE_MEETING] == counts[K.MEMBER_APPRAISAL] == branches  # the 2025 year-end
    for kind in (K.HEART_TALK, K.VOLUNTEER, K.TOPIC_STUDY):
        assert branches <= counts[kind] <= 8 * branches
    assert set(counts) <= set(K.values) - {K.CAMPAIGN, K.RECRUITMENT_MEETING, K.OTHER}
    assert 15 * Member.objects.count() < summary.attendance < 60 * Member.objects.count()


def test_activities_look_real(demo):
    now = dt.datetime.combine(TODAY, dt.time(12), tzinfo=timezone.get_current_timezone())
    activities = list(Activity.objects.select_related("org", "host", "recorder", "lecturer"))
    root = Organization.objects.get(depth=1)
    branch_of = {o.pk: o.pk for o in Organization.objects.filter(kind=OrgKind.BRANCH)}
    by_path = {o.path: o.pk for o in Organization.objects.filter(kind=OrgKind.BRANCH)}
    branch_of |= {g.pk: by_path[g.path[:-4]] for g in Organization.objects.filter(kind=OrgKind.GROUP)}
    for a in activities:
        assert a.top_org_id == root.pk and a.template_ref == "标准模板 2018.1"
        assert a.title and a.place and a.ends_at > a.starts_at
        assert a.code.startswith(f"{a.org.code}-{local_day(a):%Y%m%d}-")
        if a.starts_at < now:
            assert a.status in HELD and a.minutes and a.recorded_at and a.steps_done
        else:
            assert a.status in (ActivityStatus.PLANNED, ActivityStatus.NOTIFIED) and not a.minutes
        for person in (a.host, a.recorder, a.lecturer):
            assert person is None or person.branch_id == branch_of[a.org_id]
    by_kind = defaultdict(list)
    for a in activities:
        by_kind[a.kind].append(a)
    assert all(a.lecturer_id for a in by_kind[K.PARTY_LECTURE])
    offered = set(default_templates()[K.THEME_DAY]["tags"])
    assert all(len(a.tags) == 1 and a.tags[0] in offered for a in by_kind[K.THEME_DAY])
    assert {a.title for a in by_kind[K.LIFE_MEETING]} == {"2025年度组织生活会"}
    assert any("安全生产月" in a.title for a in by_kind[K.THEME_DAY])
    secretaries = {m.branch_id: m.pk for m in Member.objects.filter(posts__post="书记")}
    assert all(a.host_id == secretaries[a.org_id] for a in by_kind[K.COMMITTEE_MEETING])
    # most attend; some on leave with a reason; a few absent
    statuses = Counter(Attendance.objects.filter(activity__starts_at__lt=now).values_list("status", flat=True))
    total = sum(statuses.values())
    assert 0.82 < statuses["present"] / total < 0.95 and 0.03 < statuses["leave"] / total < 0.12
    assert 0 < statuses["absent"] / total < 0.05
    assert not Attendance.objects.filter(status="leave", reason="").exists()


def test_attendance_is_for_the_people_expected(demo) -> None:
    """Held activities: one row for everyone expected (else a member of the branch); no one else."""
    party: defaultdict[int, set[int]] = defaultdict(set)
    for pk, branch_id in Member.objects.filter(category__in=PARTY_MEMBER_CATEGORIES).values_list("id", "branch_id"):
        party[branch_id].add(pk)
    rows: defaultdict[int, set[int]] = defaultdict(set)
    for activity_id, member_id in Attendance.objects.values_list("activity_id", "member_id"):
        rows[activity_id].add(member_id)
    templates: dict = {}
    for a in Activity.objects.select_related("org"):
        day = local_day(a)
        template = templates.setdefault((a.kind, day), effective_template(a.kind, a.org, day))
        if template.get("expected") == "none":
            assert rows[a.id] and rows[a.id] <= party[a.org_id], a.code
            continue
        expected = {p.id for p in expected_people(a.org, template, day)}
        assert rows[a.id] == expected, a.code


def test_the_gaps_are_listed_and_nothing_else_is_missing(demo):
    """Every requirement of the templates is met in every complete period, except the three listed gaps."""
    check_gaps(demo, TODAY)


@pytest.mark.django_db
def test_the_gaps_also_in_the_fourth_quarter():
    today = dt.date(2026, 11, 21)
    summary = generate(seed=2024, today=today, with_users=False, with_points=False)
    check_gaps(summary, today)
    planned = Activity.objects.filter(status__in=(ActivityStatus.PLANNED, ActivityStatus.NOTIFIED))
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    assert planned.filter(kind=K.LIFE_MEETING, title="2026年度组织生活会").count() + Activity.objects.filter(
        kind=K.LIFE_MEETING, title="2026年度组织生活会", status__in=HELD).count() == branches


def check_gaps(demo, today: dt.date) -> None:
    templates = default_templates()
    branches = list(Organization.objects.filter(kind=OrgKind.BRANCH).order_by("path"))
    groups = defaultdict(list)
    for g in Organization.objects.filter(kind=OrgKind.GROUP):
        groups[g.path[:-4]].append(g)
    committee = Counter(Member.objects.filter(category__in=PARTY_MEMBER_CATEGORIES, posts__post__in=COMMITTEE_POSTS)
                        .values_list("branch_id", flat=True).distinct())
    held: defaultdict[tuple, int] = defaultdict(int)
    quorum_failed = []
    for a in Activity.objects.filter(status__in=HELD).select_related("org"):
        if templates[a.kind].get("quorum"):
            quorum, _ = activity_quorum(a)
            if not quorum.met:
                quorum_failed.append(a)
                continue
        period = templates[a.kind]["frequency"]["period"]
        if period != "none":
            held[(a.org_id, a.kind, period_of(period, local_day(a)))] += 1
    missing = []
    for b in branches:
        for kind, t in templates.items():
            freq = t["frequency"]
            if freq["period"] == "none" or (t["expected"] == "committee" and committee[b.pk] < 3):
                continue
            units = groups[b.path] if t["holder"] == ["group"] else [b]
            for unit in units:
                for p in periods(freq["period"], today):
                    if held[(unit.pk, kind, p)] < freq["times"]:
                        missing.append((b.code, kind, p))
    by_code = {b.code: b for b in branches}
    gaps = demo.gaps
    assert len(gaps) == 3 and len(quorum_failed) == 1
    thin = quorum_failed[0]
    assert thin.kind == K.BRANCH_ASSEMBLY
    quarter = ("quarter", local_day(thin).year, (local_day(thin).month - 1) // 3 + 1)
    late = Activity.objects.get(late_entry=True)
    year = local_day(late).year - 1
    assert late.kind == K.LIFE_MEETING and local_day(late).month == 2 and late.title == f"{year}年度组织生活会"
    assert late.recorded_at is not None and late.ends_at is not None
    assert late.recorded_at - late.ends_at > dt.timedelta(days=late_entry_days())
    missed = next(m for m in missing if m[1] == K.COMMITTEE_MEETING)
    assert sorted(missing) == sorted([missed, (thin.org.code, K.BRANCH_ASSEMBLY, quarter),
                                      (late.org.code, K.LIFE_MEETING, ("year", year, 1))])
    texts = "\n".join(gaps)
    assert f"{by_code[missed[0]].name}（{missed[0]}）{missed[2][1]}年{missed[2][2]}月没有召开支部委员会" in texts
    assert f"{thin.org.name}（{thin.org.code}）{quarter[1]}年第" in texts and "未超过半数" in texts
    assert f"{late.org.name}（{late.org.code}）{year}年度组织生活会推迟到{year + 1}年2月" in texts and "补录" in texts
    assert "未超过半数" in thin.minutes


def test_year_end_grades_and_rectification_lists(demo):
    ratio = default_templates()[K.MEMBER_APPRAISAL]["params"]["excellent_max_ratio"]
    for a in Activity.objects.filter(kind=K.MEMBER_APPRAISAL, status__in=HELD):
        grades = Counter(Appraisal.objects.filter(activity=a).values_list("grade", flat=True))
        graded = sum(grades.values())
        assert graded == Attendance.objects.filter(activity=a).count() > 0
        assert grades[AppraisalGrade.EXCELLENT] <= excellent_limit(graded, ratio)  # 优秀 at most one third
        assert grades[AppraisalGrade.EXCELLENT] > 0 or graded < 6
        assert not grades[AppraisalGrade.UNQUALIFIED]
    for a in Activity.objects.filter(kind=K.LIFE_MEETING, status__in=HELD):
        items = list(FollowUpItem.objects.filter(activity=a))
        assert 3 <= len(items) <= 4 and all(i.owner_id and i.due_on > local_day(a) for i in items)


def digest() -> str:
    h = hashlib.sha256()
    for qs in [
        Activity.objects.order_by("code").values_list(
            "code", "org__code", "kind", "title", "starts_at", "ends_at", "place", "host__id_number",
            "recorder__id_number", "lecturer__id_number", "agenda", "minutes", "status", "tags", "late_entry"),
        Attendance.objects.order_by("activity__code", "member__id_number").values_list(
            "activity__code", "member__id_number", "status", "reason", "requested_by_member"),
        Appraisal.objects.order_by("activity__code", "member__id_number").values_list(
            "activity__code", "member__id_number", "grade"),
        FollowUpItem.objects.order_by("activity__code", "content").values_list("activity__code", "content", "due_on"),
    ]:
        for row in qs:
            h.update(repr(row).encode())
    return h.hexdigest()


@pytest.mark.django_db
def test_same_seed_gives_the_same_activities():
    first = generate(**SMALL, seed=11, today=TODAY, with_users=False, with_points=False)
    fingerprint = digest()
    reset_demo_data()
    assert not Activity.objects.exists() and not Attendance.objects.exists()
    second = generate(**SMALL, seed=11, today=TODAY, with_users=False, with_points=False)
    assert digest() == fingerprint and second.gaps == first.gaps
    reset_demo_data()
    generate(**SMALL, seed=12, today=TODAY, with_users=False, with_points=False)
    assert digest() != fingerprint


@pytest.mark.django_db
def test_without_activities():
    summary = generate(**SMALL, seed=11, with_activities=False, with_users=False, with_points=False)
    assert summary.activities is None and summary.gaps == [] and not Activity.objects.exists()


@pytest.mark.django_db
def test_demo_command_reports_the_year_and_its_gaps():
    out = io.StringIO()
    call_command("demo", branches=8, members=260, seed=3, stdout=out)
    text = out.getvalue()
    assert "组织生活记录：" in text and "出勤记录" in text and "有意留下的问题" in text
    assert "没有召开支部委员会" in text and "未超过半数" in text and "补录" in text
    out = io.StringIO()
    call_command("demo", branches=7, members=260, seed=4, reset=True, stdout=out)
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() == 7
    assert Activity.objects.exists() and not Activity.objects.exclude(
        org__path__startswith=Organization.objects.get(depth=1).path).exists()


def test_compliance_check_finds_exactly_the_seeded_gaps(demo):
    """The compliance engine over the demo group finds the gaps the demo lists and the structure it seeds
    (the largest and the tiny branch, the branch short of committee members, an overdue and a due term),
    and nothing else, in every period of the window."""
    import re

    from dangjian.compliance.engine import check, lookback_months
    from dangjian.compliance.facts import load_facts
    from dangjian.compliance.pack import load_pack

    pack = load_pack()
    root = Organization.objects.get(depth=1)
    window_start = dt.date(TODAY.year - 1, TODAY.month, 1)
    found = set()
    for year in (TODAY.year - 1, TODAY.year):
        for f in check(load_facts(root, year, lookback_months(pack)), pack, year, TODAY).findings:
            # Months and quarters before the window (no demo records there) are not the demo's to fill.
            if f.period and len(f.period) > 4:
                y, part = f.period.split("-")
                month = 3 * int(part[1]) - 2 if part.startswith("Q") else int(part)
                if dt.date(int(y), month, 1) < window_start:
                    continue
            found.add((f.rule, f.org, f.period))
    code = {o.name: o.code for o in Organization.objects.filter(kind=OrgKind.BRANCH)}
    expected = {("ZB-ORG-SIZE", code["集装箱码头党支部"], None), ("ZB-ORG-SIZE", code["船舶代理公司党支部"], None),
                ("ZB-ORG-COMMITTEE", code["铁路运输队党支部"], None), ("ZB-ORG-TERM", code["港口工程队党支部"], None),
                ("ZB-ORG-TERM", code["机关第二党支部"], None)}
    for gap in demo.gaps:
        org = re.search(r"（(\w+)）", gap).group(1)
        if m := re.search(r"(\d{4})年(\d+)月没有召开支部委员会", gap):
            expected.add(("ZB-ZWH-MONTHLY", org, f"{m[1]}-{int(m[2]):02d}"))
        elif m := re.search(r"(\d{4})年第(.)季度支部党员大会到会人数不足", gap):
            quarter = f"{m[1]}-Q{'一二三四'.index(m[2]) + 1}"
            thin = [f for f in found if f[:2] == ("ZB-DYDH-QUORUM", org)]  # its month is in the quarter
            assert len(thin) == 1 and thin[0][2] in {f"{m[1]}-{3 * int(quarter[-1]) - k:02d}" for k in range(3)}
            expected |= {("ZB-DYDH-QUARTERLY", org, quarter), thin[0]}
        else:
            m = re.search(r"(\d{4})年度组织生活会推迟", gap)
            expected.add(("ZB-ZZSHH-YEARLY", org, m[1]))
    assert len(demo.gaps) == 3 and found == expected
