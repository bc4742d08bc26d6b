"""JSON API of member points (党员积分制): the year's table, a member's points, the ledger, claims, specials.

- GET /api/points?org=&year=[&category=&period=]: the table of a subtree, the same JSON as `points --json`
  (selectors.year_table + selectors.to_json, like the ranking page and the Excel export). Officers and admins
  of the organization only; anyone else gets 404.
- GET /api/points/members/{id}?year=: one member's result, months and entries (a member sees themself).
- GET/POST /api/points/entries, POST /api/points/entries/{id}/reverse: the ledger (awards by officers; an
  entry is never changed, a correction is a reversing entry with a reason).
- GET/POST /api/points/claims, POST /api/points/claims/{id}/decide: declarations and their approval.
- GET /api/points/specials: the "N" of "1+N" the user sees.
Writes go through the services (validated, audited with source="api").
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Q, Value, When
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Status

from dangjian.core.masking import mask_id_number
from dangjian.core.scoping import get_member_for_user, get_org_for_user, get_scope, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.api import READ_ERRORS, WRITE_ERRORS, limit_param, offset_param, parse_choice

from . import selectors, services
from .models import ClaimStatus, PointClaim, PointEntry, PointPackVersion, SpecialAssessment
from .pack import PackChooser
from .schemas import (
    ClaimCreateIn,
    ClaimDecideIn,
    ClaimOut,
    ClaimPage,
    EntryAwardIn,
    EntryOut,
    EntryPage,
    MemberPointsOut,
    ReverseIn,
    SpecialPage,
    number,
)

router = Router(tags=["党员积分"])

SOURCE = "api"
YEAR_QUERY = Query(..., ge=2000, le=2100, description="年度，如 2026")
MEMBER_CLAIMS = 50


def _page(total: int, limit: int, offset: int, items: list) -> dict:
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def _user_name(user) -> str | None:
    if user is None:
        return None
    return getattr(user, "display_name", "") or user.get_username()


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


class Labels:
    """Rule and category names from the pack in force for an entry's branch at the end of its year (all pack
    versions are read once, so a page of entries from many branches costs one query)."""

    def __init__(self) -> None:
        self._chooser: PackChooser | None = None

    def pack(self, org, year: int) -> dict:
        if self._chooser is None:
            rows = PointPackVersion.objects.values_list("id", "org__path", "org__code", "effective_from", "content")
            self._chooser = PackChooser([(path, day, selectors.version_pack(pk, code, day, content))
                                         for pk, path, code, day, content in rows])
        return self._chooser.pack_for(org.path, table_day(year))

    def rule(self, org, year: int, code: str, assessment: SpecialAssessment | None) -> str:
        if assessment is not None:
            for rule in assessment.rules or []:
                if isinstance(rule, dict) and rule.get("code") == code:
                    return str(rule.get("name") or code)
            return code
        return selectors.rule_label(self.pack(org, year), code)

    def category(self, org, year: int, code: str, assessment: SpecialAssessment | None) -> str:
        if assessment is not None:
            return assessment.name
        cat = self.pack(org, year)["categories"].get(code)
        return cat["name"] if cat else code


def entry_out(entry: PointEntry, labels: Labels) -> dict[str, Any]:
    activity = entry.activity
    reversed_by = getattr(entry, "reversed_by", None) if _has_reversed_by(entry) else None
    return {
        "id": entry.pk, "member": _ref(entry.member), "org": entry.org.code, "rule": entry.rule,
        "rule_name": labels.rule(entry.org, entry.year, entry.rule, entry.assessment),
        "category": entry.category,
        "category_name": labels.category(entry.org, entry.year, entry.category, entry.assessment),
        "assessment": _ref(entry.assessment), "points": number(entry.points), "occurred_on": entry.occurred_on,
        "period": entry.period, "slot": entry.slot, "source": entry.get_source_display(),
        "source_key": entry.source_key,
        "activity": {"id": activity.pk, "code": activity.code, "title": activity.title} if activity else None,
        "claim_id": entry.claim_id, "reason": entry.reason, "created_by": _user_name(entry.created_by),
        "approved_by": _user_name(entry.approved_by), "created_at": entry.created_at,
        "reverses": entry.reverses_id, "reversed_by": reversed_by.pk if reversed_by is not None else None,
    }


def _has_reversed_by(entry: PointEntry) -> bool:
    try:
        entry.reversed_by  # noqa: B018 — a reverse one-to-one raises when there is none
    except PointEntry.DoesNotExist:
        return False
    return True


def claim_out(claim: PointClaim, labels: Labels) -> dict[str, Any]:
    return {
        "id": claim.pk, "member": _ref(claim.member), "org": claim.org.code, "rule": claim.rule,
        "rule_name": labels.rule(claim.org, claim.occurred_on.year, claim.rule, claim.assessment),
        "category": claim.category, "assessment": _ref(claim.assessment), "points": number(claim.points),
        "occurred_on": claim.occurred_on, "reason": claim.reason, "has_evidence": bool(claim.evidence),
        "status": claim.status, "status_label": claim.get_status_display(),
        "created_by": _user_name(claim.created_by), "created_at": claim.created_at,
        "decided_by": _user_name(claim.decided_by), "decided_at": claim.decided_at,
        "decision_note": claim.decision_note, "entry_id": claim.entry_id,
    }


def special_out(special: SpecialAssessment) -> dict[str, Any]:
    return {
        "id": special.pk, "org": special.org.code, "org_name": special.org.name, "name": special.name,
        "starts_on": special.starts_on, "ends_on": special.ends_on, "weight": number(special.weight),
        "max_points": number(special.max_points), "rules": _jsonable_rules(special.rules), "note": special.note,
        "active": special.active,
    }


def _jsonable_rules(rules) -> list[dict]:
    return [{k: (number(v) if isinstance(v, float) else v) for k, v in r.items()} for r in rules or []
            if isinstance(r, dict)]


ENTRY_RELATED = ("member", "org", "assessment", "activity", "created_by", "approved_by", "reversed_by")
CLAIM_RELATED = ("member", "org", "assessment", "created_by", "decided_by")


def _entries_page(qs, limit: int, offset: int) -> dict:
    total = qs.count()
    entries = list(qs.select_related(*ENTRY_RELATED).order_by("-occurred_on", "-id")[offset: offset + limit])
    labels = Labels()
    return _page(total, limit, offset, [entry_out(e, labels) for e in entries])


def _visible_member(user, member_id: int, field: str):
    try:
        return get_member_for_user(user, member_id)
    except Http404:
        raise ValidationError({field: ["党员不存在或不在您的管理范围内"]})


def _special(user, special_id: int | None, field: str = "assessment_id") -> SpecialAssessment | None:
    if special_id is None:
        return None
    special = selectors.specials_for(user).filter(pk=special_id).first()
    if special is None:
        raise ValidationError({field: ["专项考核不存在或不在您的管理范围内"]})
    return special


# --- the year's table ------------------------------------------------------------------------------------

def table_day(year: int) -> dt.date:
    """The day whose pack names the rules of a year: 31 December, or today if earlier."""
    return min(dt.date(year, 12, 31), timezone.localdate())


def parse_filters(root, year: int, category: str = "", period: str = "") -> tuple[str | None, str | None]:
    """A table request's filters as year_table takes them: the category (given by its code or its name) and
    the period (a month or quarter of the year; empty = the whole year). A bad one is a ValidationError on its
    field. The CLI shares this, so that both give the same table for the same words."""
    try:
        period_key = selectors.check_period(year, (period or "").strip() or None)
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]})
    try:
        code = selectors.resolve_category(selectors.pack_for(root, table_day(year)), (category or "").strip())
    except ValueError as exc:
        raise ValidationError({"category": [str(exc)]})
    return code, period_key


@router.get("/points", response={200: dict[str, Any], **READ_ERRORS},
            summary="年度积分表（某组织及其下级的党员：各类得分、总分、等次、名次）")
def points_table(
    request,
    org: str = Query(..., description="组织编码"),
    year: int = YEAR_QUERY,
    category: str = Query("", description="按此积分类别排名（类别编码或名称，如 参加组织活动）；默认按总分"),
    period: str = Query("", description="期间：月份 2026-03 或季度 2026-Q1；默认全年（等次只对全年给出）"),
):
    root = table_root(request.auth, org)
    category_code, period_key = parse_filters(root, year, category, period)
    return selectors.to_json(selectors.year_table(root, year, category=category_code, period=period_key))


def table_root(user, code: str):
    """An organization the user sees as an officer or an admin; plain members and outsiders get 404."""
    code = (code or "").strip()
    if not get_scope(user).is_officer:
        raise Http404("组织不存在或无权查看")
    return get_org_for_user(user, code)


# --- one member -------------------------------------------------------------------------------------------


def categories_out(result) -> list[dict]:
    return [{"code": c.code, "name": c.name, "raw": number(c.raw), "value": number(c.value), "cap": number(c.cap),
             "cut": number(c.cut), "missing": c.missing} for c in result.categories.values()]


def specials_value_out(result) -> list[dict]:
    return [{"id": sid, "name": s.name, "result": number(s.result), "weight": number(s.weight),
             "contribution": number(s.contribution)} for sid, s in result.specials.items()]


@router.get("/points/members/{member_id}", response={200: MemberPointsOut, **READ_ERRORS},
            summary="一名党员的年度积分（各类得分、名次、逐月得分、积分记录、申报）")
def member_points(request, member_id: int, year: int = YEAR_QUERY, limit: int = limit_param(),
                  offset: int = offset_param()):
    member = get_member_for_user(request.auth, member_id)
    mp = selectors.member_points(member, year)
    result = mp.result
    labels = Labels()
    claims = list(mp.claims.select_related(*CLAIM_RELATED)[:MEMBER_CLAIMS])
    return {
        "id": member.pk, "name": member.name, "id_masked": mask_id_number(member.id_number),
        "org": member.branch.code, "org_name": member.branch.name, "year": year, "is_party_member": result is not None,
        "total": number(result.total) if result else None, "grade": result.grade if result else None,
        "rank_in_branch": mp.rank_branch, "branch_size": mp.branch_size,
        "rank_in_group": mp.rank_group, "group_size": mp.group_size,
        "categories": categories_out(result) if result else [], "specials": specials_value_out(result) if result else [],
        "missing": result.missing if result else [],
        "months": [{"month": month, "points": number(points)} for month, points in mp.months],
        "entries": _entries_page(mp.entries, limit, offset),
        "claims": [claim_out(c, labels) for c in claims],
    }


# --- the ledger -------------------------------------------------------------------------------------------


@router.get("/points/entries", response={200: EntryPage, **READ_ERRORS}, summary="积分记录（最新在前）")
def list_entries(
    request,
    member: int | None = Query(None, description="党员 id"),
    org: str = Query("", description="只列此组织（含下级）的记录，填组织编码"),
    year: int | None = Query(None, ge=2000, le=2100, description="年度"),
    rule: str = Query("", description="规则编码"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = selectors.entries_for(user)
    if member is not None:
        qs = qs.filter(member=get_member_for_user(user, member))
    if org.strip():
        qs = qs.filter(subtree_q(get_org_for_user(user, org.strip()).path, "org__path"))
    if year is not None:
        qs = qs.filter(year=year)
    if rule.strip():
        qs = qs.filter(rule=rule.strip())
    return _entries_page(qs, limit, offset)


@router.post("/points/entries", response={201: EntryOut, **WRITE_ERRORS},
             summary="奖励或扣分（支部书记、委员及上级管理员；扣分须写明事由）")
def award_entry(request, payload: EntryAwardIn):
    user = request.auth
    member = get_member_for_user(user, payload.member_id)
    require(services.may_score(user, member), "只有本支部的书记、委员或上级组织管理员可以奖励或扣分")
    entry = services.entry_award(actor=user, member=member, rule=payload.rule.strip(), points=payload.points,
                                 occurred_on=payload.occurred_on, reason=payload.reason.strip(),
                                 assessment=_special(user, payload.assessment_id), source=SOURCE)
    return Status(201, _entry_detail(entry.pk))


def _entry_detail(pk: int) -> dict:
    entry = PointEntry.objects.select_related(*ENTRY_RELATED).get(pk=pk)
    return entry_out(entry, Labels())


@router.post("/points/entries/{entry_id}/reverse", response={201: EntryOut, **WRITE_ERRORS},
             summary="冲销一条积分记录（写明原因；记录本身不修改、不删除）")
def reverse_entry(request, entry_id: int, payload: ReverseIn):
    user = request.auth
    entry = selectors.get_entry_for_user(user, entry_id)
    require(services.may_score(user, entry.member), "只有本支部的书记、委员或上级组织管理员可以冲销积分记录")
    reversal = services.entry_reverse(actor=user, entry=entry, reason=payload.reason.strip(), source=SOURCE)
    return Status(201, _entry_detail(reversal.pk))


# --- claims -----------------------------------------------------------------------------------------------


@router.get("/points/claims", response={200: ClaimPage, **READ_ERRORS}, summary="积分申报（待审批在前）")
def list_claims(
    request,
    status: str = Query("", description="状态：待审批/已通过/已驳回（或 pending/approved/rejected）"),
    org: str = Query("", description="只列此组织（含下级）的申报，填组织编码"),
    member: int | None = Query(None, description="党员 id"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = selectors.claims_for(user)
    if status.strip():
        qs = qs.filter(status=parse_choice(ClaimStatus, status, "status", "状态"))
    if org.strip():
        qs = qs.filter(subtree_q(get_org_for_user(user, org.strip()).path, "org__path"))
    if member is not None:
        qs = qs.filter(member=get_member_for_user(user, member))
    total = qs.count()
    pending_first = Q(status=ClaimStatus.PENDING)
    claims = list(qs.select_related(*CLAIM_RELATED)
                  .order_by(_pending_first(pending_first), "-created_at", "-id")[offset: offset + limit])
    labels = Labels()
    return _page(total, limit, offset, [claim_out(c, labels) for c in claims])


def _pending_first(condition: Q):
    return Case(When(condition, then=Value(0)), default=Value(1), output_field=BooleanField()).asc()


@router.post("/points/claims", response={201: ClaimOut, **WRITE_ERRORS},
             summary="申报积分（党员本人；佐证材料请在网页上传）")
def create_claim(request, payload: ClaimCreateIn):
    user = request.auth
    if payload.member_id is None:
        member = getattr(user, "member", None)
        if member is None:
            raise ValidationError({"member_id": ["您的账号未关联党员，请填写 member_id"]})
        member = get_member_for_user(user, member.pk)
    else:
        member = get_member_for_user(user, payload.member_id)
    claim = services.claim_create(actor=user, member=member, rule=payload.rule.strip(), points=payload.points,
                                  occurred_on=payload.occurred_on, reason=payload.reason.strip(),
                                  assessment=_special(user, payload.assessment_id), source=SOURCE)
    return Status(201, _claim_detail(claim.pk))


def _claim_detail(pk: int) -> dict:
    claim = PointClaim.objects.select_related(*CLAIM_RELATED).get(pk=pk)
    return claim_out(claim, Labels())


@router.get("/points/claims/{claim_id}", response={200: ClaimOut, **READ_ERRORS}, summary="一条积分申报")
def get_claim(request, claim_id: int):
    return _claim_detail(selectors.get_claim_for_user(request.auth, claim_id).pk)


@router.post("/points/claims/{claim_id}/decide", response={200: ClaimOut, **WRITE_ERRORS},
             summary="审批积分申报（通过或驳回；驳回须写明理由）")
def decide_claim(request, claim_id: int, payload: ClaimDecideIn):
    user = request.auth
    claim = selectors.get_claim_for_user(user, claim_id)
    require(services.may_decide(user, claim), "只有本支部的书记、委员或上级组织管理员可以审批，且不能审批本人的申报")
    claim = services.claim_decide(actor=user, claim=claim, approve=payload.approve, note=payload.note.strip(),
                                  source=SOURCE)
    return _claim_detail(claim.pk)


# --- specials ---------------------------------------------------------------------------------------------


@router.get("/points/specials", response={200: SpecialPage, **READ_ERRORS}, summary="专项考核（“1+N”中的N）")
def list_specials(
    request,
    year: int | None = Query(None, ge=2000, le=2100, description="只列与此年度有交集的专项"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    qs = selectors.specials_for(request.auth)
    if year is not None:
        qs = qs.filter(starts_on__year__lte=year, ends_on__year__gte=year)
    total = qs.count()
    specials = list(qs.select_related("org").order_by("-starts_on", "-id")[offset: offset + limit])
    return _page(total, limit, offset, [special_out(s) for s in specials])


