"""The assessment engine: pure Python over facts (no ORM). A scheme (a validated pack from schemes.py) and the
facts of its subjects in, one SubjectResult per subject out, each with the full breakdown.

An item's points come from its metric (scored by the item's `scoring`) or from a reviewer's score; where an
item has both, the automatic points are shown as the suggestion and the reviewer's score counts once given.
Points are capped at the item's max. A dimension's points = weight × Σ points / Σ max. A missing metric
scores 0 and says "缺少数据：…"; a reviewer item with no score yet scores 0 and says "待评审：…".
An automatic item whose requirement is not yet due in the period evaluated (the metric says `pending`, e.g. the
year's 组织生活会 before the year has ended) scores 0 and leaves its dimension's Σmax, shown as "未到期：…".
A veto (一票否决, marked by a reviewer or raised by a metric that is true) sets the level to the scheme's
`veto_level` whatever the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TWO = Decimal("0.01")
AUTO, REVIEW, BOTH = "自动", "评审", "自动+评审"


@dataclass(frozen=True)
class Subject:
    kind: str  # branch | member | team | post
    key: str  # "org:12" | "member:5" | "team:3" | "post:7"
    id: int
    code: str  # organization code, team code, member/post id as text
    name: str
    org_id: int  # the branch (the subject itself for a branch)
    org_path: str
    org_name: str = ""


@dataclass(frozen=True)
class MetricValue:
    value: float | bool | str | None
    text: str = ""
    records: list[str] = field(default_factory=list)
    missing: str | None = None
    pending: bool = False  # not yet due in the period evaluated (the text says "未到期：…"); value is None


@dataclass(frozen=True)
class ReviewerScore:
    points: Decimal
    stage: str  # "self" | "review"
    by: str = ""
    note: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class VetoFact:
    code: str
    reason: str
    by: str = ""


@dataclass(frozen=True)
class KpiFact:
    code: str
    name: str
    unit: str
    coefficient: Decimal
    higher_is_better: bool
    target: Decimal | None
    actual: Decimal | None
    period: str = ""


@dataclass
class SchemeFacts:
    subjects: list[Subject]
    metrics: dict[tuple[str, str], MetricValue] = field(default_factory=dict)
    reviewer: dict[tuple[str, str], ReviewerScore] = field(default_factory=dict)
    vetoes: dict[str, list[VetoFact]] = field(default_factory=dict)
    kpi: dict[str, list[KpiFact]] = field(default_factory=dict)
    period: str = ""


@dataclass
class ItemResult:
    code: str  # "dimension.item"
    dimension: str
    name: str
    max: Decimal
    how: str  # 自动 | 评审 | 自动+评审
    metric: str | None
    value: float | bool | str | None
    text: str
    points: Decimal
    records: list[str]
    reviewer: ReviewerScore | None
    auto_points: Decimal | None
    missing: str | None
    criteria: str = ""
    source: str = ""
    pending: bool = False  # not yet due: left out of the dimension's Σmax


@dataclass
class DimensionResult:
    code: str
    name: str
    points: Decimal
    weight: Decimal


@dataclass
class SubjectResult:
    subject: Subject
    score: Decimal
    level: str
    vetoed: bool
    passed: bool
    dimensions: dict[str, DimensionResult]
    items: list[ItemResult]
    vetoes: list[VetoFact]
    missing: list[str]
    scheme: str = ""
    scheme_version: str = ""
    period: str = ""
    pending: list[str] = field(default_factory=list)  # "未到期：…" of the items not yet due


def q2(x: Decimal | float | int) -> Decimal:
    return Decimal(str(x)).quantize(TWO, rounding=ROUND_HALF_UP)


# --- scoring of one automatic value ------------------------------------------------------------------------------

def score_value(scoring: dict[str, Any], value: float | bool | str, maximum: Decimal) -> Decimal:
    """The points of a metric value under an item's scoring, capped to [0, maximum]."""
    kind = scoring["type"]
    if kind == "boolean":
        points = maximum if value is True else Decimal(0)
    elif kind == "ratio":
        full, zero = Decimal(str(scoring["full_at"])), Decimal(str(scoring["zero_at"]))
        x = Decimal(str(float(value)))
        share = (x - zero) / (full - zero)
        points = maximum * min(max(share, Decimal(0)), Decimal(1))
    elif kind == "bands":
        points = Decimal(0)
        for band in sorted(scoring["bands"], key=lambda b: b["min"], reverse=True):
            if float(value) >= band["min"]:
                points = Decimal(str(band["points"]))
                break
    elif kind == "deduct":
        points = maximum - Decimal(str(scoring["per"])) * Decimal(str(float(value)))
    elif kind == "map":
        points = Decimal(str(scoring["points"].get(str(value), 0)))
    else:  # pragma: no cover - schemes.py refuses unknown types
        raise ValueError(kind)
    return q2(min(max(points, Decimal(0)), maximum))


# --- evaluation --------------------------------------------------------------------------------------------------

def level_for(scheme: dict[str, Any], score: Decimal) -> str:
    for band in scheme["levels"]:
        below = band.get("below")
        if score >= Decimal(str(band["min"])) and (below is None or score < Decimal(str(below))):
            return band["name"]
    return scheme["levels"][-1]["name"]  # pragma: no cover - levels tile [0, ∞)


def evaluate(scheme: dict[str, Any], facts: SchemeFacts) -> list[SubjectResult]:
    """Every subject of the facts under the scheme (linear in subjects × items)."""
    return [evaluate_one(scheme, facts, s) for s in facts.subjects]


def evaluate_one(scheme: dict[str, Any], facts: SchemeFacts, subject: Subject) -> SubjectResult:
    items: list[ItemResult] = []
    dimensions: dict[str, DimensionResult] = {}
    for dim in scheme["dimensions"].values():
        if dim.get("kpi"):
            dim_items = _kpi_items(scheme, dim, facts.kpi.get(subject.key, []))
        else:
            dim_items = [_item(dim, item, facts, subject) for item in dim["items"].values()]
        items.extend(dim_items)
        weight = Decimal(str(dim["weight"]))
        if dim.get("kpi"):
            points = q2(sum((i.points for i in dim_items), Decimal(0)))
        else:
            total_max = sum((i.max for i in dim_items if not i.pending), Decimal(0))
            got = sum((i.points for i in dim_items), Decimal(0))
            points = q2(weight * got / total_max) if total_max else Decimal("0.00")
        dimensions[dim["name"]] = DimensionResult(dim["code"], dim["name"], points, weight)
    score = q2(sum((d.points for d in dimensions.values()), Decimal(0)))
    vetoes = _vetoes(scheme, facts, subject)
    vetoed = bool(vetoes)
    level = scheme["veto_level"] if vetoed else level_for(scheme, score)
    missing = [i.missing for i in items if i.missing]
    pending = [i.text for i in items if i.pending]
    if not items and any(dim.get("kpi") for dim in scheme["dimensions"].values()):
        missing.append("缺少数据：该岗位尚未设置KPI指标")
    return SubjectResult(subject=subject, score=score, level=level, vetoed=vetoed,
                         passed=not vetoed and score >= Decimal(str(scheme["pass_min"])),
                         dimensions=dimensions, items=items, vetoes=vetoes, missing=missing,
                         scheme=scheme["code"], scheme_version=scheme["version"], period=facts.period,
                         pending=pending)


def _item(dim: dict[str, Any], item: dict[str, Any], facts: SchemeFacts, subject: Subject) -> ItemResult:
    code = f"{dim['code']}.{item['code']}"
    maximum = Decimal(str(item["max"]))
    metric, reviewer_item = item.get("metric"), bool(item.get("reviewer"))
    how = BOTH if metric and reviewer_item else (AUTO if metric else REVIEW)
    value: float | bool | str | None = None
    text, records, auto_points, missing, pending = "", [], None, None, False
    if metric:
        mv = facts.metrics.get((subject.key, metric))
        if mv is not None and mv.pending:
            text, records, pending = mv.text, list(mv.records), True
        elif mv is None or mv.value is None:
            reason = (mv.missing if mv is not None else None) or "相关记录尚未录入"
            missing = f"缺少数据：{item['name']}——{reason}"
            text = mv.text if mv is not None else ""
            records = list(mv.records) if mv is not None else []
        else:
            value, text, records = mv.value, mv.text, list(mv.records)
            auto_points = score_value(item["scoring"], mv.value, maximum)
    review = facts.reviewer.get((subject.key, code)) if reviewer_item else None
    if review is not None:
        points = q2(min(max(review.points, Decimal(0)), maximum))
        if how == BOTH:
            missing, pending = None, False  # the reviewer decided with the records at hand
    elif auto_points is not None:
        points = auto_points
    else:
        points = Decimal("0.00")
        if reviewer_item and not metric:
            missing = f"待评审：{item['name']}"
    return ItemResult(code=code, dimension=dim["name"], name=item["name"], max=q2(maximum), how=how, metric=metric,
                      value=value, text=text, points=points, records=records, reviewer=review,
                      auto_points=auto_points, missing=missing, criteria=item.get("criteria", ""),
                      source=item.get("source", ""), pending=pending)


def _kpi_items(scheme: dict[str, Any], dim: dict[str, Any], kpis: list[KpiFact]) -> list[ItemResult]:
    """A KPI post's indicators: points = weight × coefficient × min(completion, cap) / Σ coefficients; completion
    is actual/target, or target/actual for an indicator where lower is better."""
    cap = Decimal(str(scheme["params"].get("cap_ratio", 1)))
    weight = Decimal(str(dim["weight"]))
    total = sum((k.coefficient for k in kpis), Decimal(0))
    out = []
    for k in kpis:
        share = weight * k.coefficient / total if total else Decimal(0)
        ratio, missing, text = _completion(k)
        points = q2(share * min(ratio, cap)) if ratio is not None else Decimal("0.00")
        out.append(ItemResult(
            code=f"{dim['code']}.{k.code}", dimension=dim["name"], name=k.name, max=q2(share * cap), how=AUTO,
            metric="kpi", value=float(ratio) if ratio is not None else None, text=text, points=points,
            records=[f"kpi:{k.code}:{k.period}"] if k.period else [], reviewer=None,
            auto_points=points if ratio is not None else None, missing=missing,
            criteria=f"系数{_num(k.coefficient)}，完成率封顶{_num(cap * 100)}%",
            source=scheme["dimensions"][dim["code"]].get("source", "")))
    return out


def _completion(k: KpiFact) -> tuple[Decimal | None, str | None, str]:
    unit = k.unit or ""
    if k.target is None:
        return None, f"缺少数据：{k.name}——未设定目标值", ""
    if k.actual is None:
        return None, f"缺少数据：{k.name}——实际值尚未填报", f"目标{_num(k.target)}{unit}"
    if k.higher_is_better:
        ratio = k.actual / k.target if k.target else Decimal(0)
    else:  # lower is better: reaching 0 beats any target
        ratio = k.target / k.actual if k.actual else Decimal("Infinity")
    shown = "∞" if ratio.is_infinite() else f"{_num(ratio * 100, 1)}%"
    better = "" if k.higher_is_better else "（越低越好）"
    return ratio, None, f"目标{_num(k.target)}{unit}，实际{_num(k.actual)}{unit}{better}，完成率{shown}"


def _num(x: Decimal, places: int = 2) -> str:
    text = f"{Decimal(x):.{places}f}".rstrip("0").rstrip(".")
    return text or "0"


def _vetoes(scheme: dict[str, Any], facts: SchemeFacts, subject: Subject) -> list[VetoFact]:
    out = [v for v in facts.vetoes.get(subject.key, []) if v.code in scheme["vetoes"]]
    marked = {v.code for v in out}
    for code, veto in scheme["vetoes"].items():
        metric = veto.get("metric")
        if metric and code not in marked:
            mv = facts.metrics.get((subject.key, metric))
            if mv is not None and mv.value is True:
                out.append(VetoFact(code, mv.text or veto["name"], "系统"))
    return out


# --- the frozen form ---------------------------------------------------------------------------------------------

def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


def result_json(r: SubjectResult) -> dict[str, Any]:
    """The result as plain JSON (stored on confirmation, returned by the CLI and the API)."""
    s = r.subject
    return {
        "scheme": r.scheme, "scheme_version": r.scheme_version, "period": r.period,
        "subject": {"kind": s.kind, "key": s.key, "id": s.id, "code": s.code, "name": s.name,
                    "org_id": s.org_id, "org_path": s.org_path, "org_name": s.org_name},
        "score": _json_value(r.score), "level": r.level, "vetoed": r.vetoed, "passed": r.passed,
        "dimensions": {name: _json_value(d.points) for name, d in r.dimensions.items()},
        "dimension_details": [{"code": d.code, "name": d.name, "points": _json_value(d.points),
                               "weight": _json_value(d.weight)} for d in r.dimensions.values()],
        "items": [_item_json(i) for i in r.items],
        "vetoes": [{"code": v.code, "reason": v.reason, "by": v.by} for v in r.vetoes],
        "missing": list(r.missing), "pending": list(r.pending),
    }


def _item_json(i: ItemResult) -> dict[str, Any]:
    rv = i.reviewer
    return {
        "code": i.code, "dimension": i.dimension, "name": i.name, "max": _json_value(i.max), "how": i.how,
        "metric": i.metric, "value": _json_value(i.value), "text": i.text, "points": _json_value(i.points),
        "auto_points": _json_value(i.auto_points), "records": list(i.records), "missing": i.missing,
        "criteria": i.criteria, "source": i.source, "pending": i.pending,
        "reviewer": None if rv is None else {"points": _json_value(rv.points), "stage": rv.stage, "by": rv.by,
                                             "note": rv.note, "evidence": rv.evidence},
    }
