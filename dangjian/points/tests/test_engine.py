"""The pure points engine: caps and floors (with the cut shown), mean categories, specials, grades, ranks."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dangjian.points import engine
from dangjian.points.engine import EntrySum, MemberFacts, SpecialFacts
from dangjian.points.pack import default_pack

PACK = default_pack()
D = Decimal


def facts(pk=1, name="甲", path="000100010001") -> MemberFacts:
    return MemberFacts(pk, name, "1101**********0011", 7, "B1", "一支部", path)


def result(sums, specials=(), period=None, pk=1, name="甲"):
    return engine.member_result(facts(pk, name), PACK, sums, specials, period=period)


def test_cap_cuts_and_shows_the_cut():
    r = result({"activity": EntrySum(D("26"))})
    cv = r.categories["activity"]
    assert (cv.raw, cv.value, cv.cap, cv.cut) == (D("26"), D("20"), D("20"), D("6"))


def test_floor_lifts_to_zero_and_shows_it():
    r = result({"activity": EntrySum(D("-6"))})
    cv = r.categories["activity"]
    assert (cv.raw, cv.value, cv.cut) == (D("-6"), D("0"), D("-6"))


def test_discipline_starts_full_and_deductions_count_down_to_the_floor():
    assert result({}).categories["discipline"].value == D("10")
    assert result({"discipline": EntrySum(D("-2.5"))}).categories["discipline"].value == D("7.5")
    floored = result({"discipline": EntrySum(D("-14"))}).categories["discipline"]
    assert (floored.raw, floored.value, floored.cut) == (D("-4"), D("0"), D("-4"))


def test_mean_category_is_the_mean_of_scored_slots():
    r = result({"duty": EntrySum(D("27"), 2)})  # e.g. Q1 12 and Q2 15
    assert r.categories["duty"].value == D("13.5")
    assert r.categories["duty"].missing is None


def test_mean_category_without_a_score_is_missing_not_silently_zero():
    r = result({})
    assert r.categories["duty"].value == 0
    assert "履行岗位职责：本年尚未评分" in r.missing
    assert "群众评议意见：本年尚无民主评议等次" in r.missing
    assert "履行岗位职责：本期尚未评分" in result({}, period="2026-Q1").missing


def test_total_and_grade_on_boundaries():
    full = {"activity": EntrySum(D("20")), "duty": EntrySum(D("15"), 1),
            "target": EntrySum(D("15"), 1), "quality": EntrySum(D("10"), 1),
            "excellence": EntrySum(D("10"), 1), "service": EntrySum(D("10")),
            "opinion": EntrySum(D("10"))}
    assert result(full).total == 100 and result(full).grade == "优秀"
    exactly_90 = {**full, "activity": EntrySum(D("10"))}
    assert result(exactly_90).total == 90 and result(exactly_90).grade == "优秀"
    exactly_60 = {"activity": EntrySum(D("20")), "duty": EntrySum(D("15"), 1),
                  "target": EntrySum(D("15"), 1)}
    assert result(exactly_60).total == 60 and result(exactly_60).grade == "合格"  # + discipline 10 base
    below = {**exactly_60, "activity": EntrySum(D("19.9"))}
    assert result(below).total == D("59.9") and result(below).grade == "不合格"


def test_no_grade_for_a_shorter_period():
    assert result({}, period="2026-03").grade is None


SPECIAL = SpecialFacts(5, "安全生产月", "0001", "集团党委", dt.date(2026, 6, 1), dt.date(2026, 6, 30), D("0.10"),
                       D("100"))


def test_special_result_is_capped_and_weighted_into_the_total():
    r = result({5: EntrySum(D("130"))}, [SPECIAL])
    sv = r.specials[5]
    assert (sv.raw, sv.result, sv.contribution) == (D("130"), D("100"), D("10.0"))
    assert r.total == r.base_total + D("10")


def test_special_weight_zero_is_shown_beside_only_and_outside_its_tree_absent():
    beside = SpecialFacts(6, "主题教育", "0001", "集团党委", dt.date(2026, 1, 1), dt.date(2026, 3, 1), D("0"), D("50"))
    r = result({6: EntrySum(D("30"))}, [beside])
    assert r.specials[6].result == 30 and r.specials[6].contribution == 0 and r.total == r.base_total
    elsewhere = SpecialFacts(7, "外单位", "0002", "别的", dt.date(2026, 1, 1), dt.date(2026, 3, 1), D("1"), D("50"))
    assert 7 not in result({}, [elsewhere]).specials


def test_special_floor_is_zero():
    r = result({5: EntrySum(D("-8"))}, [SPECIAL])
    assert r.specials[5].result == 0 and r.specials[5].contribution == 0


def test_competition_ranking_with_ties_by_name_then_id():
    rows = [result({"activity": EntrySum(D(p))}, pk=pk, name=n)
            for pk, n, p in [(1, "乙", "5"), (2, "甲", "9"), (3, "丙", "9"), (4, "丁", "1"), (5, "甲", "9")]]
    ranked = engine.rank(rows)
    assert [(r.member_id, r.rank) for r in ranked] == [(3, 1), (2, 1), (5, 1), (1, 4), (4, 5)]
    by_category = engine.rank(rows, "duty")
    assert {r.rank for r in by_category} == {1}


def test_grade_counts_cover_every_grade():
    rows = [result({}), result({"activity": EntrySum(D("20"))})]
    assert engine.grade_counts(PACK, rows) == {"优秀": 0, "合格": 0, "不合格": 2}


points = st.decimals(min_value=-200, max_value=200, places=1, allow_nan=False, allow_infinity=False)


@given(total=points)
def test_sum_category_value_always_within_zero_and_cap(total):
    for cat in PACK["categories"].values():
        if cat["combine"] != "sum":
            continue
        cv = engine.category_value(cat, EntrySum(total))
        assert 0 <= cv.value <= cat["max"]
        assert cv.raw == cat["base"] + total
        assert cv.raw - cv.cut == cv.value
        assert (cv.cut > 0) == (cv.raw > cat["max"]) and (cv.cut < 0) == (cv.raw < 0)


@given(scores=st.lists(st.decimals(min_value=0, max_value=15, places=1), min_size=1, max_size=12))
def test_mean_category_value_within_range_and_the_mean(scores):
    cat = PACK["categories"]["duty"]
    cv = engine.category_value(cat, EntrySum(sum(scores), len(scores)))
    assert 0 <= cv.value <= cat["max"]
    assert min(scores) - D("0.05") <= cv.value <= max(scores) + D("0.05")


@given(sums=st.dictionaries(st.sampled_from(list(PACK["categories"])), points, max_size=8))
def test_total_is_the_sum_of_values_and_the_grade_matches(sums):
    r = result({c: EntrySum(v, 1) for c, v in sums.items()})
    assert r.total == sum(cv.value for cv in r.categories.values())
    assert 0 <= r.total <= 100
    expected = "优秀" if r.total >= 90 else "合格" if r.total >= 60 else "不合格"
    assert r.grade == expected


@given(totals=st.lists(points, min_size=1, max_size=30))
def test_ranks_are_competition_ranks(totals):
    rows = [result({"activity": EntrySum(t)}, pk=i, name=f"n{i % 3}") for i, t in enumerate(totals)]
    ranked = engine.rank(rows)
    for i, row in enumerate(ranked):
        assert row.rank == 1 + sum(1 for other in ranked if other.total > row.total)
        if i:
            assert (ranked[i - 1].total, ) >= (row.total, )
