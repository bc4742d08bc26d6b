"""The scoring grid: a branch's members × the manual rules of one period (a quarter or a month).

Each cell is an input that saves on change (htmx POST to points_grid_cell → `services.score_set`) and comes
back with its state: 已保存, or the Chinese error with nothing changed. Tab / Enter / arrow keys move on.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.scoping import get_org_for_user, get_scope, require
from dangjian.orgs.models import PARTY_MEMBER_CATEGORIES, Member, Organization, OrgKind

from .. import selectors, services
from ..models import PointEntry
from .common import current_slot, num, period_bounds, period_kind, period_title, range_text, shift_slot


def _branch(request, code: str) -> Organization:
    org = get_org_for_user(request.user, code)
    if org.kind == OrgKind.GROUP:
        org = Organization.objects.get(path=org.path[: -Organization.steplen])
    return org


def grid_rules(pack: dict, kind: str) -> dict[str, dict]:
    """The manual rules of the pack scored per `kind` period (month|quarter), in pack order."""
    return {code: r for code, r in (pack.get("rules") or {}).items()
            if r.get("kind") == "manual" and r.get("period") == kind}


def period_kinds(pack: dict) -> list[str]:
    kinds = {r.get("period") for r in (pack.get("rules") or {}).values() if r.get("kind") == "manual"}
    return [k for k in ("quarter", "month") if k in kinds]


def live_values(member_ids: list[int], rules: list[str], slot: str) -> dict[tuple[int, str], Any]:
    """The current (not reversed) score of each member and rule in the slot (one query)."""
    rows = (PointEntry.objects.filter(member_id__in=member_ids, rule__in=rules, slot=slot, assessment__isnull=True,
                                      reverses__isnull=True, reversed_by__isnull=True)
            .values_list("member_id", "rule", "points"))
    return {(m, r): p for m, r, p in rows}


def grid_members(branch: Organization) -> list[Member]:
    return list(Member.objects.filter(branch=branch, category__in=PARTY_MEMBER_CATEGORIES)
                .select_related("group").order_by(F("group__path").asc(nulls_first=True), "name", "pk"))


def _slot(request, pack: dict) -> tuple[str, str | None]:
    """(slot, warning) — the asked period if valid and scored by this pack, else the current one."""
    kinds = period_kinds(pack)
    text = request.GET.get("slot", "").strip()
    kind = period_kind(text) if text else None
    if kind and kind in kinds:
        return text, None
    default = current_slot(kinds[0]) if kinds else ""
    warning = f"评分期间“{text}”无效，已显示{period_title(default)}" if text else None
    return default, warning


@login_required
def points_grid(request, code: str):
    if not get_scope(request.user).is_officer:
        raise Http404("页面不存在或无权查看")
    branch = _branch(request, code)
    if branch.kind != OrgKind.BRANCH:
        branches = list(Organization.objects.filter(branch.subtree_q(), kind=OrgKind.BRANCH).order_by("path")[:60])
        return render(request, "points/grid_choose.html", {
            "org": branch, "branches": branches, "breadcrumbs": [("评分表", None)]})
    pack = selectors.pack_for(branch, timezone.localdate())
    slot, warning = _slot(request, pack)
    if warning:
        messages.warning(request, warning)
    context: dict[str, Any] = {"branch": branch, "slot": slot, "pack": pack,
                               "breadcrumbs": [("积分排名", f"{reverse('points_ranking')}?org={branch.code}"),
                                               (f"评分表 · {branch.name}", None)]}
    if slot:
        pack = selectors.pack_for(branch, min(period_bounds(slot)[1], timezone.localdate()))
        context |= _grid(request, branch, pack, slot)
    return render(request, "points/grid.html", context)


def _grid(request, branch: Organization, pack: dict, slot: str) -> dict[str, Any]:
    rules = grid_rules(pack, period_kind(slot) or "")
    wanted = request.GET.get("rule", "").strip()
    if wanted in rules:
        rules = {wanted: rules[wanted]}
    members = grid_members(branch)
    values = live_values([m.pk for m in members], list(rules), slot)
    rows = [{"member": m, "cells": [cell_context(branch, m, code, slot, values.get((m.pk, code)))
                                    for code in rules]} for m in members]
    categories = pack.get("categories") or {}
    columns = [{"code": code, "name": r.get("name", code), "range": range_text(r),
                "category": categories.get(r.get("category"), {}).get("name", "")} for code, r in rules.items()]
    return {"rows": rows, "columns": columns, "rule": wanted if wanted in rules else "", "pack": pack,
            "slot_title": period_title(slot), "prev_slot": shift_slot(slot, -1), "next_slot": shift_slot(slot, 1),
            "kinds": period_kinds(pack), "scored": len(values), "cell_count": len(members) * len(rules)}


def cell_context(branch: Organization, member: Member, rule: str, slot: str, value: Any, *, state: str = "",
                 message: str = "", typed: str | None = None) -> dict[str, Any]:
    return {"branch": branch, "member": member, "rule": rule, "slot": slot, "state": state, "message": message,
            "value": typed if typed is not None else ("" if value is None else num(value))}


def parse_points(text: str) -> Decimal | None:
    """'' → None (clear the cell); otherwise a number with at most one decimal place."""
    text = text.strip().replace("，", ".").replace("。", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"“{text}”不是数字")
    if not value.is_finite():
        raise ValidationError(f"“{text}”不是数字")
    if value != value.quantize(Decimal("0.1")):
        raise ValidationError("最多一位小数")
    return value


@login_required
@require_POST
def points_grid_cell(request, code: str):
    if not get_scope(request.user).is_officer:
        raise Http404("页面不存在或无权查看")
    branch = _branch(request, code)
    slot = request.POST.get("slot", "").strip()
    raw = request.POST.get("member", "")
    member = (Member.objects.filter(pk=int(raw), branch=branch).select_related("branch").first()
              if raw.isdigit() else None)
    if member is None or not period_kind(slot):
        raise Http404("评分对象不存在")
    require(services.may_score(request.user, member), "您无权为该党员评分")
    pack = selectors.pack_for(branch, min(period_bounds(slot)[1], timezone.localdate()))
    rule = request.POST.get("rule", "").strip()
    if rule not in grid_rules(pack, period_kind(slot) or ""):
        raise Http404("评分项目不存在")
    typed = request.POST.get("value", "")
    try:
        points = parse_points(typed)
        services.score_set(actor=request.user, member=member, rule=rule, slot=slot, points=points, source="web")
    except ValidationError as exc:
        context = cell_context(branch, member, rule, slot, None, state="error", message="；".join(exc.messages),
                               typed=typed)
        return render(request, "points/_grid_cell.html", context)
    value = live_values([member.pk], [rule], slot).get((member.pk, rule))
    message = "已保存" if value is not None else "已清除"
    return render(request, "points/_grid_cell.html",
                  cell_context(branch, member, rule, slot, value, state="saved", message=message))


@login_required
def points_grid_home(request):
    """The grid of the first branch in scope (for the sidebar link)."""
    scope = get_scope(request.user)
    if not scope.is_officer:
        raise Http404("页面不存在或无权查看")
    branches = list(Organization.objects.filter(scope.org_q(), kind=OrgKind.BRANCH).order_by("path")[:60])
    if len(branches) == 1:
        return redirect("points_grid", code=branches[0].code)
    return render(request, "points/grid_choose.html", {"org": None, "branches": branches,
                                                       "breadcrumbs": [("评分表", None)]})
