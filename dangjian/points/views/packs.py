"""The point rules in force for an organization (rules with their sources, categories with caps, grades), the
versions that apply to it, and a new version from YAML for 组织管理员 (validated by the same loader)."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.core.scoping import get_org_for_user, get_scope, require
from dangjian.orgs.forms import apply_errors
from dangjian.orgs.models import Member, Organization
from dangjian.standards.loader import PACK_DIR

from .. import selectors, services
from ..forms import PackVersionForm
from ..pack import DEFAULT_PACK
from .common import grade_text, num, officer_root, range_text, rule_kind_label


def _org(request) -> Organization:
    """Officers: ?org= or their first organization; a plain member: their own branch."""
    scope = get_scope(request.user)
    if scope.is_officer:
        return officer_root(request)
    if request.GET.get("org"):
        raise Http404("组织不存在或无权查看")
    member = Member.objects.select_related("branch").filter(pk=request.user.member_id).first()
    if member is None:
        raise Http404("页面不存在或无权查看")
    return member.branch


def pack_rows(pack: dict) -> list[dict[str, Any]]:
    categories = pack.get("categories") or {}
    rows = []
    for code, cat in categories.items():
        rules = [{"code": rc, "name": r.get("name", rc), "kind": rule_kind_label(r), "range": range_text(r),
                  "source": r.get("source", "")}
                 for rc, r in (pack.get("rules") or {}).items() if r.get("category") == code]
        rows.append({"code": code, "name": cat.get("name", code), "max": num(cat.get("max")),
                     "base": num(cat.get("base")) if cat.get("base") else "",
                     "mean": cat.get("combine") == "mean", "rules": rules})
    return rows


def default_text() -> str:
    return (PACK_DIR / DEFAULT_PACK).read_text(encoding="utf-8")


@login_required
def points_packs(request):
    org = _org(request)
    today = timezone.localdate()
    pack = selectors.pack_for(org, today)
    versions = list(selectors.pack_versions(org)[:50])
    in_force = next((v for v in versions if v.effective_from <= today), None)
    can_manage = services.may_manage(request.user, org)
    return render(request, "points/packs.html", {
        "org": org, "pack": pack, "categories": pack_rows(pack), "in_force": in_force, "versions": versions,
        "grades": [{"name": g["name"], "text": grade_text(g)} for g in pack.get("grades") or []],
        "can_manage": can_manage, "today": today, "breadcrumbs": [("积分规则", None)],
    })


@login_required
def points_pack_create(request):
    if not get_scope(request.user).is_officer:
        raise Http404("页面不存在或无权查看")
    org = get_org_for_user(request.user, request.GET.get("org", "").strip()) if request.GET.get("org") \
        else officer_root(request)
    require(services.may_manage(request.user, org), "只有该组织（或上级）的组织管理员可以调整积分规则")
    if request.method == "POST":
        form = PackVersionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = services.pack_version_create(actor=request.user, org=org,
                                                       effective_from=data["effective_from"],
                                                       source_text=data["source_text"], note=data["note"],
                                                       source="web")
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已为{org.name}设立积分规则新版本，自{version.effective_from:%Y-%m-%d}起生效")
                return redirect(f"{reverse('points_packs')}?org={org.code}")
    else:
        latest = selectors.pack_versions(org).first()
        form = PackVersionForm(initial={"effective_from": timezone.localdate() + dt.timedelta(days=1),
                                        "source_text": latest.source_text if latest else default_text()})
    return render(request, "points/pack_form.html", {
        "form": form, "org": org,
        "breadcrumbs": [("积分规则", f"{reverse('points_packs')}?org={org.code}"), ("设立新版本", None)]})

