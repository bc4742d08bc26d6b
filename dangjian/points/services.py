"""Every write of the points app: validated (ValidationError in Chinese), one transaction, audit-logged.

The ledger is append-only: entries are created (awarded, approved, accrued) and corrected by reversing
entries; there is no update or delete path. Automatic entries come from accrual.py (re-exported here).
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core.audit import audit_log, snapshot, stored_user
from dangjian.core.models import AuditAction
from dangjian.core.scoping import get_scope
from dangjian.meetings import evidence as files
from dangjian.orgs.models import Member, Organization
from dangjian.standards.loader import PackError

from . import pack as packs
from .accrual import AccrualReport, accrue, accrue_activity, accrue_orgs
from .models import ClaimStatus, EntrySource, PointClaim, PointEntry, PointPackVersion, SpecialAssessment
from .selectors import pack_for

__all__ = ["AccrualReport", "accrue", "accrue_activity", "accrue_orgs", "score_set", "entry_award", "entry_reverse",
           "claim_create", "claim_decide", "special_create", "special_update", "pack_version_create", "may_score",
           "may_decide", "may_manage"]

REASON_MAX = 500


# --- permissions ----------------------------------------------------------------------------------------

def may_score(user, member: Member) -> bool:
    """系统管理员, 组织管理员 of the member's subtree, 支部书记/委员 of the member's branch."""
    return get_scope(user).manages_members_of(member.branch)


def may_decide(user, claim: PointClaim) -> bool:
    """The officers who may score the member, but never on their own claim."""
    scope = get_scope(user)
    if claim.member_id == scope.member_id or (claim.created_by_id is not None and claim.created_by_id == user.pk):
        return False
    return may_score(user, claim.member)


def may_manage(user, org: Organization) -> bool:
    """Specials and pack versions: 系统管理员 / 组织管理员 of the org's subtree."""
    scope = get_scope(user)
    return scope.is_admin or scope.in_paths(org.path, scope.admin_paths)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- helpers --------------------------------------------------------------------------------------------

def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _points(value: Any, rule: dict, field: str = "points") -> Decimal:
    """A point value for a rule: a number, one decimal place at most, within the rule's range."""
    try:
        points = packs.to_points(value, "分值")
    except PackError:
        raise _error(field, f"分值“{value}”无效：应为数字，最多保留一位小数")
    lo, hi = rule["range"]
    if not lo <= points <= hi:
        raise _error(field, f"“{rule['name']}”的分值应在{packs.fmt(lo)}至{packs.fmt(hi)}之间，实际为{packs.fmt(points)}")
    return points


def _reason(reason: str | None, *, required: bool, what: str = "事由") -> str:
    text = (reason or "").strip()
    if required and not text:
        raise _error("reason", f"请填写{what}")
    if len(text) > REASON_MAX:
        raise _error("reason", f"{what}不能超过{REASON_MAX}字")
    return text


def _party_member(member: Member) -> None:
    if not member.is_party_member:
        raise _error("member", f"{member.name}不是党员（含预备党员），不参加党员积分")


def _rule(member: Member, code: str, day: dt.date, special: SpecialAssessment | None) -> dict:
    """The rule `code` in force for the member on `day` (the special's rules when a special is given)."""
    if special is not None:
        if not special.active:
            raise _error("assessment", f"专项考核“{special.name}”已停用")
        if not member.branch.path.startswith(special.org.path):
            raise _error("assessment", f"{member.name}不在专项考核“{special.name}”的范围内")
        if not special.starts_on <= day <= special.ends_on:
            raise _error("occurred_on", f"日期应在专项考核“{special.name}”的时间范围内"
                                        f"（{special.starts_on}至{special.ends_on}）")
        rules = packs.special_rules_map(packs.validate_special_rules(special.rules, special.name))
        rule = rules.get(code)
    else:
        rule = pack_for(member.branch, day)["rules"].get(code)
    if rule is None:
        raise _error("rule", f"积分规则“{code}”不存在")
    return rule


def _check_day(day: Any, field: str = "occurred_on") -> dt.date:
    if not isinstance(day, dt.date):
        raise _error(field, "请填写日期")
    if day > timezone.localdate():
        raise _error(field, "日期不能晚于今天")
    if day.year < 2000:
        raise _error(field, "日期无效")
    return day


def _top_id(org: Organization) -> int:
    if org.depth == 1:
        return org.pk
    return Organization.objects.values_list("id", flat=True).get(path=org.path[:Organization.steplen])


def _entry_snapshot(entry: PointEntry) -> dict:
    return snapshot(entry)


def _claim_snapshot(claim: PointClaim) -> dict:
    return snapshot(claim, extra={"evidence": claim.evidence.name or ""})


def _live(entry: PointEntry) -> bool:
    return entry.reverses_id is None and not PointEntry.objects.filter(reverses_id=entry.pk).exists()


def _new_entry(*, member: Member, rule: dict, points: Decimal, day: dt.date, source: str, source_key: str,
               reason: str, actor, special: SpecialAssessment | None = None, slot: str = "",
               claim: PointClaim | None = None, created_by=None, approved_by=None) -> PointEntry:
    return PointEntry.objects.create(
        member=member, org_id=member.branch_id, top_org_id=_top_id(member.branch), assessment=special,
        rule=rule["code"], category=rule["category"], points=points, occurred_on=day, year=day.year,
        period=f"{day:%Y-%m}", slot=slot, source=source, source_key=source_key, claim=claim, reason=reason,
        created_by=created_by if created_by is not None else stored_user(actor), approved_by=approved_by)


def reversal_of(entry: PointEntry, reason: str, actor) -> PointEntry:
    """The entry that cancels `entry`: the same member, rule, dates and slot, the points negated."""
    return PointEntry(
        member_id=entry.member_id, org_id=entry.org_id, top_org_id=entry.top_org_id,
        assessment_id=entry.assessment_id, rule=entry.rule, category=entry.category, points=-entry.points,
        occurred_on=entry.occurred_on, year=entry.year, period=entry.period, slot=entry.slot, source=entry.source,
        source_key=entry.source_key, activity_id=entry.activity_id, claim_id=entry.claim_id, reverses_id=entry.pk,
        reason=reason, created_by=stored_user(actor))


def _reverse(entry: PointEntry, reason: str, actor, source: str) -> PointEntry:
    reversal = reversal_of(entry, reason, actor)
    try:
        with transaction.atomic():
            reversal.save()
    except IntegrityError:
        raise _error("entry", "该积分记录已被冲销")
    audit_log(actor=actor, action=AuditAction.CREATE, obj=reversal, after=_entry_snapshot(reversal),
              org_path=entry.member.branch.path, source=source)
    return reversal


def _lock(member: Member) -> Member:
    """Serialize writes for one member (a no-op on SQLite, which serializes writers anyway)."""
    return Member.objects.select_for_update().select_related("branch").get(pk=member.pk)


# --- grid scores --------------------------------------------------------------------------------------

@transaction.atomic
def score_set(*, actor, member: Member, rule: str, slot: str, points: Decimal | None, reason: str = "",
              assessment: SpecialAssessment | None = None, source: str = "web") -> PointEntry | None:
    """Set one grid cell (a periodic score): the slot's live entry is reversed and a new one written when the
    value changes; None (or "") clears the cell. Returns the live entry after the change (None if cleared)."""
    _require(may_score(actor, member), "只有本支部书记、支部委员或上级组织管理员可以评分")
    member = _lock(member)
    _party_member(member)
    kind = packs.slot_kind(slot or "")
    if kind is None:
        raise _error("slot", f"评分期间“{slot}”无效，应为月份（如2026-03）或季度（如2026-Q1）")
    start, end = packs.slot_bounds(slot)
    if start > timezone.localdate():
        raise _error("slot", f"{slot}尚未开始，不能评分")
    the_rule = _rule(member, rule, end if assessment is None else max(start, min(end, assessment.ends_on)),
                     assessment)
    if the_rule["kind"] != "manual" or "period" not in the_rule:
        raise _error("rule", f"“{the_rule['name']}”不是按期间评分的规则")
    if the_rule["period"] != kind:
        raise _error("slot", f"“{the_rule['name']}”按{packs.PERIODS[the_rule['period']]}评分，期间“{slot}”不符")
    text = _reason(reason, required=False)
    source_key = f"grid:{slot}"
    live = (PointEntry.objects.filter(member=member, rule=rule, source_key=source_key, assessment=assessment,
                                      reverses__isnull=True, reversed_by__isnull=True)
            .select_related("member__branch").first())
    if points is None or points == "":
        if live is not None:
            _reverse(live, text or "清除评分", actor, source)
        return None
    value = _points(points, the_rule)
    if live is not None and live.points == value:
        return live
    if live is not None:
        _reverse(live, text or f"评分调整：{packs.fmt(live.points)} → {packs.fmt(value)}", actor, source)
    day = end if assessment is None else min(end, assessment.ends_on)
    entry = _new_entry(member=member, rule=the_rule, points=value, day=day, source=EntrySource.AWARDED,
                       source_key=source_key, reason=text or f"{slot}评分", actor=actor, special=assessment,
                       slot=slot)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=entry, after=_entry_snapshot(entry),
              org_path=member.branch.path, source=source)
    return entry


# --- one-off awards and reversals -------------------------------------------------------------------

@transaction.atomic
def entry_award(*, actor, member: Member, rule: str, points, occurred_on: dt.date, reason: str,
                assessment: SpecialAssessment | None = None, source: str = "web") -> PointEntry:
    """A one-off award or deduction by an officer (a manual rule without a period, or a declared item)."""
    _require(may_score(actor, member), "只有本支部书记、支部委员或上级组织管理员可以奖励或扣分")
    member = _lock(member)
    _party_member(member)
    day = _check_day(occurred_on)
    the_rule = _rule(member, rule, day, assessment)
    if the_rule["kind"] == "auto":
        raise _error("rule", f"“{the_rule['name']}”由系统根据记录自动计分，不能手工录入")
    if "period" in the_rule:
        raise _error("rule", f"“{the_rule['name']}”按{packs.PERIODS[the_rule['period']]}评分，请在评分表中录入")
    value = _points(points, the_rule)
    text = _reason(reason, required=True, what="奖励或扣分的事由")
    entry = _new_entry(member=member, rule=the_rule, points=value, day=day, source=EntrySource.AWARDED,
                       source_key=f"award:{uuid.uuid4().hex}", reason=text, actor=actor, special=assessment)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=entry, after=_entry_snapshot(entry),
              org_path=member.branch.path, source=source)
    return entry


@transaction.atomic
def entry_reverse(*, actor, entry: PointEntry, reason: str, source: str = "web") -> PointEntry:
    """Cancel an entry by a reversing entry (the ledger is never edited)."""
    entry = PointEntry.objects.select_related("member__branch").get(pk=entry.pk)
    _require(may_score(actor, entry.member), "只有本支部书记、支部委员或上级组织管理员可以冲销积分")
    if entry.reverses_id is not None:
        raise _error("entry", "冲销记录本身不能再冲销")
    if entry.source == EntrySource.AUTO:
        raise _error("entry", "自动积分随原始记录（出勤、评议等）变化而调整，请修改原始记录")
    if not _live(entry):
        raise _error("entry", "该积分记录已被冲销")
    text = _reason(reason, required=True, what="冲销原因")
    return _reverse(entry, text, actor, source)


# --- claims (申报) ----------------------------------------------------------------------------------------

def _store_evidence(upload) -> tuple[str, files.CheckedUpload]:
    checked = files.check_upload(upload)
    upload.seek(0)
    name = default_storage.save(f"points/claims/{timezone.localtime():%Y/%m}/{uuid.uuid4().hex}{checked.extension}",
                                upload)
    return name, checked


def claim_create(*, actor, member: Member, rule: str, points, occurred_on: dt.date, reason: str, upload=None,
                 assessment: SpecialAssessment | None = None, source: str = "web") -> PointClaim:
    """A member's declaration of an item (a declared rule), with optional evidence, for approval."""
    scope = get_scope(actor)
    _require(scope.member_id == member.pk or may_score(actor, member), "只能为本人申报积分")
    member = Member.objects.select_related("branch").get(pk=member.pk)
    _party_member(member)
    day = _check_day(occurred_on)
    the_rule = _rule(member, rule, day, assessment)
    if the_rule["kind"] != "declared":
        raise _error("rule", f"“{the_rule['name']}”不是可申报的积分项目")
    value = _points(points, the_rule)
    text = _reason(reason, required=True, what="申报事由")
    name, checked = _store_evidence(upload) if upload is not None else ("", None)
    try:
        with transaction.atomic():
            claim = PointClaim.objects.create(
                member=member, org_id=member.branch_id, rule=the_rule["code"], category=the_rule["category"],
                assessment=assessment, points=value, occurred_on=day, reason=text, evidence=name,
                evidence_name=checked.display_name if checked else "",
                evidence_type=checked.content_type if checked else "", created_by=stored_user(actor))
            audit_log(actor=actor, action=AuditAction.CREATE, obj=claim, after=_claim_snapshot(claim),
                      org_path=member.branch.path, source=source)
    except Exception:
        if name:
            default_storage.delete(name)  # a claim that could not be written leaves no file behind
        raise
    return claim


@transaction.atomic
def claim_decide(*, actor, claim: PointClaim, approve: bool, note: str = "", source: str = "web") -> PointClaim:
    """Approve (the ledger entry is written) or reject (a note is required) a pending claim."""
    claim = (PointClaim.objects.select_for_update(of=("self",)).select_related("member__branch", "assessment__org")
             .get(pk=claim.pk))
    _require(may_decide(actor, claim), "只有本支部书记、支部委员或上级组织管理员可以审批，且不能审批本人的申报")
    if claim.status != ClaimStatus.PENDING:
        raise _error("status", f"该申报已{claim.get_status_display()}，不能重复审批")
    text = (note or "").strip()
    if not approve and not text:
        raise _error("note", "驳回申报须填写理由")
    if len(text) > REASON_MAX:
        raise _error("note", f"审批意见不能超过{REASON_MAX}字")
    before = _claim_snapshot(claim)
    if approve:
        the_rule = _rule(claim.member, claim.rule, claim.occurred_on, claim.assessment)
        value = _points(claim.points, the_rule)
        entry = _new_entry(member=claim.member, rule=the_rule, points=value, day=claim.occurred_on,
                           source=EntrySource.DECLARED, source_key=f"claim:{claim.pk}", reason=claim.reason,
                           actor=actor, special=claim.assessment, claim=claim, created_by=claim.created_by,
                           approved_by=stored_user(actor))
        audit_log(actor=actor, action=AuditAction.CREATE, obj=entry, after=_entry_snapshot(entry),
                  org_path=claim.member.branch.path, source=source)
        claim.entry = entry
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.decided_by = stored_user(actor)
    claim.decided_at = timezone.now()
    claim.decision_note = text
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "entry"])
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=claim, before=before, after=_claim_snapshot(claim),
              org_path=claim.member.branch.path, source=source)
    return claim


# --- special assessments ("N" of "1+N") --------------------------------------------------------------

SPECIAL_FIELDS = ("name", "starts_on", "ends_on", "weight", "max_points", "rules", "note", "active")


def _special_values(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a special's fields; returns them cleaned. Errors are per field, in Chinese."""
    errors: dict[str, list[str]] = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors.setdefault("name", []).append("请填写专项名称")
    elif len(name) > 100:
        errors.setdefault("name", []).append("专项名称不能超过100字")
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        errors.setdefault("starts_on", []).append("请填写开始和结束日期")
    elif ends_on < starts_on:
        errors.setdefault("ends_on", []).append("结束日期不能早于开始日期")
    weight = _decimal_field(values.get("weight"), "weight", "权重", errors, Decimal("0"), Decimal("1"), "0.01")
    max_points = _decimal_field(values.get("max_points"), "max_points", "专项满分", errors, Decimal("0.1"),
                                Decimal("1000"), "0.1")
    rules = values.get("rules")
    try:
        packs.validate_special_rules(rules, name or "专项考核")
    except PackError as exc:
        errors.setdefault("rules", []).append(str(exc))
    if errors:
        raise ValidationError(errors)
    return {"name": name, "starts_on": starts_on, "ends_on": ends_on, "weight": weight, "max_points": max_points,
            "rules": packs._jsonable(rules), "note": (values.get("note") or "").strip(),
            "active": bool(values.get("active", True))}


def _decimal_field(raw, field, label, errors, lo, hi, step) -> Decimal | None:
    try:
        value = Decimal(str(raw))
        if not value.is_finite():
            raise ValueError
    except Exception:
        errors.setdefault(field, []).append(f"{label}应为数字")
        return None
    if not lo <= value <= hi:
        errors.setdefault(field, []).append(f"{label}应在{lo}至{hi}之间")
    elif value != value.quantize(Decimal(step)):
        errors.setdefault(field, []).append(f"{label}最多保留{len(step) - 2}位小数")
    return value


@transaction.atomic
def special_create(*, actor, org: Organization, name: str, starts_on: dt.date, ends_on: dt.date, weight,
                   max_points, rules: list, note: str = "", active: bool = True,
                   source: str = "web") -> SpecialAssessment:
    _require(may_manage(actor, org), "只有该组织的组织管理员可以设立专项考核")
    values = _special_values({"name": name, "starts_on": starts_on, "ends_on": ends_on, "weight": weight,
                              "max_points": max_points, "rules": rules, "note": note, "active": active})
    special = SpecialAssessment.objects.create(org=org, created_by=stored_user(actor), **values)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=special, after=snapshot(special),
              org_path=org.path, source=source)
    return special


@transaction.atomic
def special_update(*, actor, special: SpecialAssessment, source: str = "web", **changes: Any) -> SpecialAssessment:
    special = SpecialAssessment.objects.select_for_update().select_related("org").get(pk=special.pk)
    _require(may_manage(actor, special.org), "只有该组织的组织管理员可以修改专项考核")
    unknown = set(changes) - set(SPECIAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown special fields {unknown}")
    before = snapshot(special)
    values = _special_values({f: getattr(special, f) for f in SPECIAL_FIELDS} | changes)
    for key, value in values.items():
        setattr(special, key, value)
    special.save()
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=special, before=before, after=snapshot(special),
              org_path=special.org.path, source=source)
    return special


# --- pack versions -------------------------------------------------------------------------------------

@transaction.atomic
def pack_version_create(*, actor, org: Organization, effective_from: dt.date, source_text: str, note: str = "",
                        source: str = "web") -> PointPackVersion:
    """An organization's own points pack for its subtree from a date (not in the past), typed as YAML."""
    _require(may_manage(actor, org), "只有该组织的组织管理员可以调整积分规则")
    if not isinstance(effective_from, dt.date):
        raise _error("effective_from", "请填写生效日期")
    if effective_from < timezone.localdate():
        raise _error("effective_from", "生效日期不能早于今天（已生效的规则不能追溯修改）")
    if len((note or "").strip()) > 200:
        raise _error("note", "调整说明不能超过200字")
    try:
        content = packs.parse_pack_text(source_text, f"{org.code}的积分规则")
    except PackError as exc:
        raise _error("source_text", str(exc))
    if PointPackVersion.objects.filter(org=org, effective_from=effective_from).exists():
        raise _error("effective_from", f"{org.name}在{effective_from}已有一个积分规则版本")
    version = PointPackVersion.objects.create(org=org, effective_from=effective_from, content=content,
                                              source_text=source_text, note=(note or "").strip(),
                                              created_by=stored_user(actor))
    audit_log(actor=actor, action=AuditAction.CREATE, obj=version,
              after=snapshot(version, fields=["org", "effective_from", "note"], extra={"org": org.code}),
              org_path=org.path, source=source)
    return version
