"""Selectors: live evaluation of a subtree, one evaluation's subject, confirmed results read frozen, the JSON
of the CLI/API, KPI comparisons and the model-post wall — and the issue's test on 基本活动."""

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.assessment import selectors
from dangjian.assessment.engine import result_json
from dangjian.assessment.models import (
    Evaluation,
    EvaluationStatus,
    ItemScore,
    KpiIndicator,
    KpiValue,
    Post,
    VetoMark,
)
from dangjian.assessment.tests.test_facts import YEAR, activity, full_year
from dangjian.meetings.models import Activity
from dangjian.meetings.tests.conftest import templates_ready  # noqa: F401 - the fixture
from dangjian.standards.loader import PackError

pytestmark = pytest.mark.usefixtures("templates_ready")


def b1_result(world, code="dabiao-chuangxing", period=YEAR):
    [r] = [r for r in selectors.evaluate_subtree(code, world.root, period) if r.subject.code == "B1"]
    return r


def evaluation(world, status=EvaluationStatus.DRAFT, version=1, scheme="dabiao-chuangxing", key=None, **kw):
    return Evaluation.objects.create(scheme=scheme, subject_kind=kw.pop("kind", "branch"),
                                     subject_key=key or f"org:{world.b1.pk}", org=kw.pop("org", world.b1),
                                     top_org=world.root, period=kw.pop("period", str(YEAR)), year=YEAR,
                                     version=version, status=status, **kw)


def test_complete_records_score_strictly_higher_on_basic_activity_than_a_missed_month(world):
    """The issue: a branch whose records are complete scores strictly higher on 基本活动 than the same branch
    with a missed month."""
    members = [world.sec_member, world.member]
    full_year(world.b1, world.g1, members, world.root)
    complete = b1_result(world)
    Activity.objects.filter(org=world.b1, kind="theme_day", starts_at__month=7).delete()
    missed = b1_result(world)
    assert missed.dimensions["基本活动"].points < complete.dimensions["基本活动"].points
    assert missed.score < complete.score
    theme = next(i for i in missed.items if i.code == "basic_activity.theme_day")
    assert f"主题党日{YEAR}-07" in theme.text
    assert next(i for i in complete.items if i.code == "basic_activity.theme_day").points == Decimal("5.00")


def test_complete_records_fill_every_automatic_activity_item(world):
    full_year(world.b1, world.g1, [world.sec_member, world.member], world.root)
    r = b1_result(world)
    auto = {i.code: i for i in r.items if i.dimension == "基本活动" and i.how == "自动"}
    assert all(i.points == i.max for i in auto.values()), {c: (i.points, i.text) for c, i in auto.items()}
    assert r.dimensions["基本活动"].points == Decimal("22.00")  # 25 × 22 / 25: only the reviewer item is left
    assert "待评审：活动形式丰富、有创新" in r.missing


def test_evaluate_subtree_is_scoped_to_the_subtree(world):
    assert [r.subject.code for r in selectors.evaluate_subtree("dabiao-chuangxing", world.zz, YEAR)] == ["B1"]
    assert {r.subject.code for r in selectors.evaluate_subtree("dabiao-chuangxing", world.root, YEAR)} == {"B1", "B2"}


def test_bad_scheme_and_period(world):
    with pytest.raises(PackError):
        selectors.evaluate_subtree("nope", world.root, YEAR)
    with pytest.raises(ValueError, match="考核期间"):
        selectors.evaluate_subtree("dabiao-chuangxing", world.root, "2026-13")


def test_evaluate_subject_uses_that_evaluations_scores_and_vetoes(world):
    ev = evaluation(world)
    ItemScore.objects.create(evaluation=ev, item="basic_support.brand", stage="self", points=Decimal(4))
    VetoMark.objects.create(evaluation=ev, veto="discipline_case", reason="党员严重违纪", stage="review")
    r = selectors.evaluate_subject(ev)
    assert r.subject.code == "B1"
    assert next(i for i in r.items if i.code == "basic_support.brand").points == Decimal("4.00")
    assert r.vetoed and r.level == "不达标" and not r.passed


def test_one_subject_evaluates_as_within_the_whole_group(world):
    full_year(world.b1, world.g1, [world.sec_member, world.member], world.root, skip_theme_month=2)
    ev = evaluation(world)
    ItemScore.objects.create(evaluation=ev, item="basic_support.brand", stage="review", points=Decimal(3))
    alone = result_json(selectors.evaluate_subject(ev))
    within = result_json(b1_result(world))
    assert alone == within and alone["score"] > 0


def test_member_subject_of_an_evaluation(world):
    ev = evaluation(world, scheme="shuangbai-member", key=f"member:{world.member.pk}", kind="member",
                    member=world.member)
    ItemScore.objects.create(evaluation=ev, item="duty.duty", stage="review", points=Decimal(18))
    r = selectors.evaluate_subject(ev)
    assert r.subject.name == "李党员"
    assert r.dimensions["履职尽责"].points == Decimal("18.00")


def test_results_read_confirmed_results_frozen_and_others_live(world):
    full_year(world.b1, world.g1, [world.sec_member, world.member], world.root)
    frozen = result_json(b1_result(world))
    ev = evaluation(world, status=EvaluationStatus.CONFIRMED, result=frozen, score=Decimal(str(frozen["score"])),
                    level=frozen["level"])
    Activity.objects.filter(org=world.b1).delete()  # records change after the confirmation
    rows = {row.subject["code"]: row for row in selectors.results("dabiao-chuangxing", world.root, YEAR)}
    assert rows["B1"].live is False and rows["B1"].result == frozen and rows["B1"].evaluation_id == ev.pk
    assert rows["B2"].live is True and rows["B2"].evaluation_id is None
    assert b1_result(world).score < Decimal(str(frozen["score"]))  # live would have changed
    # a superseded version's result is not the current one
    ev.status = EvaluationStatus.SUPERSEDED
    ev.save(update_fields=["status"])
    evaluation(world, version=2)
    rows = {row.subject["code"]: row for row in selectors.results("dabiao-chuangxing", world.root, YEAR)}
    assert rows["B1"].live is True and rows["B1"].version == 2 and rows["B1"].status == "draft"


def test_results_are_ranked_with_ties(world):
    rows = selectors.results("dabiao-chuangxing", world.root, YEAR)
    assert [r.rank for r in rows] == [1, 1]  # both branches have no records: the same score
    full_year(world.b1, world.g1, [world.sec_member, world.member], world.root)
    rows = selectors.results("dabiao-chuangxing", world.root, YEAR)
    assert [(r.subject["code"], r.rank) for r in rows] == [("B1", 1), ("B2", 2)]
    counts = selectors.level_counts(selectors.load_scheme("dabiao-chuangxing"), rows)
    assert list(counts) == ["五星", "四星", "三星", "二星", "一星", "不达标"] and sum(counts.values()) == 2


def test_a_vetoed_subject_ranks_after_all_others():
    def row(key, score, vetoed=False):
        return selectors.ResultRow(key, {"score": score, "vetoed": vetoed, "subject": {"name": key}}, True)
    rows = selectors.rank_rows([row("甲", 92, True), row("乙", 91), row("丙", 70), row("丁", 70), row("戊", 10, True)])
    assert [(r.key, r.rank) for r in rows] == [("乙", 1), ("丁", 2), ("丙", 2), ("甲", 4), ("戊", 5)]


def test_to_json_shape(world):
    rows = selectors.results("dabiao-chuangxing", world.root, YEAR)
    data = selectors.to_json("dabiao-chuangxing", world.root, YEAR, rows)
    assert (data["scheme"], data["org"], data["year"]) == ("dabiao-chuangxing", "ROOT", YEAR)
    first = data["results"][0]
    assert {"subject", "score", "level", "vetoed", "dimensions", "items"} <= set(first)
    assert list(first["dimensions"]) == ["基本组织", "基本队伍", "基本活动", "基本作用", "基本制度", "基本保障"]
    assert {r["subject"] for r in data["results"]} == {"B1", "B2"}
    assert all("missing" in i and "points" in i and "max" in i for i in first["items"])


def test_kpi_comparison_with_last_year_and_earlier_years(world):
    post = Post.objects.create(org=world.b1, name="调度岗", kind="kpi", holder=world.member)
    tons = KpiIndicator.objects.create(post=post, code="tons", name="吞吐量", coefficient=Decimal(1),
                                       from_year=YEAR - 3)
    waste = KpiIndicator.objects.create(post=post, code="waste", name="损耗率", coefficient=Decimal(1),
                                        higher_is_better=False, from_year=YEAR)
    for year, actual in ((YEAR, 120), (YEAR - 1, 100), (YEAR - 2, 80)):
        KpiValue.objects.create(indicator=tons, period=str(year), year=year, target=Decimal(100), actual=Decimal(actual))
        KpiValue.objects.create(indicator=tons, period=f"{year}-Q2", year=year, target=Decimal(50),
                                actual=Decimal(actual) / 2)
    KpiValue.objects.create(indicator=waste, period=str(YEAR), year=YEAR, target=Decimal(2), actual=Decimal(4))
    rows = selectors.kpi_comparison(post, YEAR)
    by = {(r.code, r.period): r for r in rows}
    year_row = by[("tons", str(YEAR))]
    assert (year_row.completion, year_row.last_year, year_row.change) == (Decimal("1.2"), Decimal(1), Decimal("0.2"))
    assert year_row.earlier == [(str(YEAR - 2), Decimal("0.8")), (str(YEAR - 3), None)]
    q2 = by[("tons", f"{YEAR}-Q2")]
    assert (q2.completion, q2.last_year) == (Decimal("1.2"), Decimal(1))
    assert by[("waste", str(YEAR))].completion == Decimal("0.5") and by[("waste", str(YEAR))].last_year is None


def test_wall_shows_the_months_best_model_posts(world):
    month = f"{YEAR}-05"
    posts = [Post.objects.create(org=world.b1, name=f"示范岗{i}", kind="model", holder=world.member) for i in range(3)]
    Post.objects.create(org=world.b2, name="KPI岗", kind="kpi")
    for post, points in zip(posts, (28, 30, 10), strict=True):
        ev = evaluation(world, scheme="model-post", key=f"post:{post.pk}", kind="post", post=post, period=month)
        for item, share in (("politics.attendance", 12), ("politics.politics", 18), ("skill.skill", points),
                            ("performance.points", 10), ("performance.results", 30)):
            ItemScore.objects.create(evaluation=ev, item=item, stage="review", points=Decimal(share))
    wall = selectors.wall(world.root, month, 2)
    assert [row.subject["name"] for row in wall] == ["示范岗1（李党员）", "示范岗0（李党员）"]
    assert [row.rank for row in wall] == [1, 2]
    assert len(selectors.wall(world.root, month)) == 3  # the default top N (10) holds them all
    assert selectors.wall(world.zz, month, 5)[0].subject["org_name"] == "装卸一队党支部"


def test_schemes_list_and_summary():
    codes = [s["code"] for s in selectors.schemes()]
    assert "dabiao-chuangxing" in codes
    summary = selectors.scheme_summary(selectors.load_scheme("post-kpi"))
    assert summary["subject_label"] == "岗位" and summary["dimensions"] == [
        {"code": "kpi", "name": "KPI指标完成", "weight": 100}]


def test_branch_activity_in_the_future_does_not_count_yet(world):
    activity(world.b1, "life_meeting", dt.date(YEAR, 12, 1), top=world.root, status="planned")
    r = b1_result(world)
    assert next(i for i in r.items if i.code == "basic_activity.life_meeting").points == Decimal("0.00")
