"""The pure engine on hand-made schemes and facts: scoring types, caps, weights, band boundaries, vetoes,
reviewer scores beside automatic ones, missing data, KPI posts and the frozen JSON form."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.assessment import engine
from dangjian.assessment.engine import KpiFact, MetricValue, ReviewerScore, SchemeFacts, Subject, VetoFact
from dangjian.assessment.schemes import load_scheme, validate_scheme

B = Subject("branch", "org:1", 1, "B1", "一支部", 1, "00010001", "一支部")
D = Decimal


def mini(items_a=None, items_b=None, levels=None):
    """Two dimensions (A 60, B 40) over branch metrics; levels 好 ≥ 80, 中 [60, 80), 差 < 60."""
    return validate_scheme({
        "_file": "mini.yaml", "code": "mini", "version": "1", "name": "测试方案", "subject": "branch",
        "period": "year", "source": "测试", "total": 100,
        "dimensions": {
            "a": {"name": "甲", "weight": 60, "items": items_a or {
                "x": {"name": "完成率", "max": 10, "metric": "sanhui_completion", "source": "s",
                      "scoring": {"type": "ratio", "full_at": 1, "zero_at": 0.5}},
                "y": {"name": "评审", "max": 10, "reviewer": True, "criteria": "c", "source": "s"}}},
            "b": {"name": "乙", "weight": 40, "items": items_b or {
                "z": {"name": "设置", "max": 5, "metric": "committee_complete", "scoring": {"type": "boolean"},
                      "source": "s"}}},
        },
        "vetoes": {"case": {"name": "违纪案件", "source": "s"}},
        "levels": levels or [{"name": "好", "min": 80}, {"name": "中", "min": 60, "below": 80},
                             {"name": "差", "min": 0, "below": 60}],
        "pass_min": 60, "veto_level": "差",
    })


def facts(metrics=None, reviewer=None, vetoes=None, subjects=(B,)):
    return SchemeFacts(subjects=list(subjects), metrics={(B.key, k): v for k, v in (metrics or {}).items()},
                       reviewer={(B.key, k): v for k, v in (reviewer or {}).items()}, vetoes=vetoes or {},
                       period="2025")


def one(scheme, f):
    [r] = engine.evaluate(scheme, f)
    return r


def item(r, code):
    return next(i for i in r.items if i.code == code)


def test_dimension_points_are_weight_times_share_of_max():
    r = one(mini(), facts({"sanhui_completion": MetricValue(0.75, "t"), "committee_complete": MetricValue(True)},
                          {"a.y": ReviewerScore(D(8), "review", "审核人")}))
    assert item(r, "a.x").points == D("5.00")  # halfway between 0.5 and 1
    assert r.dimensions["甲"].points == D("39.00")  # 60 × (5 + 8) / 20
    assert r.dimensions["乙"].points == D("40.00")
    assert r.score == D("79.00") and r.level == "中" and r.passed


def test_item_points_are_capped_at_max_and_floored_at_zero():
    s = mini()
    r = one(s, facts({"sanhui_completion": MetricValue(1.7), "committee_complete": MetricValue(False)},
                     {"a.y": ReviewerScore(D(25), "review")}))
    assert item(r, "a.x").points == D("10.00")
    assert item(r, "a.y").points == D("10.00")
    assert item(r, "b.z").points == D("0.00")
    r = one(s, facts({"sanhui_completion": MetricValue(0.1)}))
    assert item(r, "a.x").points == D("0.00")


@pytest.mark.parametrize(("scoring", "value", "expected"), [
    ({"type": "bands", "bands": [{"min": 0, "points": 0}, {"min": 1, "points": 2}, {"min": 3, "points": 4}]}, 2, "2"),
    ({"type": "bands", "bands": [{"min": 0, "points": 0}, {"min": 1, "points": 2}, {"min": 3, "points": 4}]}, 3, "4"),
    ({"type": "bands", "bands": [{"min": 0, "points": 0}, {"min": 1, "points": 2}, {"min": 3, "points": 4}]}, 0, "0"),
    ({"type": "deduct", "per": 0.5}, 3, "3.5"),
    ({"type": "deduct", "per": 0.5}, 20, "0"),
    ({"type": "ratio", "full_at": 0, "zero_at": 10}, 2.5, "3.75"),  # lower is better
    ({"type": "boolean"}, True, "5"),
    ({"type": "boolean"}, False, "0"),
    ({"type": "map", "points": {"优秀": 5, "合格": 4}}, "合格", "4"),
    ({"type": "map", "points": {"优秀": 5, "合格": 4}}, "不合格", "0"),
])
def test_scoring_types(scoring, value, expected):
    assert engine.score_value(scoring, value, D(5)) == D(expected)


def test_missing_metric_scores_zero_and_says_why():
    r = one(mini(), facts({"sanhui_completion": MetricValue(None, "", [], "本期尚无已结束的周期")}))
    x = item(r, "a.x")
    assert x.points == D("0.00") and x.value is None
    assert x.missing == "缺少数据：完成率——本期尚无已结束的周期"
    assert "缺少数据：设置——相关记录尚未录入" in r.missing
    assert "待评审：评审" in r.missing


def test_reviewer_and_automatic_side_by_side():
    s = mini(items_a={"x": {"name": "完成率", "max": 10, "metric": "sanhui_completion", "reviewer": True,
                            "criteria": "c", "source": "s", "scoring": {"type": "ratio", "full_at": 1, "zero_at": 0}}})
    r = one(s, facts({"sanhui_completion": MetricValue(0.9, "应开展10次，按期9次", ["A1"])}))
    x = item(r, "a.x")
    assert (x.how, x.auto_points, x.points, x.reviewer) == ("自动+评审", D("9.00"), D("9.00"), None)
    review = ReviewerScore(D(6), "review", "审核人", "记录不全", "台账")
    r = one(s, facts({"sanhui_completion": MetricValue(0.9, "应开展10次，按期9次", ["A1"])}, {"a.x": review}))
    x = item(r, "a.x")
    assert (x.auto_points, x.points, x.reviewer, x.records) == (D("9.00"), D("6.00"), review, ["A1"])


def test_reviewer_decides_even_where_the_metric_is_missing():
    s = mini(items_a={"x": {"name": "完成率", "max": 10, "metric": "sanhui_completion", "reviewer": True,
                            "criteria": "c", "source": "s", "scoring": {"type": "boolean"}}})
    r = one(s, facts({}, {"a.x": ReviewerScore(D(7), "self")}))
    assert item(r, "a.x").points == D("7.00") and item(r, "a.x").missing is None


def test_an_item_not_yet_due_leaves_the_dimension_maximum():
    pending = MetricValue(None, "未到期：本期尚无已结束的三会一课考核周期", [], None, True)
    r = one(mini(), facts({"sanhui_completion": pending, "committee_complete": MetricValue(True)},
                          {"a.y": ReviewerScore(D(8), "review")}))
    x = item(r, "a.x")
    assert (x.pending, x.points, x.missing) == (True, D("0.00"), None)
    assert r.dimensions["甲"].points == D("48.00")  # 60 × 8 / 10: only the reviewer item is due
    assert r.pending == ["未到期：本期尚无已结束的三会一课考核周期"] and r.missing == []
    assert engine.result_json(r)["pending"] == r.pending


def test_a_veto_sets_the_veto_level_whatever_the_score():
    full = {"sanhui_completion": MetricValue(1.0), "committee_complete": MetricValue(True)}
    r = one(mini(), facts(full, {"a.y": ReviewerScore(D(10), "review")}))
    assert (r.score, r.level, r.passed, r.vetoed) == (D("100.00"), "好", True, False)
    r = one(mini(), facts(full, {"a.y": ReviewerScore(D(10), "review")},
                          {B.key: [VetoFact("case", "党员张某受到开除党籍处分", "上级")]}))
    assert (r.score, r.level, r.passed, r.vetoed) == (D("100.00"), "差", False, True)
    assert [v.reason for v in r.vetoes] == ["党员张某受到开除党籍处分"]


def test_a_veto_of_another_scheme_is_ignored():
    r = one(mini(), facts({}, {}, {B.key: [VetoFact("not_here", "x")]}))
    assert not r.vetoed


DABIAO = load_scheme("dabiao-chuangxing")


@given(st.decimals(min_value=0, max_value=100, places=2))
def test_every_score_gets_exactly_the_band_of_the_issue(score):
    level = engine.level_for(DABIAO, score)
    expected = ("五星" if score >= 95 else "四星" if score >= 90 else "三星" if score >= 80 else "二星" if score >= 70
                else "一星" if score >= 60 else "不达标")
    assert level == expected


@pytest.mark.parametrize(("score", "level"), [
    ("95", "五星"), ("94.99", "四星"), ("90", "四星"), ("89.99", "三星"), ("80", "三星"), ("79.99", "二星"),
    ("70", "二星"), ("69.99", "一星"), ("60", "一星"), ("59.99", "不达标"), ("0", "不达标"), ("100", "五星")])
def test_band_boundaries(score, level):
    assert engine.level_for(DABIAO, D(score)) == level


@given(st.lists(st.floats(min_value=-5, max_value=5, allow_nan=False), min_size=3, max_size=3),
       st.lists(st.decimals(min_value=0, max_value=50, places=1), min_size=1, max_size=1))
def test_points_never_exceed_max_and_score_never_exceeds_total(values, reviews):
    s = mini()
    r = one(s, facts({"sanhui_completion": MetricValue(values[0]), "committee_complete": MetricValue(values[1] > 0)},
                     {"a.y": ReviewerScore(reviews[0], "review")}))
    for i in r.items:
        assert D(0) <= i.points <= i.max
    for d in r.dimensions.values():
        assert D(0) <= d.points <= d.weight
    assert D(0) <= r.score <= D(100)
    assert r.score == sum(d.points for d in r.dimensions.values())


KPI = load_scheme("post-kpi")
P = Subject("post", "post:7", 7, "7", "调度岗", 1, "00010001", "一支部")


def kpi(code, coef, target, actual, higher=True):
    return KpiFact(code, code, "吨", D(coef), higher, None if target is None else D(target),
                   None if actual is None else D(actual), "2025")


def test_kpi_score_is_weighted_completion_capped():
    f = SchemeFacts([P], kpi={P.key: [kpi("a", 2, 100, 90), kpi("b", 1, 100, 200), kpi("c", 1, 10, 8, False)]})
    [r] = engine.evaluate(KPI, f)
    # 100 × (2 × 0.9 + 1 × 1.2 (capped) + 1 × 1.25 → 1.2) / 4 = 105
    assert r.score == D("105.00") and r.level == "优秀"
    a = item(r, "kpi.a")
    assert a.points == D("45.00") and a.max == D("60.00") and "完成率90%" in a.text


def test_kpi_missing_actual_and_no_indicators():
    f = SchemeFacts([P], kpi={P.key: [kpi("a", 1, 100, None), kpi("b", 1, 100, 100)]})
    [r] = engine.evaluate(KPI, f)
    assert r.score == D("50.00")
    assert r.missing == ["缺少数据：a——实际值尚未填报"]
    [r] = engine.evaluate(KPI, SchemeFacts([P]))
    assert r.score == D("0.00") and r.missing == ["缺少数据：该岗位尚未设置KPI指标"]


def test_result_json_is_plain_and_complete():
    review = ReviewerScore(D("8.5"), "review", "审核人", "理由", "台账")
    r = one(mini(), facts({"sanhui_completion": MetricValue(0.75, "t", ["A1"]), "committee_complete": MetricValue(True)},
                          {"a.y": review}))
    r.scheme, r.period = "mini", "2025"
    data = engine.result_json(r)
    assert json.loads(json.dumps(data)) == data
    assert data["score"] == 80.5 and data["level"] == "好"
    assert data["dimensions"] == {"甲": 40.5, "乙": 40}
    x = next(i for i in data["items"] if i["code"] == "a.x")
    assert (x["value"], x["points"], x["records"], x["how"]) == (0.75, 5, ["A1"], "自动")
    y = next(i for i in data["items"] if i["code"] == "a.y")
    assert y["reviewer"] == {"points": 8.5, "stage": "review", "by": "审核人", "note": "理由", "evidence": "台账"}
    assert data["subject"]["key"] == "org:1"
