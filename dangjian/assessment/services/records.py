"""Creation checklists (清单化), posts (岗位KPI / 示范岗 / 先锋岗 / 责任区), KPI indicators and their values.
Every write is atomic, validated, permission-checked and audit-logged."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core.audit import snapshot
from dangjian.core.models import AuditAction
from dangjian.core.scoping import get_scope, require
from dangjian.orgs.models import Member, Organization, OrgKind
from dangjian.standards.loader import PackError

from .. import schemes
from ..models import ChecklistItem, KpiIndicator, KpiValue, Post, PostKind
from .common import (
    ITEM_CODE_RE,
    KPI_CODE_RE,
    POINTS_QUANT,
    clean_text,
    log_change,
    may_self_assess,
    parse_date,
    parse_decimal,
    parse_period,
    parse_year,
    user_or_none,
)

# --- checklists (清单化) ------------------------------------------------------------------------------------------

def _require_branch(org: Organization) -> None:
    if org.kind != OrgKind.BRANCH:
        raise ValidationError({"org": f"“{org.name}”不是党支部"})


def _checklist_snap(item: ChecklistItem) -> dict:
    return snapshot(item, extra={"org": item.org.code})


def may_complete_checklist(user, item: ChecklistItem) -> bool:
    """The branch's officers (and the level above), and a member for their own list."""
    scope = get_scope(user)
    return scope.sees_org(item.org) or (item.member_id is not None and item.member_id == scope.member_id)


def _known_item_codes() -> set[str]:
    try:
        return {code for scheme in schemes.all_schemes() for code in schemes.item_codes(scheme)}
    except PackError as exc:
        raise ValidationError({"feeds": f"考核方案有误，无法核对计入考核项：{exc}"})


def _checklist_fields(year: int, title: Any, target: Any, feeds: Any, due_on: Any) -> dict:
    due = parse_date(due_on, "due_on", "完成时限")
    if due.year != year:
        raise ValidationError({"due_on": f"完成时限应在{year}年内"})
    feeds = clean_text(feeds, "feeds", "计入考核项", 80)
    if feeds and not ITEM_CODE_RE.match(feeds):
        raise ValidationError({"feeds": f"计入考核项格式错误：“{feeds}”，应为“维度.考核项”，如“basic_support.checklist”"})
    if feeds and feeds not in _known_item_codes():
        raise ValidationError({"feeds": f"计入考核项“{feeds}”不是任何考核方案中的考核项"})
    return {"title": clean_text(title, "title", "事项", 200, required=True),
            "target": clean_text(target, "target", "目标要求", 4000), "feeds": feeds, "due_on": due}


@transaction.atomic
def checklist_item_create(*, actor, org: Organization, year: Any, title: str, due_on: Any, member: Member | None = None,
                          target: str = "", feeds: str = "", source: str = "web") -> ChecklistItem:
    """Add a creation target to a branch's list, or to one of its members' lists."""
    if not get_scope(actor).sees_org(org):
        raise Http404("组织不存在或无权查看")
    require(may_self_assess(actor, org), "只有本支部的书记、委员或上级组织管理员可以制定创建清单")
    _require_branch(org)
    year = parse_year(year)
    if member is not None and member.branch_id != org.pk:
        raise ValidationError({"member": f"“{member.name}”不是“{org.name}”的党员"})
    item = ChecklistItem.objects.create(org=org, member=member, year=year, created_by=user_or_none(actor),
                                        **_checklist_fields(year, title, target, feeds, due_on))
    log_change(actor, AuditAction.CREATE, item, None, _checklist_snap(item), org, source)
    return item


@transaction.atomic
def checklist_item_update(*, actor, item: ChecklistItem, source: str = "web", **fields) -> ChecklistItem:
    """Change a list item's title, target, feeds or due date."""
    unknown = set(fields) - {"title", "target", "feeds", "due_on"}
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    if not get_scope(actor).sees_org(item.org):
        raise Http404("清单事项不存在或无权查看")
    require(may_self_assess(actor, item.org), "只有本支部的书记、委员或上级组织管理员可以修改创建清单")
    before = _checklist_snap(item)
    merged = {k: fields.get(k, getattr(item, k)) for k in ("title", "target", "feeds", "due_on")}
    for key, value in _checklist_fields(item.year, **merged).items():
        setattr(item, key, value)
    item.save()
    log_change(actor, AuditAction.UPDATE, item, before, _checklist_snap(item), item.org, source)
    return item


@transaction.atomic
def checklist_item_complete(*, actor, item: ChecklistItem, done_on: Any, evidence: str,
                            source: str = "web") -> ChecklistItem:
    """Mark a list item done on a date, with the evidence."""
    if not (get_scope(actor).sees_org(item.org) or may_complete_checklist(actor, item)):
        raise Http404("清单事项不存在或无权查看")
    done = parse_date(done_on, "done_on", "完成日期")
    if done > timezone.localdate():
        raise ValidationError({"done_on": "完成日期不能晚于今天"})
    if done.year < item.year:
        raise ValidationError({"done_on": f"完成日期应在{item.year}年或之后"})
    evidence = clean_text(evidence, "evidence", "完成佐证", 4000, required=True)
    before = _checklist_snap(item)
    item.done_on, item.evidence = done, evidence
    item.save()
    log_change(actor, AuditAction.UPDATE, item, before, _checklist_snap(item), item.org, source)
    return item


@transaction.atomic
def checklist_item_reopen(*, actor, item: ChecklistItem, source: str = "web") -> ChecklistItem:
    """Undo a completion (a mistaken tick)."""
    if not get_scope(actor).sees_org(item.org) and not may_complete_checklist(actor, item):
        raise Http404("清单事项不存在或无权查看")
    before = _checklist_snap(item)
    item.done_on = None
    item.save()
    log_change(actor, AuditAction.UPDATE, item, before, _checklist_snap(item), item.org, source)
    return item


@transaction.atomic
def checklist_item_delete(*, actor, item: ChecklistItem, source: str = "web") -> None:
    if not get_scope(actor).sees_org(item.org):
        raise Http404("清单事项不存在或无权查看")
    require(may_self_assess(actor, item.org), "只有本支部的书记、委员或上级组织管理员可以删除清单事项")
    log_change(actor, AuditAction.DELETE, item, _checklist_snap(item), None, item.org, source)
    item.delete()


# --- posts and KPI ----------------------------------------------------------------------------------------------

def _post_snap(post: Post) -> dict:
    return snapshot(post, extra={"org": post.org.code})


def _require_post_manager(actor, org: Organization) -> None:
    if not get_scope(actor).sees_org(org):
        raise Http404("组织不存在或无权查看")
    require(may_self_assess(actor, org), "只有本支部的书记、委员或上级组织管理员可以设置岗位和指标")


def _post_values(org: Organization, fields: dict, current: Post | None = None) -> dict:
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = clean_text(fields["name"], "name", "岗位名称", 100, required=True)
    if "kind" in fields:
        if fields["kind"] not in PostKind.values:
            raise ValidationError({"kind": f"岗位类型应为{'、'.join(PostKind.labels)}之一"})
        out["kind"] = fields["kind"]
    if "holder" in fields:
        holder = fields["holder"]
        if holder is not None and holder.branch_id != org.pk:
            raise ValidationError({"holder": f"“{holder.name}”不是“{org.name}”的党员"})
        out["holder"] = holder
    if "since" in fields:
        out["since"] = parse_date(fields["since"], "since", "设立日期", required=False)
    if "note" in fields:
        out["note"] = clean_text(fields["note"], "note", "说明", 2000)
    if "active" in fields:
        out["active"] = bool(fields["active"])
    name, kind = out.get("name", current and current.name), out.get("kind", current and current.kind)
    clash = Post.objects.filter(org=org, kind=kind, name=name)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    if clash.exists():
        raise ValidationError({"name": f"本支部已有同名的{PostKind(kind).label}“{name}”"})
    return out


@transaction.atomic
def post_create(*, actor, org: Organization, name: str, kind: str, holder: Member | None = None, since: Any = None,
                note: str = "", source: str = "web") -> Post:
    _require_post_manager(actor, org)
    _require_branch(org)
    values = _post_values(org, {"name": name, "kind": kind, "holder": holder, "since": since, "note": note})
    post = Post.objects.create(org=org, created_by=user_or_none(actor), **values)
    log_change(actor, AuditAction.CREATE, post, None, _post_snap(post), org, source)
    return post


@transaction.atomic
def post_update(*, actor, post: Post, source: str = "web", **fields) -> Post:
    """Change a post's name, holder, since, note or active flag (the kind is fixed: schemes depend on it)."""
    unknown = set(fields) - {"name", "holder", "since", "note", "active"}
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    _require_post_manager(actor, post.org)
    before = _post_snap(post)
    for key, value in _post_values(post.org, fields, post).items():
        setattr(post, key, value)
    post.save()
    log_change(actor, AuditAction.UPDATE, post, before, _post_snap(post), post.org, source)
    return post


def _indicator_snap(ind: KpiIndicator) -> dict:
    return snapshot(ind, extra={"post": ind.post.name, "org": ind.post.org.code})


@transaction.atomic
def kpi_indicator_create(*, actor, post: Post, code: str, name: str, from_year: Any, unit: str = "",
                         coefficient: Any = 1, higher_is_better: bool = True, source: str = "web") -> KpiIndicator:
    _require_post_manager(actor, post.org)
    if post.kind != PostKind.KPI:
        raise ValidationError({"post": f"“{post.name}”不是岗位KPI类岗位，不能设置KPI指标"})
    code = str(code or "").strip()
    if not KPI_CODE_RE.match(code):
        raise ValidationError({"code": "指标编码应为1至40位字母、数字、下划线或连字符"})
    if KpiIndicator.objects.filter(post=post, code=code).exists():
        raise ValidationError({"code": f"岗位“{post.name}”已有指标编码“{code}”"})
    coef = _coefficient(coefficient)
    indicator = KpiIndicator.objects.create(
        post=post, code=code, name=clean_text(name, "name", "指标名称", 100, required=True),
        unit=clean_text(unit, "unit", "单位", 20), coefficient=coef, higher_is_better=bool(higher_is_better),
        from_year=parse_year(from_year, "from_year"))
    log_change(actor, AuditAction.CREATE, indicator, None, _indicator_snap(indicator), post.org, source)
    return indicator


def _coefficient(value: Any) -> Decimal:
    coef = parse_decimal(value, "coefficient", "系数")
    if not Decimal("0") < coef <= Decimal("100") or coef != coef.quantize(POINTS_QUANT):
        raise ValidationError({"coefficient": "系数应大于0、不超过100，最多两位小数"})
    return coef.quantize(POINTS_QUANT)


@transaction.atomic
def kpi_indicator_update(*, actor, indicator: KpiIndicator, source: str = "web", **fields) -> KpiIndicator:
    """Change an indicator's name, unit, coefficient or direction (its code and first year stay: values hang on
    them). Confirmed results keep the coefficients they were computed with."""
    unknown = set(fields) - {"name", "unit", "coefficient", "higher_is_better"}
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    _require_post_manager(actor, indicator.post.org)
    before = _indicator_snap(indicator)
    if "name" in fields:
        indicator.name = clean_text(fields["name"], "name", "指标名称", 100, required=True)
    if "unit" in fields:
        indicator.unit = clean_text(fields["unit"], "unit", "单位", 20)
    if "coefficient" in fields:
        indicator.coefficient = _coefficient(fields["coefficient"])
    if "higher_is_better" in fields:
        indicator.higher_is_better = bool(fields["higher_is_better"])
    indicator.save()
    log_change(actor, AuditAction.UPDATE, indicator, before, _indicator_snap(indicator), indicator.post.org, source)
    return indicator


_KPI_NUMBER_LIMIT = Decimal("1e12")


@transaction.atomic
def kpi_value_set(*, actor, indicator: KpiIndicator, period: str, target: Any, actual: Any = None, note: str = "",
                  source: str = "web") -> KpiValue:
    """Set (create or replace) the target and actual of an indicator for a period."""
    post = indicator.post
    _require_post_manager(actor, post.org)
    label, year = parse_period(period)
    if year < indicator.from_year:
        raise ValidationError({"period": f"指标“{indicator.name}”自{indicator.from_year}年起考核"})
    goal = parse_decimal(target, "target", "目标值")
    if goal <= 0:
        raise ValidationError({"target": "目标值应大于0"})
    done = parse_decimal(actual, "actual", "实际值", required=False)
    if done is not None and done < 0:
        raise ValidationError({"actual": "实际值不能为负数"})
    for field, number in (("target", goal), ("actual", done)):
        if number is not None and (abs(number) >= _KPI_NUMBER_LIMIT or number != number.quantize(Decimal("0.0001"))):
            raise ValidationError({field: "数值过大或小数位数超过4位"})
    value = KpiValue.objects.filter(indicator=indicator, period=label).first()
    before = snapshot(value) if value else None
    if value is None:
        value = KpiValue(indicator=indicator, period=label, year=year)
    four = Decimal("0.0001")
    value.target, value.actual = goal.quantize(four), None if done is None else done.quantize(four)
    value.note = clean_text(note, "note", "说明", 2000)
    value.by = user_or_none(actor)
    value.save()
    after = snapshot(value)
    log_change(actor, AuditAction.UPDATE if before else AuditAction.CREATE, value, before, after, post.org, source)
    return value
