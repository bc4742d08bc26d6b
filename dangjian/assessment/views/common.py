"""What the assessment pages share: parsing of year/month/scheme, the root of a page, and the Card — one subject's
result (frozen or live, always in the `result_json` form) with its scheme, process state and item scores, as the
card template and the Word 评星定级审批表 read it."""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dangjian.core.scoping import get_org_for_user, get_scope, orgs_for
from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity
from dangjian.orgs.models import Organization

from ..models import Evaluation, EvaluationStatus, Stage

YEAR_RE = re.compile(r"^\d{4}$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
BRANCH_SCHEME = "dabiao-chuangxing"
STATUS_STEPS = [EvaluationStatus.DRAFT, EvaluationStatus.SUBMITTED, EvaluationStatus.REVIEWED,
                EvaluationStatus.CONFIRMED]
STATUS_LABELS = dict(EvaluationStatus.choices)
NOT_FOUND = "页面不存在或无权查看"


def parse_year(request) -> int:
    today = timezone.localdate()
    text = request.GET.get("year", "").strip()
    if text:
        if YEAR_RE.match(text) and 2000 <= int(text) <= 2100:
            return int(text)
        messages.warning(request, f"年度“{text}”无效，已显示{today.year}年度")
    return today.year


def parse_month(request, *, previous_by_default: bool = False) -> tuple[int, int]:
    """?month=YYYY-MM, else this month (or the month before, for pages about finished months)."""
    today = timezone.localdate()
    text = request.GET.get("month", "").strip()
    m = MONTH_RE.match(text)
    if m and 2000 <= int(m.group(1)) <= 2100 and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1)), int(m.group(2))
    if text:
        messages.warning(request, f"月份“{text}”无效，应为“2026-03”这样的格式，已显示默认月份")
    if previous_by_default:
        return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return today.year, today.month


def officer_root(request) -> Organization:
    """The organization asked for by ?org= (404 outside scope), else the first one in scope; officers only."""
    if not get_scope(request.user).is_officer:
        raise Http404(NOT_FOUND)
    code = request.GET.get("org", "").strip()
    if code:
        return get_org_for_user(request.user, code)
    root = orgs_for(request.user).order_by("path").first()
    if root is None:
        raise Http404(NOT_FOUND)
    return root


def querystring(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value:
            params[key] = value
    return params.urlencode()


def number(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def percent(points: Any, weight: Any) -> int:
    w = number(weight)
    return int((number(points) * 100 / w).quantize(Decimal(1))) if w else 0


# --- the card ----------------------------------------------------------------------------------------------------

@dataclass
class Card:
    scheme: dict[str, Any]
    result: dict[str, Any]
    evaluation: Evaluation | None
    live: bool
    year: int
    period: str
    dimensions: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    vetoes: list[dict[str, Any]] = field(default_factory=list)
    parent_name: str = ""

    # --- the result
    @property
    def score(self):
        return self.result.get("score")

    @property
    def level(self) -> str:
        return self.result.get("level") or ""

    @property
    def vetoed(self) -> bool:
        return bool(self.result.get("vetoed"))

    @property
    def passed(self) -> bool:
        return bool(self.result.get("passed"))

    @property
    def missing(self) -> list[str]:
        return list(self.result.get("missing") or [])

    @property
    def subject_name(self) -> str:
        return (self.result.get("subject") or {}).get("name", "")

    @property
    def subject_code(self) -> str:
        return str((self.result.get("subject") or {}).get("code", ""))

    # --- the scheme
    @property
    def scheme_name(self) -> str:
        return self.scheme.get("name", "")

    @property
    def scheme_version(self) -> str:
        return self.result.get("scheme_version") or self.scheme.get("version", "")

    @property
    def total(self):
        return self.scheme.get("total", 100)

    @property
    def levels(self) -> list[dict[str, Any]]:
        return self.scheme.get("levels", [])

    # --- the process
    def _eval(self, name: str, default: Any = None) -> Any:
        return getattr(self.evaluation, name) if self.evaluation is not None else default

    @property
    def status(self) -> str:
        return self._eval("status", "")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, "未开始自评（实时计算）")

    @property
    def version(self) -> int | None:
        return self._eval("version")

    @property
    def steps(self) -> list[dict[str, Any]]:
        reached = STATUS_STEPS.index(self.status) if self.status in STATUS_STEPS else -1
        when = [None, self._eval("submitted_at"), self._eval("reviewed_at"),
                self._eval("confirmed_at")]
        return [{"label": label, "reached": i <= reached, "current": i == reached, "at": when[i] if i <= reached
                 else None} for i, label in enumerate(["自评", "提交", "审核", "认定"])]

    def _person(self, name: str) -> str:
        user = self._eval(name)
        if user is None:
            return ""
        return getattr(user, "display_name", "") or user.username

    @property
    def self_note(self) -> str:
        return self._eval("self_note", "") or ""

    @property
    def review_note(self) -> str:
        return self._eval("review_note", "") or ""

    @property
    def submitted_by(self) -> str:
        return self._person("submitted_by")

    @property
    def submitted_at(self):
        return self._eval("submitted_at")

    @property
    def reviewed_by(self) -> str:
        return self._person("reviewed_by")

    @property
    def reviewed_at(self):
        return self._eval("reviewed_at")

    @property
    def confirmed_by(self) -> str:
        return self._person("confirmed_by")

    @property
    def confirmed_at(self):
        return self._eval("confirmed_at")

    @property
    def radar(self) -> dict[str, Any]:
        return {"indicators": [{"name": d["name"], "max": float(number(d["weight"]))} for d in self.dimensions],
                "values": [float(number(d["points"])) for d in self.dimensions]}


def frozen_result(evaluation: Evaluation) -> dict[str, Any]:
    """The stored result of a confirmed evaluation (the result_json form, possibly wrapped with its fingerprint)."""
    stored = evaluation.result or {}
    inner = stored.get("result")
    return inner if isinstance(inner, dict) and "items" in inner else stored


def _scores_by_item(evaluation: Evaluation | None) -> dict[str, dict[str, Any]]:
    if evaluation is None or evaluation.pk is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for s in evaluation.item_scores.select_related("by"):
        who = (s.by.display_name or s.by.username) if s.by else ""
        out.setdefault(s.item, {})[s.stage] = {"points": s.points, "note": s.note, "evidence": s.evidence,
                                               "by": who, "at": s.at}
    return out


def record_links(records: list[str], org: Organization | None, year: int | None = None) -> list[tuple[str, str | None]]:
    """(label, url) for the records behind an item: activities by their code (scoped to the subject's subtree),
    rectification tasks ("task:<id>"), checklist items ("checklist:<id>"), compliance findings ("<rule>:<period>");
    anything else as plain text."""
    codes = [r for r in records if ":" not in r]
    found: dict[str, int] = {}
    if codes and org is not None:
        found = dict(Activity.objects.filter(subtree_q(org.path, "org__path"), code__in=codes)
                     .values_list("code", "pk"))
    year_q = f"?year={year}" if year else ""
    out: list[tuple[str, str | None]] = []
    for r in records:
        prefix, _, rest = r.partition(":")
        if r in found:
            out.append((r, reverse("activity_detail", args=[found[r]])))
        elif prefix == "task" and rest.isdigit():
            out.append((f"整改任务#{rest}", reverse("rectification_detail", args=[int(rest)])))
        elif prefix == "checklist" and rest.isdigit() and org is not None:
            url = reverse("assessment_checklists") + f"?org={org.code}&year={year or ''}#cl-{rest}"
            out.append((f"清单事项#{rest}", url))
        elif prefix == "kpi":
            out.append((f"KPI {rest.replace(':', ' ')}", None))
        elif prefix == "team" and rest:
            out.append((f"班组 {rest}", reverse("assessment_team_card", args=[rest]) + year_q))
        elif prefix == "points" and rest.isdigit():
            out.append(("积分台账", _points_url(int(rest), year)))
        elif ":" in r and org is not None and org.kind == "branch":
            out.append((f"检查问题 {prefix} {rest}".strip(), reverse("compliance_branch", args=[org.code]) + year_q))
        else:
            out.append((r, None))
    return out


def _points_url(member_id: int, year: int | None) -> str | None:
    try:
        return reverse("points_member", args=[member_id]) + (f"?year={year}" if year else "")
    except NoReverseMatch:  # the points pages are optional
        return None


def build_card(*, scheme: dict[str, Any], result: dict[str, Any], evaluation: Evaluation | None, live: bool,
               year: int, period: str, org: Organization | None = None) -> Card:
    card = Card(scheme=scheme, result=result, evaluation=evaluation, live=live, year=year, period=period)
    details = result.get("dimension_details") or [
        {"code": "", "name": name, "points": points, "weight": 0} for name, points in
        (result.get("dimensions") or {}).items()]
    card.dimensions = [{**d, "percent": percent(d["points"], d["weight"])} for d in details]
    scores = _scores_by_item(evaluation)
    reviewer_items = _reviewer_items(scheme)
    all_records = [r for item in result.get("items") or [] for r in item.get("records") or []]
    links = dict(zip(all_records, record_links(all_records, org, year), strict=True))
    for item in result.get("items") or []:
        mine = scores.get(item["code"], {})
        card.items.append({
            **item, "dimension_name": item.get("dimension", ""), "value_text": value_text(item.get("value")),
            "records_linked": [links[r] for r in item.get("records") or []],
            "self_score": mine.get(Stage.SELF), "review_score": mine.get(Stage.REVIEW),
            "reviewable": item["code"] in reviewer_items,
        })
    names = scheme.get("vetoes") or {}
    card.vetoes = [{**v, "name": (names.get(v["code"]) or {}).get("name", v["code"])}
                   for v in result.get("vetoes") or []]
    return card


def value_text(value: Any) -> str:
    """A metric's value as shown beside its text: 是/否, a number without trailing zeros, or the text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return f"{Decimal(str(value)).quantize(Decimal('0.0001')).normalize():f}"
    return str(value)


def _reviewer_items(scheme: dict[str, Any]) -> set[str]:
    out = set()
    for dim_code, dim in (scheme.get("dimensions") or {}).items():
        for item_code, item in (dim.get("items") or {}).items():
            if item.get("reviewer"):
                out.add(f"{dim.get('code', dim_code)}.{item.get('code', item_code)}")
    return out


def today() -> dt.date:
    return timezone.localdate()


def card_url(kind: str, *, code: str = "", pk: int | None = None, scheme: str = "", period: str = "") -> str:
    """The card of a subject, for a scheme and a period ("2026" → ?year=, "2026-03" → ?month=)."""
    if kind == "branch":
        url = reverse("assessment_card", args=[code])
    elif kind == "member":
        url = reverse("assessment_member_card", args=[pk])
    elif kind == "team":
        url = reverse("assessment_team_card", args=[code])
    else:
        url = reverse("assessment_post_card", args=[pk])
    params = [f"scheme={scheme}"] if scheme else []
    if period:
        params.append(f"{'month' if len(period) == 7 and '-Q' not in period else 'year'}={period}")
    return url + ("?" + "&".join(params) if params else "")


def evaluation_card_url(e: Evaluation) -> str:
    code = e.org.code if e.subject_kind == "branch" else (e.team.code if e.team_id else "")
    pk = e.member_id or e.post_id
    return card_url(e.subject_kind, code=code, pk=pk, scheme=e.scheme, period=e.period[:4] if "-Q" in e.period
                    else e.period)


def subject_label(e: Evaluation) -> str:
    if e.subject_kind == "member" and e.member_id:
        return e.member.name
    if e.subject_kind == "team" and e.team_id:
        return e.team.name
    if e.subject_kind == "post" and e.post_id:
        return e.post.name
    return e.org.name

