"""Shared pieces of the assessment writes: input validators (Chinese messages), the scheme helpers, the
permission helpers and the audit helper.

Who does what:
- self-assessment (自评): the subject branch's 支部书记/委员, or a 组织管理员 whose subtree holds the branch;
- review (审核), return (退回), confirmation (认定), re-evaluation: the level above — a 组织管理员 of a strict
  ancestor of the branch (or a 系统管理员) — never the branch's own officers.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.core.audit import actor_name, audit_log, stored_user
from dangjian.core.scoping import get_scope
from dangjian.orgs.models import Organization, Role, RoleGrant
from dangjian.standards.loader import PackError

from .. import schemes
from ..models import Evaluation, SubjectKind

YEAR_MIN, YEAR_MAX = 2000, 2100
POINTS_QUANT = Decimal("0.01")
_PERIOD_RE = {
    "year": re.compile(r"^(\d{4})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
}
_PERIOD_EXAMPLE = {"year": "2026", "quarter": "2026-Q2", "month": "2026-03"}
_PERIOD_LABEL = {"year": "年度", "quarter": "季度", "month": "月度"}
ITEM_CODE_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
KPI_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
OFFICER_ROLES = (Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE)
SUBJECT_LABEL = dict(SubjectKind.choices)


# --- small validators -----------------------------------------------------------------------------------------

def period_kind(period: str) -> str | None:
    """"year", "quarter" or "month" for a well-formed period label; None otherwise."""
    for kind, pattern in _PERIOD_RE.items():
        if isinstance(period, str) and pattern.match(period):
            return kind
    return None


def parse_period(period: Any, kind: str | None = None, field: str = "period") -> tuple[str, int]:
    """Check a period label (of `kind` when given); returns (label, year)."""
    text = str(period or "").strip()
    found = period_kind(text)
    if found is None or (kind is not None and found != kind):
        if kind is not None:
            expected = f"{_PERIOD_LABEL[kind]}，如“{_PERIOD_EXAMPLE[kind]}”"
        else:
            expected = "“2026”“2026-Q2”或“2026-03”"
        raise ValidationError({field: f"期间格式错误：“{text}”，应为{expected}"})
    year = int(text[:4])
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError({field: f"年度应在{YEAR_MIN}至{YEAR_MAX}之间"})
    return text, year


def period_start(period: str) -> dt.date:
    """The first day of a well-formed period label."""
    year = int(period[:4])
    if len(period) == 4:
        return dt.date(year, 1, 1)
    if period[5] == "Q":
        return dt.date(year, (int(period[6]) - 1) * 3 + 1, 1)
    return dt.date(year, int(period[5:7]), 1)


def parse_year(value: Any, field: str = "year") -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: f"年度格式错误：“{value}”，应为四位数字，如“2026”"})
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError({field: f"年度应在{YEAR_MIN}至{YEAR_MAX}之间"})
    return year


def parse_date(value: Any, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: f"请填写{label}"})
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError({field: f"{label}格式错误：“{value}”，应为YYYY-MM-DD，如“2026-03-31”"})


def parse_decimal(value: Any, field: str, label: str, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({field: f"请填写{label}"})
        return None
    if isinstance(value, bool):
        raise ValidationError({field: f"{label}应为数字"})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({field: f"{label}应为数字，实际为“{value}”"})
    if not number.is_finite():
        raise ValidationError({field: f"{label}应为有限的数字"})
    return number


def clean_text(value: Any, field: str, label: str, max_length: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}"})
    if len(text) > max_length:
        raise ValidationError({field: f"{label}不能超过{max_length}个字"})
    return text


# --- schemes --------------------------------------------------------------------------------------------------

def load_scheme(code: str) -> dict:
    """The scheme pack `code` (validated by the loader); a ValidationError for an unknown or broken one."""
    try:
        return schemes.load_scheme(code)
    except PackError as exc:
        raise ValidationError({"scheme": str(exc)})


def scheme_items(scheme: dict) -> dict[str, dict]:
    """The scheme's static items by their code "dimension.item" (a KPI post's indicators are not among them)."""
    return schemes.item_codes(scheme)


def reviewer_item(scheme: dict, code: str) -> dict:
    item = scheme_items(scheme).get(code)
    if item is None:
        raise ValidationError({"item": f"考核方案“{scheme.get('name', '')}”中没有考核项“{code}”"})
    if not item.get("reviewer"):
        raise ValidationError({"item": f"考核项“{item.get('name', code)}”为自动计分，不能人工评分"})
    return item


# --- permissions ------------------------------------------------------------------------------------------------

def _is_branch_officer(user, org: Organization) -> bool:
    """Holds a 支部书记/委员 grant on the branch itself (checked in the database: a 系统管理员's scope omits it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    scope = get_scope(user)
    if not scope.is_admin:
        return org.path in scope.officer_paths
    return RoleGrant.objects.filter(user=user, org=org, role__in=OFFICER_ROLES).exists()


def may_self_assess(user, org: Organization) -> bool:
    """自评: the branch's officers, a 组织管理员 whose subtree holds the branch, or a 系统管理员."""
    return get_scope(user).sees_org(org)


def may_review(user, org: Organization) -> bool:
    """审核: a 组织管理员 of a strict ancestor of the branch (or a 系统管理员), never the branch's own officers."""
    scope = get_scope(user)
    if not (scope.is_admin or any(org.path.startswith(p) and org.path != p for p in scope.admin_paths)):
        return False
    return not _is_branch_officer(user, org)


def may_confirm(user, org: Organization) -> bool:
    """认定 (and 退回, re-evaluation): the level above, as for the review."""
    return may_review(user, org)


def sees_evaluation(user, evaluation: Evaluation) -> bool:
    scope = get_scope(user)
    if scope.sees_org(evaluation.org):
        return True
    return evaluation.member_id is not None and evaluation.member_id == scope.member_id


def evaluations_for(user) -> QuerySet[Evaluation]:
    """The evaluations a user may see: their scope's branches, and a plain member's own member-level ones."""
    scope = get_scope(user)
    q = scope.org_q("org__")
    if scope.member_id is not None:
        q |= Q(member_id=scope.member_id)
    return Evaluation.objects.filter(q)


def get_evaluation_for_user(user, pk) -> Evaluation:
    try:
        return evaluations_for(user).select_related("org", "member", "team", "post").get(pk=pk)
    except (Evaluation.DoesNotExist, ValueError, TypeError):
        raise Http404("考核评价不存在或无权查看")


def require_visible(user, org: Organization, evaluation: Evaluation | None = None) -> None:
    """An outsider cannot tell the object exists (404); a viewer without the right gets 403 later."""
    if evaluation is not None and sees_evaluation(user, evaluation):
        return
    if get_scope(user).sees_org(org) or may_review(user, org):
        return
    raise Http404("考核评价不存在或无权查看")


def require_state(evaluation: Evaluation, allowed: tuple[str, ...], action: str) -> None:
    if evaluation.status not in allowed:
        raise ValidationError(f"当前状态为“{evaluation.get_status_display()}”，不能{action}")


# --- small helpers of the writes ------------------------------------------------------------------------------

def log_change(actor, action: str, obj, before: dict | None, after: dict | None, org: Organization,
               source: str) -> None:
    audit_log(actor=actor, action=action, obj=obj, before=before, after=after, org_path=org.path, source=source)


user_or_none = stored_user
actor_label = actor_name
