"""Loading the facts of a scheme: a constant number of queries whatever the number of branches, the same
compliance judgement as the compliance app, reviewer scores and vetoes from the current evaluations."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_id
from dangjian.assessment import facts as af
from dangjian.assessment.models import (
    ChecklistItem,
    Evaluation,
    EvaluationStatus,
    ItemScore,
    KpiIndicator,
    KpiValue,
    Post,
    VetoMark,
)
from dangjian.assessment.schemes import load_scheme
from dangjian.compliance import engine as ce
from dangjian.compliance.facts import load_facts
from dangjian.compliance.pack import load_pack
from dangjian.meetings.models import Activity, Attendance
from dangjian.meetings.tests.conftest import templates_ready  # noqa: F401 - the fixture
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Category, Member, WorkTeam

pytestmark = pytest.mark.usefixtures("templates_ready")
YEAR = timezone.localdate().year - 1
DABIAO = load_scheme("dabiao-chuangxing")
_codes = iter(range(1, 10**6))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


def activity(org, kind, day, *, status="held", top=None, present=(), absent=()):
    a = Activity.objects.create(code=f"T{next(_codes)}", org=org, top_org=top or org, kind=kind, title=kind,
                                starts_at=at(day), status=status)
    Attendance.objects.bulk_create([Attendance(activity=a, member=m, status="present") for m in present]
                                   + [Attendance(activity=a, member=m, status="absent") for m in absent])
    return a


def full_year(branch, group, members, top, year=YEAR, skip_theme_month=None):
    """A year of complete organizational life for a branch: monthly 主题党日 (but `skip_theme_month`) and
    党小组会, quarterly 支部党员大会 (all present) and 党课, a 组织生活会 and a 民主评议党员."""
    for month in range(1, 13):
        if month != skip_theme_month:
            activity(branch, "theme_day", dt.date(year, month, 10), top=top, present=members)
        if group is not None:
            activity(group, "group_meeting", dt.date(year, month, 12), top=top, present=members)
    for q in range(4):
        activity(branch, "branch_assembly", dt.date(year, 3 * q + 2, 5), top=top, present=members)
        activity(branch, "party_lecture", dt.date(year, 3 * q + 2, 6), top=top, present=members)
    activity(branch, "life_meeting", dt.date(year, 12, 1), top=top, present=members)
    activity(branch, "member_appraisal", dt.date(year, 12, 2), top=top, present=members)


def add_branch(world, code, n_members=3, teams=1):
    branch = org_services.org_create(actor=None, parent=world.root, code=code, name=f"{code}党支部", kind="branch",
                                     founded_on=dt.date(2010, 1, 1))
    members = [org_services.member_create(actor=None, id_number=make_id("19900101", 100 + next(_codes) % 800),
                                          name=f"{code}党员{i}", category=Category.FULL, branch=branch)
               for i in range(n_members)]
    for t in range(teams):
        team = WorkTeam.objects.create(code=f"{code}-T{t}", name=f"{code}班组{t}", branch=branch)
        Member.objects.filter(pk=members[0].pk).update(team=team)
    full_year(branch, None, members, world.root)
    ChecklistItem.objects.create(org=branch, year=YEAR, title="建阵地", due_on=dt.date(YEAR, 6, 30))
    return branch


def queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("code", ["dabiao-chuangxing", "shuangbai-member", "wuhao-banzu", "model-post"])
def test_constant_number_of_queries_whatever_the_number_of_branches(world, code):
    scheme = load_scheme(code)
    period = f"{YEAR}-06" if scheme["period"] == "month" else str(YEAR)
    add_branch(world, "X1")
    small = queries(lambda: af.load_scheme_facts(scheme, world.root, period))
    for code_ in ("X2", "X3", "X4"):
        add_branch(world, code_, n_members=5, teams=2)
    big = queries(lambda: af.load_scheme_facts(scheme, world.root, period))
    assert big == small


def test_subjects_of_each_kind(world):
    team = WorkTeam.objects.create(code="T1", name="装卸班", branch=world.b1)
    post = Post.objects.create(org=world.b1, name="调度示范岗", kind="model", holder=world.member)
    Post.objects.create(org=world.b1, name="停用岗", kind="model", active=False)
    Post.objects.create(org=world.b2, name="KPI岗", kind="kpi")
    f = af.load_scheme_facts(DABIAO, world.zz, YEAR)
    assert [s.code for s in f.subjects] == ["B1"]
    f = af.load_scheme_facts(load_scheme("shuangbai-member"), world.root, YEAR)
    assert {s.name for s in f.subjects} == {"张书记", "李党员", "王机关"}
    f = af.load_scheme_facts(load_scheme("wuhao-banzu"), world.root, YEAR)
    assert [(s.key, s.org_id) for s in f.subjects] == [(f"team:{team.pk}", world.b1.pk)]
    f = af.load_scheme_facts(load_scheme("model-post"), world.root, f"{YEAR}-03")
    assert [(s.key, s.name) for s in f.subjects] == [(f"post:{post.pk}", "调度示范岗（李党员）")]


@pytest.mark.parametrize(("kind", "bad"), [("year", "26"), ("quarter", "2026-Q5"), ("month", "2026-13"),
                                           ("month", "2026"), ("year", "abcd")])
def test_malformed_periods_are_refused_in_chinese(kind, bad):
    with pytest.raises(ValueError, match="考核期间"):
        af.parse_period(kind, bad)


def test_period_spans():
    span = af.parse_period("quarter", "2026-Q2")
    assert (span.start, span.end) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert af.parse_period("month", "2026-02").end == dt.date(2026, 2, 28)
    span = af.parse_period("year", "2025")
    assert af.default_as_of(span, dt.date(2026, 5, 1)) == dt.date(2026, 1, 1)
    assert af.default_as_of(span, dt.date(2025, 5, 1)) == dt.date(2025, 5, 1)


def test_compliance_judgement_agrees_with_the_compliance_app(world):
    members = [world.sec_member, world.member]
    full_year(world.b1, world.g1, members, world.root, skip_theme_month=4)
    activity(world.b1, "branch_assembly", dt.date(YEAR, 8, 20), top=world.root, present=members[:1],
             absent=members[1:])  # exactly half: no quorum
    pack, as_of = load_pack(), dt.date(YEAR + 1, 1, 1)
    theirs = ce.check(load_facts(world.root, YEAR, 0), pack, YEAR, as_of)
    ours = ce.check(af.compliance_facts(world.root, YEAR), pack, YEAR, as_of)
    def key(r):
        return sorted((f.rule, f.org, f.period, f.activity, f.message) for f in r.findings
                      if f.rule != "ZB-MEMBER-ABSENT-6M")
    assert key(ours) == key(theirs)
    assert ("ZB-ZTDR-MONTHLY", "B1", f"{YEAR}-04") in {(f[0], f[1], f[2]) for f in key(ours)}
    assert any(f[0] == "ZB-DYDH-QUORUM" for f in key(ours))


def test_frequency_checks_filed_under_the_branch(world):
    full_year(world.b1, world.g1, [world.sec_member, world.member], world.root, skip_theme_month=4)
    f = af.load_scheme_facts(DABIAO, world.root, YEAR)
    sanhui = f.metrics[(f"org:{world.b1.pk}", "sanhui_completion")]
    assert sanhui.value == 1.0
    # 4 quarterly assemblies + 4 quarterly lectures + 12 monthly meetings of G1 (no committee: < 7 full members)
    assert sanhui.text == "应按期开展三会一课20个周期，按期完成20个"
    assert len(sanhui.records) == 20
    theme = f.metrics[(f"org:{world.b1.pk}", "theme_day_completion")]
    assert theme.value == pytest.approx(11 / 12) and f"主题党日{YEAR}-04" in theme.text
    b2 = f.metrics[(f"org:{world.b2.pk}", "sanhui_completion")]
    assert b2.value == 0.0


def test_reviewer_scores_prefer_review_and_skip_superseded(world):
    key = f"org:{world.b1.pk}"
    common = {"scheme": "dabiao-chuangxing", "subject_kind": "branch", "subject_key": key, "org": world.b1,
              "top_org": world.root, "period": str(YEAR), "year": YEAR}
    old = Evaluation.objects.create(**common, version=1, status=EvaluationStatus.SUPERSEDED)
    ItemScore.objects.create(evaluation=old, item="basic_org.integration", stage="review", points=Decimal(1))
    ev = Evaluation.objects.create(**common, version=2, status=EvaluationStatus.SUBMITTED)
    ItemScore.objects.create(evaluation=ev, item="basic_org.integration", stage="self", points=Decimal(3),
                             by=world.sec1, evidence="会议纪要")
    ItemScore.objects.create(evaluation=ev, item="basic_team.training", stage="self", points=Decimal(4))
    ItemScore.objects.create(evaluation=ev, item="basic_team.training", stage="review", points=Decimal(2),
                             note="培训计划未落实", by=world.orgadmin)
    VetoMark.objects.create(evaluation=ev, veto="safety_accident", reason="3月发生重大安全事故", stage="review",
                            by=world.orgadmin)
    f = af.load_scheme_facts(DABIAO, world.root, YEAR)
    integration = f.reviewer[(key, "basic_org.integration")]
    assert (integration.points, integration.stage, integration.by, integration.evidence) == (
        Decimal(3), "self", "sec1", "会议纪要")
    training = f.reviewer[(key, "basic_team.training")]
    assert (training.points, training.stage, training.note, training.by) == (Decimal(2), "review", "培训计划未落实",
                                                                             "组织部")
    assert [(v.code, v.reason) for v in f.vetoes[key]] == [("safety_accident", "3月发生重大安全事故")]
    f = af.load_scheme_facts(DABIAO, world.root, YEAR, evaluation=old)
    assert f.reviewer[(key, "basic_org.integration")].points == Decimal(1)


def test_points_are_missing_until_calculated(world):
    f = af.load_scheme_facts(load_scheme("shuangbai-member"), world.root, YEAR)
    mv = f.metrics[(f"member:{world.member.pk}", "member_points_total")]
    assert mv.value is None and mv.missing.startswith("党员积分尚未计算")


def test_kpi_facts(world):
    post = Post.objects.create(org=world.b1, name="调度岗", kind="kpi", holder=world.member)
    ind = KpiIndicator.objects.create(post=post, code="tons", name="吞吐量", unit="万吨", coefficient=Decimal(2),
                                      from_year=YEAR - 1)
    KpiIndicator.objects.create(post=post, code="later", name="新指标", from_year=YEAR + 1)
    KpiValue.objects.create(indicator=ind, period=str(YEAR), year=YEAR, target=Decimal(100), actual=Decimal(90))
    KpiValue.objects.create(indicator=ind, period=str(YEAR - 1), year=YEAR - 1, target=Decimal(100), actual=Decimal(50))
    f = af.load_scheme_facts(load_scheme("post-kpi"), world.root, YEAR)
    [k] = f.kpi[f"post:{post.pk}"]
    assert (k.code, k.coefficient, k.target, k.actual) == ("tons", Decimal(2), Decimal(100), Decimal(90))


def test_checklists_tasks_and_attendance(world):
    ChecklistItem.objects.create(org=world.b1, year=YEAR, title="建阵地", due_on=dt.date(YEAR, 6, 30),
                                 done_on=dt.date(YEAR, 6, 1))
    ChecklistItem.objects.create(org=world.b1, member=world.member, year=YEAR, title="讲微党课",
                                 due_on=dt.date(YEAR, 6, 30))
    activity(world.b1, "theme_day", dt.date(YEAR, 3, 1), top=world.root, present=[world.sec_member],
             absent=[world.member])
    f = af.load_scheme_facts(DABIAO, world.root, YEAR)
    assert f.metrics[(f"org:{world.b1.pk}", "checklist_completion")].value == 1.0
    assert f.metrics[(f"org:{world.b1.pk}", "rectification_on_time")].value == 1.0
    f = af.load_scheme_facts(load_scheme("shuangbai-member"), world.root, YEAR)
    assert f.metrics[(f"member:{world.member.pk}", "member_attendance_rate")].value == 0.0
    assert f.metrics[(f"member:{world.sec_member.pk}", "member_attendance_rate")].value == 1.0
    assert f.metrics[(f"member:{world.member.pk}", "member_checklist_completion")].value == 0.0


def test_points_come_from_the_points_year_totals(world):
    from dangjian.points import selectors as points_selectors
    from dangjian.points.services import entry_award

    today = timezone.localdate()
    entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points=Decimal(-2), occurred_on=today,
                reason="无故迟到")
    totals = points_selectors.year_totals(world.root, today.year)
    f = af.load_scheme_facts(load_scheme("shuangbai-member"), world.root, today.year)
    for m in (world.member, world.sec_member):
        mv = f.metrics[(f"member:{m.pk}", "member_points_total")]
        assert mv.value == float(totals[m.pk].total)
    assert f.metrics[(f"member:{world.member.pk}", "member_points_total")].value < f.metrics[
        (f"member:{world.sec_member.pk}", "member_points_total")].value
    f = af.load_scheme_facts(DABIAO, world.root, today.year)
    avg = f.metrics[(f"org:{world.b1.pk}", "avg_member_points")]
    assert avg.value == float((totals[world.member.pk].total + totals[world.sec_member.pk].total) / 2)


def test_post_holder_points_come_from_the_months_points(world):
    from dangjian.points import selectors as points_selectors
    from dangjian.points.services import entry_award

    today = timezone.localdate()
    month = f"{today.year}-{today.month:02d}"
    post = Post.objects.create(org=world.b1, name="先锋岗", kind="vanguard", holder=world.member)
    entry_award(actor=world.sec1, member=world.member, rule="discipline_deduct", points=Decimal(-2), occurred_on=today,
                reason="无故迟到")
    expected = points_selectors.year_table(world.root, today.year, period=month).by_member[world.member.pk].total
    f = af.load_scheme_facts(load_scheme("model-post"), world.root, month)
    mv = f.metrics[(f"post:{post.pk}", "post_holder_points_month")]
    assert mv.value == float(expected) and mv.text.startswith(f"李党员{month}积分")
