"""Shared pieces of the points pages: parsing year / period / slot, choosing the root organization, labels."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.utils import timezone

from dangjian.core.scoping import get_org_for_user, get_scope, orgs_for
from dangjian.orgs.models import Organization

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
KIND_LABELS = {"auto": "自动计分", "manual": "支部评分", "declared": "党员申报"}
PERIOD_LABELS = {"month": "按月", "quarter": "按季度"}


def num(value: Any) -> str:
    """A points value as people write it: 8, 7.5, -2 (never 8.0)."""
    if value is None:
        return ""
    d = Decimal(str(value)).quantize(Decimal("0.1"))
    text = f"{d:f}"
    return text[:-2] if text.endswith(".0") else text


def parse_year(request, key: str = "year") -> int:
    today = timezone.localdate()
    text = request.GET.get(key, "").strip()
    if not text:
        return today.year
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    messages.warning(request, f"年度“{text}”无效，已显示{today.year}年度")
    return today.year


def period_year(text: str) -> int | None:
    """The year of a month (2026-03) or quarter (2026-Q1) key, None when the text is neither."""
    m = MONTH_RE.match(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return int(m.group(1))
    m = QUARTER_RE.match(text)
    return int(m.group(1)) if m else None


def period_kind(text: str) -> str | None:
    if MONTH_RE.match(text) and period_year(text):
        return "month"
    if QUARTER_RE.match(text):
        return "quarter"
    return None


def period_title(text: str) -> str:
    """2026-03 → 2026年3月, 2026-Q1 → 2026年第1季度, '' → 全年."""
    kind = period_kind(text)
    if kind == "month":
        return f"{text[:4]}年{int(text[5:])}月"
    if kind == "quarter":
        return f"{text[:4]}年第{text[-1]}季度"
    return "全年"


def period_bounds(text: str) -> tuple[dt.date, dt.date]:
    year = int(text[:4])
    if period_kind(text) == "month":
        month = int(text[5:])
        first = dt.date(year, month, 1)
    else:
        month = (int(text[-1]) - 1) * 3 + 1
        first = dt.date(year, month, 1)
        month += 2
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
    return first, last


def period_choices(year: int) -> list[tuple[str, str]]:
    out = [("", "全年")]
    out += [(f"{year}-Q{q}", f"第{q}季度") for q in range(1, 5)]
    out += [(f"{year}-{m:02d}", f"{m}月") for m in range(1, 13)]
    return out


def current_slot(kind: str, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if kind == "month":
        return f"{today.year}-{today.month:02d}"
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def shift_slot(slot: str, step: int) -> str:
    year = int(slot[:4])
    if period_kind(slot) == "month":
        index = year * 12 + int(slot[5:]) - 1 + step
        return f"{index // 12}-{index % 12 + 1:02d}"
    index = year * 4 + int(slot[-1]) - 1 + step
    return f"{index // 4}-Q{index % 4 + 1}"


def officer_root(request) -> Organization:
    """The organization asked for by ?org= (404 outside the scope); a plain member gets 404."""
    scope = get_scope(request.user)
    if not scope.is_officer:
        raise Http404("页面不存在或无权查看")
    code = request.GET.get("org", "").strip()
    if code:
        return get_org_for_user(request.user, code)
    root = orgs_for(request.user).order_by("path").first()
    if root is None:
        raise Http404("页面不存在或无权查看")
    return root


def querystring(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value:
            params[key] = value
    return params.urlencode()


def rule_kind_label(rule: dict) -> str:
    label = KIND_LABELS.get(rule.get("kind", ""), rule.get("kind", ""))
    if rule.get("period"):
        label += f"（{PERIOD_LABELS.get(rule['period'], rule['period'])}）"
    return label


def range_text(rule: dict) -> str:
    lo, hi = (rule.get("range") or [None, None])[:2]
    if lo is None:
        return ""
    if rule.get("grades"):
        return "；".join(f"{k} {num(v)}" for k, v in rule["grades"].items())
    return num(lo) if lo == hi else f"{num(lo)} ～ {num(hi)}"


def grade_text(grade: dict) -> str:
    lo, below = grade.get("min"), grade.get("below")
    if below is None:
        return f"≥ {num(lo)}"
    return f"{num(lo)} ≤ 总分 < {num(below)}"
