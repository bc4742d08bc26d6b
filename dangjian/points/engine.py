"""The points engine: pure Python, no ORM. Facts in (members, summed entries, specials, packs), results out.

A category's value for the period:
- sum (default): base + Σ entries, clamped to [0, max]; `raw` keeps base + Σ and `cut` = raw − value (what
  the cap cut off when positive, what the floor lifted when negative);
- mean: the mean over the member's scored slots (periods) of the slot's net points, clamped; no scored slot
  → value 0 and a `missing` note (unknown is not zero: it is shown, not hidden).
A special assessment ("N" of "1+N"): result = Σ its entries clamped to [0, max_points]; contribution =
result × weight, added to the total. Total = Σ category values + Σ contributions; the grade comes from the
pack's grades (only for a whole year); ranks are competition ranks (1, 2, 2, 4), ties ordered by name, id.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any

from .pack import grade_for

ZERO = Decimal("0.0")
TENTH = Decimal("0.1")


def q1(value: Decimal) -> Decimal:
    """Round to one decimal place, half up."""
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class MemberFacts:
    member_id: int
    name: str
    id_masked: str
    org_id: int
    org_code: str
    org_name: str
    org_path: str
    group_id: int | None = None


@dataclass(frozen=True, slots=True)
class SpecialFacts:
    id: int
    name: str
    org_path: str
    org_name: str
    starts_on: dt.date
    ends_on: dt.date
    weight: Decimal
    max_points: Decimal

    def applies_to(self, path: str) -> bool:
        return path.startswith(self.org_path)


@dataclass(frozen=True, slots=True)
class EntrySum:
    """The summed entries of one member in one category (or special): net points and scored slots."""

    points: Decimal
    slots: int = 0


@dataclass(frozen=True, slots=True)
class CategoryValue:
    code: str
    name: str
    raw: Decimal
    value: Decimal
    cap: Decimal
    cut: Decimal
    missing: str | None = None


@dataclass(slots=True)
class SpecialValue:
    special_id: int
    name: str
    result: Decimal
    weight: Decimal
    contribution: Decimal
    raw: Decimal = ZERO
    max_points: Decimal = ZERO


@dataclass(slots=True)
class MemberResult:
    member_id: int
    name: str
    id_masked: str
    org_code: str
    org_name: str
    total: Decimal
    grade: str | None
    rank: int
    categories: dict[str, CategoryValue]
    specials: dict[int, SpecialValue]
    missing: list[str]
    org_id: int = 0
    group_id: int | None = None
    base_total: Decimal = ZERO  # the "1": Σ category values

    def score(self, category: str | None = None) -> Decimal:
        if category is None:
            return self.total
        cv = self.categories.get(category)
        return cv.value if cv is not None else ZERO


@dataclass
class SpecialResultInfo:
    id: int
    name: str
    org_name: str
    starts_on: dt.date
    ends_on: dt.date
    weight: Decimal
    max_points: Decimal
    members: int  # members of the table that have points in it


@dataclass
class PointsTable:
    root: Any
    year: int
    period: str | None
    pack: dict[str, Any]
    rows: list[MemberResult]
    specials: list[SpecialResultInfo]
    grade_counts: dict[str, int]
    category: str | None = None
    as_of: dt.date | None = None
    by_member: dict[int, MemberResult] = field(default_factory=dict)


def period_word(period: str | None) -> str:
    return "本年" if period is None else "本期"


def category_value(cat: dict[str, Any], total: EntrySum | None, period: str | None = None) -> CategoryValue:
    cap = cat["max"]
    if cat["combine"] == "mean":
        if total is None or total.slots <= 0:
            return CategoryValue(cat["code"], cat["name"], ZERO, ZERO, cap, ZERO,
                                 f"{cat['name']}：{period_word(period)}尚未评分")
        raw = q1(total.points / total.slots)
    else:
        raw = cat["base"] + (total.points if total is not None else ZERO)
    value = min(max(raw, ZERO), cap)
    return CategoryValue(cat["code"], cat["name"], raw, value, cap, raw - value)


def special_value(special: SpecialFacts, total: EntrySum | None) -> SpecialValue:
    raw = total.points if total is not None else ZERO
    result = min(max(raw, ZERO), special.max_points)
    return SpecialValue(special.id, special.name, result, special.weight, q1(result * special.weight), raw,
                        special.max_points)


@dataclass(frozen=True, slots=True)
class _CategoryPlan:
    code: str
    name: str
    cap: Decimal
    base: Decimal
    mean: bool
    unscored: str | None  # the missing note when a mean category has no scored slot
    no_appraisal: str | None  # the missing note when an appraisal-only category has no entry


# Per pack and period: the prepared categories, and for each a cache of values by summed entry (see below).
_PLANS: dict[tuple[int, str | None], tuple] = {}
_MEANS: dict[tuple[Decimal, int], Decimal] = {}


def _plan(pack: dict[str, Any], period: str | None) -> tuple:
    """The pack's categories prepared once (the pack is kept in the cache, so its id cannot be reused):
    (pack, plans, value caches, (plan, cache) pairs)."""
    key = (id(pack), period)
    found = _PLANS.get(key)
    if found is None or found[0] is not pack:
        word = period_word(period)
        appraisal = appraisal_categories(pack)
        plans = [_CategoryPlan(code, cat["name"], cat["max"], cat["base"], cat["combine"] == "mean",
                               f"{cat['name']}：{word}尚未评分",
                               f"{cat['name']}：{word}尚无民主评议等次" if code in appraisal else None)
                 for code, cat in pack["categories"].items()]
        if len(_PLANS) > 256:
            _PLANS.clear()
        caches: list[dict] = [{} for _ in plans]
        found = _PLANS[key] = (pack, plans, caches, list(zip(plans, caches, strict=True)))
    return found


def _mean(points: Decimal, slots: int) -> Decimal:
    key = (points, slots)
    found = _MEANS.get(key)
    if found is None:
        if len(_MEANS) > 100_000:
            _MEANS.clear()
        found = _MEANS[key] = q1(points / slots)
    return found


def _category(plan: _CategoryPlan, total: EntrySum | None) -> CategoryValue:
    """category_value() on a prepared category."""
    note = None
    if plan.mean:
        if total is None or total.slots <= 0:
            raw = ZERO
            note = plan.unscored
        else:
            raw = _mean(total.points, total.slots)
    else:
        raw = plan.base + total.points if total is not None else plan.base
        if total is None and plan.no_appraisal:
            note = plan.no_appraisal
    value = raw if ZERO <= raw <= plan.cap else (plan.cap if raw > plan.cap else ZERO)
    return CategoryValue(plan.code, plan.name, raw, value, plan.cap, raw - value, note)


def member_result(facts: MemberFacts, pack: dict[str, Any], sums: dict[str | int, EntrySum],
                  specials: Iterable[SpecialFacts], *, period: str | None = None) -> MemberResult:
    """One member's result. `sums` maps a category code (base scheme) or a special's id to the summed entries.

    The same arithmetic as category_value(), unrolled: it runs once per member and category of a group."""
    categories: dict[str, CategoryValue] = {}
    missing: list[str] = []
    base_total = ZERO
    get = sums.get
    for plan, cache in _plan(pack, period)[3]:
        total = get(plan.code)
        # Members share summed entries (the selector hands out one object per distinct sum) and so category
        # values: look them up by the object's identity (kept alive in the cache, so the id is not reused).
        hit = cache.get(id(total))
        if hit is not None and hit[0] is total:
            cv = hit[1]
        else:
            cv = _category(plan, total)
            if len(cache) > 50_000:
                cache.clear()
            cache[id(total)] = (total, cv)
        categories[plan.code] = cv
        if cv.missing:
            missing.append(cv.missing)
        base_total += cv.value
    special_values: dict[int, SpecialValue] = {}
    total_points = base_total
    for special in specials:
        if facts.org_path.startswith(special.org_path):
            sv = special_value(special, sums.get(special.id))
            special_values[special.id] = sv
            total_points += sv.contribution
    if special_values:
        total_points = q1(total_points)
    grade = grade_for(pack, total_points) if period is None else None
    return MemberResult(facts.member_id, facts.name, facts.id_masked, facts.org_code, facts.org_name, total_points,
                        grade, 0, categories, special_values, missing, facts.org_id, facts.group_id, base_total)


def rank(rows: list[MemberResult], category: str | None = None) -> list[MemberResult]:
    """Sort by score (total or one category's value) desc, then name, id; competition ranks (1, 2, 2, 4)."""
    # Two stable sorts with C-level keys: by name and id, then by score descending (ties keep name order).
    rows.sort(key=attrgetter("name", "member_id"))
    if category is None:
        rows.sort(key=attrgetter("total"), reverse=True)
    else:
        rows.sort(key=lambda r: r.score(category), reverse=True)
    previous: Decimal | None = None
    current = 0
    for i, row in enumerate(rows, start=1):
        score = row.total if category is None else row.score(category)
        if score != previous:
            current, previous = i, score
        row.rank = current
    return rows


def appraisal_categories(pack: dict[str, Any]) -> frozenset[str]:
    """Categories fed only by the 民主评议 grade (a member without a grade there is shown as missing)."""
    by_cat: dict[str, list[dict]] = {}
    for rule in pack["rules"].values():
        by_cat.setdefault(rule["category"], []).append(rule)
    return frozenset(code for code, rules in by_cat.items()
                     if rules and all(r.get("metric") == "appraisal" for r in rules))


def grade_counts(pack: dict[str, Any], rows: Iterable[MemberResult]) -> dict[str, int]:
    counts = {g["name"]: 0 for g in pack["grades"]}
    for row in rows:
        if row.grade is not None:
            counts[row.grade] = counts.get(row.grade, 0) + 1
    return counts


def build_rows(members: Iterable[MemberFacts], packs: dict[int, dict[str, Any]],
               sums: dict[int, dict[str | int, EntrySum]], specials: list[SpecialFacts], *,
               period: str | None = None, category: str | None = None) -> list[MemberResult]:
    """Every member's result, ranked. `packs` maps a member's org id to the pack in force for totals."""
    empty: dict[str | int, EntrySum] = {}
    rows = [member_result(facts, packs[facts.org_id], sums.get(facts.member_id, empty), specials, period=period)
            for facts in members]
    return rank(rows, category)
