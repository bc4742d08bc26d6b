"""Reads of the assessment app: schemes, live evaluation (facts + pure engine), confirmed results, the JSON
form shared by the CLI, the API and the exports, KPI comparisons and the model-post wall.

Scoping is the caller's job (views and API resolve the organization with get_org_for_user first); these
functions read the subtree they are given, in a constant number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import Organization

from . import engine
from .engine import SubjectResult, result_json
from .facts import Span, load_scheme_facts, parse_period
from .models import Evaluation, EvaluationStatus, KpiIndicator, KpiValue, Post
from .schemes import PERIOD_LABELS, SUBJECT_LABELS, all_schemes
from .schemes import load_scheme as _load_scheme


def load_scheme(code: str) -> dict[str, Any]:
    """A built-in scheme by code (PackError, naming the code, when there is none)."""
    return _load_scheme(code)


def schemes() -> list[dict[str, Any]]:
    """Every built-in scheme, for lists and the API: code, version, name, subject, period, total, dimensions."""
    return all_schemes()


def scheme_summary(scheme: dict[str, Any]) -> dict[str, Any]:
    return {"code": scheme["code"], "version": scheme["version"], "name": scheme["name"],
            "subject": scheme["subject"], "subject_label": SUBJECT_LABELS[scheme["subject"]],
            "period": scheme["period"], "period_label": PERIOD_LABELS[scheme["period"]], "total": scheme["total"],
            "source": scheme["source"],
            "dimensions": [{"code": d["code"], "name": d["name"], "weight": d["weight"]}
                           for d in scheme["dimensions"].values()],
            "levels": [{"name": b["name"], "min": b["min"], "below": b["below"]} for b in scheme["levels"]],
            "vetoes": [{"code": v["code"], "name": v["name"]} for v in scheme["vetoes"].values()],
            "pass_min": scheme["pass_min"], "veto_level": scheme["veto_level"]}


def period_span(scheme: dict[str, Any] | str, period: str | int) -> Span:
    """The span of a period label for a scheme (ValueError with a Chinese message when malformed)."""
    scheme = load_scheme(scheme) if isinstance(scheme, str) else scheme
    return parse_period(scheme["period"], period)


# --- live evaluation ---------------------------------------------------------------------------------------------

def evaluate_subtree(scheme: dict[str, Any] | str, root: Organization, period: str | int, *,
                     as_of: dt.date | None = None) -> list[SubjectResult]:
    """Every subject of the scheme in `root`'s subtree, evaluated live now (constant number of queries)."""
    scheme = load_scheme(scheme) if isinstance(scheme, str) else scheme
    return engine.evaluate(scheme, load_scheme_facts(scheme, root, period, as_of=as_of))


def subject_root(evaluation: Evaluation) -> Organization:
    """The organization whose subtree holds an evaluation's subject: the branch (the subject's branch)."""
    return evaluation.org


def evaluate_subject(evaluation: Evaluation, *, as_of: dt.date | None = None) -> SubjectResult:
    """One evaluation's subject evaluated live, with that evaluation's own item scores and veto marks."""
    scheme = load_scheme(evaluation.scheme)
    facts = load_scheme_facts(scheme, subject_root(evaluation), evaluation.period, as_of=as_of,
                              only=evaluation.subject_key, evaluation=evaluation)
    if not facts.subjects:
        raise ValueError(f"考核对象“{evaluation.subject_key}”已不在本组织或已不符合该方案")
    return engine.evaluate_one(scheme, facts, facts.subjects[0])


# --- results: frozen where confirmed, else live -------------------------------------------------------------------

@dataclass
class ResultRow:
    key: str  # subject key
    result: dict[str, Any]  # result_json form
    live: bool  # True: computed now; False: the frozen result of a confirmed evaluation
    evaluation_id: int | None = None
    status: str = ""  # the evaluation's status ("" when there is none)
    version: int | None = None
    rank: int = 0

    @property
    def score(self) -> Decimal:
        return Decimal(str(self.result["score"]))

    @property
    def level(self) -> str:
        return self.result["level"]

    @property
    def subject(self) -> dict[str, Any]:
        return self.result["subject"]


def results(scheme: dict[str, Any] | str, root: Organization, period: str | int, *,
            as_of: dt.date | None = None) -> list[ResultRow]:
    """One row per subject, ranked by score (competition ranking: 1, 2, 2, 4; ties by name): the confirmed
    evaluation's frozen result where there is one, else the live result (flag `live`)."""
    scheme = load_scheme(scheme) if isinstance(scheme, str) else scheme
    span = parse_period(scheme["period"], period)
    current = {e.subject_key: e for e in Evaluation.objects.filter(
        subtree_q(root.path, "org__path"), scheme=scheme["code"], period=span.label)
        .exclude(status=EvaluationStatus.SUPERSEDED).only("id", "subject_key", "status", "version", "result")}
    rows = []
    for r in evaluate_subtree(scheme, root, span.label, as_of=as_of):
        ev = current.get(r.subject.key)
        if ev is not None and ev.status == EvaluationStatus.CONFIRMED and ev.result:
            rows.append(ResultRow(r.subject.key, ev.result, False, ev.pk, ev.status, ev.version))
        else:
            rows.append(ResultRow(r.subject.key, result_json(r), True, ev.pk if ev else None,
                                  ev.status if ev else "", ev.version if ev else None))
    return rank_rows(rows)


def rank_rows(rows: list[ResultRow]) -> list[ResultRow]:
    """Competition ranking (1, 2, 2, 4) by score, highest first; a vetoed subject (一票否决) ranks after every
    subject that was not vetoed, whatever its score; ties in name order."""
    rows.sort(key=lambda row: (bool(row.result.get("vetoed")), -row.score, row.subject.get("name", ""), row.key))
    previous, rank = None, 0
    for i, row in enumerate(rows, start=1):
        standing = (bool(row.result.get("vetoed")), row.score)
        if standing != previous:
            rank, previous = i, standing
        row.rank = rank
    return rows


def level_counts(scheme: dict[str, Any], rows: list[ResultRow]) -> dict[str, int]:
    """The number of subjects at each level, in the scheme's order (highest first), zeros included."""
    counts = {band["name"]: 0 for band in scheme["levels"]}
    for row in rows:
        counts[row.level] = counts.get(row.level, 0) + 1
    return counts


def to_json(scheme: dict[str, Any] | str, root: Organization, year: int | str, rows: list[ResultRow]) -> dict:
    """The JSON of the CLI and the API: {"scheme", "org", "year", "results": [{"subject", "score", "level",
    "vetoed", "dimensions": {"基本组织": n, ...}, "items": [...]}]}."""
    scheme = load_scheme(scheme) if isinstance(scheme, str) else scheme
    out = []
    for row in rows:
        r = row.result
        subject = r["subject"]
        out.append({"subject": subject["code"] if subject["kind"] in ("branch", "team") else subject["name"],
                    "subject_name": subject["name"], "subject_key": subject["key"], "org": subject.get("org_name", ""),
                    "rank": row.rank, "score": r["score"], "level": r["level"], "vetoed": r["vetoed"],
                    "passed": r["passed"], "live": row.live, "status": row.status, "version": row.version,
                    "dimensions": r["dimensions"], "items": r["items"], "vetoes": r["vetoes"],
                    "missing": r["missing"]})
    return {"scheme": scheme["code"], "scheme_name": scheme["name"], "scheme_version": scheme["version"],
            "org": root.code, "org_name": root.name, "year": int(str(year)[:4]),
            "period": str(year), "results": out}


# --- KPI comparisons ------------------------------------------------------------------------------------------------

@dataclass
class KpiRow:
    indicator_id: int
    code: str
    name: str
    unit: str
    coefficient: Decimal
    higher_is_better: bool
    period: str  # this year's period ("2026", "2026-Q2", "2026-06")
    target: Decimal | None
    actual: Decimal | None
    completion: Decimal | None  # actual/target (target/actual when lower is better)
    last_year: Decimal | None  # completion in the same period last year
    earlier: list[tuple[str, Decimal | None]]  # (period, completion) in the same period of earlier years
    change: Decimal | None  # completion − last year's completion


def completion(target: Decimal | None, actual: Decimal | None, higher_is_better: bool) -> Decimal | None:
    if target is None or actual is None or not target:
        return None
    if higher_is_better:
        return actual / target
    return target / actual if actual else None


def _same_period(period: str, year: int) -> str:
    return str(year) + period[4:]


def kpi_comparison(post: Post, year: int, *, years_back: int = 3) -> list[KpiRow]:
    """The post's indicators with this year's values beside the same period last year and in earlier years (two
    queries). A row per indicator and per period of `year` that has a value; an indicator with no value yet gets
    one row for the year with empty values."""
    indicators = list(KpiIndicator.objects.filter(post=post, from_year__lte=year).order_by("code"))
    values: dict[tuple[int, str], KpiValue] = {
        (v.indicator_id, v.period): v for v in KpiValue.objects.filter(
            indicator__post=post, year__gte=year - years_back, year__lte=year)}
    rows = []
    for ind in indicators:
        periods = sorted(p for (iid, p) in values if iid == ind.pk and p.startswith(str(year))) or [str(year)]
        for period in periods:
            v = values.get((ind.pk, period))
            done = completion(v.target, v.actual, ind.higher_is_better) if v else None
            past = []
            for back in range(1, years_back + 1):
                pv = values.get((ind.pk, _same_period(period, year - back)))
                past.append((_same_period(period, year - back),
                             completion(pv.target, pv.actual, ind.higher_is_better) if pv else None))
            last = past[0][1] if past else None
            rows.append(KpiRow(ind.pk, ind.code, ind.name, ind.unit, ind.coefficient, ind.higher_is_better, period,
                               v.target if v else None, v.actual if v else None, done, last, past[1:],
                               done - last if done is not None and last is not None else None))
    return rows


# --- the model-post wall ---------------------------------------------------------------------------------------------

MODEL_POST_SCHEME = "model-post"


def wall(root: Organization, month: str, n: int | None = None) -> list[ResultRow]:
    """The month's best model posts (示范岗/先锋岗/责任区) of the subtree: the top `n` (default the scheme's
    `wall_top_n`) by score among those that passed and were not vetoed, confirmed results where they exist."""
    scheme = load_scheme(MODEL_POST_SCHEME)
    limit = int(n if n is not None else scheme["params"].get("wall_top_n", 10))
    rows = [r for r in results(scheme, root, month) if r.result["passed"] and not r.result["vetoed"]]
    return rank_rows(rows)[:max(limit, 0)]


def current_month() -> str:
    today = timezone.localdate()
    return f"{today.year}-{today.month:02d}"
