"""The "N" of "1+N": special assessments — the list, a special's page (rules and ranking), create / edit by 组织管理员."""

from decimal import Decimal
from typing import Any

import yaml
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_scope, orgs_for, require
from dangjian.orgs.forms import apply_errors
from dangjian.orgs.selectors import find_visible_org

from .. import selectors, services
from ..forms import SpecialForm
from .common import num, range_text, rule_kind_label

EXAMPLE_RULES = """- code: safety_task
  name: 安全生产任务完成评分
  kind: manual
  range: [0, 60]
- code: safety_suggestion
  name: 安全隐患排查建议
  kind: declared
  range: [1, 10]
- code: safety_activity
  name: 参加“安全生产月”主题活动
  kind: auto
  metric: attendance_tagged
  tag: 党建+安全生产
  points: 5
  range: [5, 5]
"""


def _officer(request) -> None:
    if not get_scope(request.user).is_officer:
        raise Http404("页面不存在或无权查看")


def _plain(value: Any) -> Any:
    """JSON/Decimal values as YAML can write them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def rules_yaml(rules: list) -> str:
    return yaml.safe_dump(_plain(rules or []), allow_unicode=True, sort_keys=False, default_flow_style=None) \
        if rules else ""


def rule_rows(rules: list) -> list[dict[str, Any]]:
    return [{"code": r.get("code", ""), "name": r.get("name", ""), "kind": rule_kind_label(r), "range": range_text(r),
             "detail": r.get("tag") or r.get("activity") or "", "source": r.get("source", "")}
            for r in rules or [] if isinstance(r, dict)]


@login_required
def points_specials(request):
    _officer(request)
    specials = selectors.specials_for(request.user).select_related("org").order_by("-starts_on", "-id")
    page, query = paginate(request, specials)
    return render(request, "points/specials.html", {
        "page": page, "querystring": query, "page_url": reverse("points_specials"),
        "can_create": get_scope(request.user).is_org_admin, "breadcrumbs": [("专项考核", None)],
    })


@login_required
def points_special_detail(request, pk: int):
    _officer(request)
    special = selectors.get_special_for_user(request.user, pk)
    table = selectors.year_table(special.org, special.starts_on.year)
    rows: list[dict[str, Any]] = []
    for r in table.rows:
        value = r.specials.get(special.pk)
        rows.append({"r": r, "result": value.result if value else Decimal(0),
                     "contribution": value.contribution if value else Decimal(0), "scored": value is not None})
    rows.sort(key=lambda x: (-x["result"], x["r"].name, x["r"].member_id))
    previous, place = None, 0
    for i, row in enumerate(rows, start=1):
        if row["result"] != previous:
            place, previous = i, row["result"]
        row["place"] = place
    page, query = paginate(request, rows)
    return render(request, "points/special_detail.html", {
        "special": special, "rules": rule_rows(special.rules), "page": page, "querystring": query,
        "page_url": reverse("points_special_detail", args=[special.pk]), "weight": num(special.weight),
        "max_points": num(special.max_points), "can_edit": services.may_manage(request.user, special.org),
        "breadcrumbs": [("专项考核", reverse("points_specials")), (special.name, None)],
    })


def _org_of(request, form: SpecialForm):
    org = find_visible_org(request.user, form.cleaned_data["org"])
    if org is None:
        form.add_error("org", "组织不存在或不在您的管理范围内")
    elif not services.may_manage(request.user, org):
        form.add_error("org", "只有该组织（或上级）的组织管理员可以设置专项考核")
        org = None
    return org


@login_required
def points_special_create(request):
    _officer(request)
    require(get_scope(request.user).is_org_admin, "只有组织管理员可以设置专项考核")
    if request.method == "POST":
        form = SpecialForm(request.POST)
        if form.is_valid() and (org := _org_of(request, form)) is not None:
            data = form.cleaned_data
            try:
                special = services.special_create(
                    actor=request.user, org=org, name=data["name"], starts_on=data["starts_on"],
                    ends_on=data["ends_on"], weight=data["weight"], max_points=data["max_points"],
                    rules=data["rules"], note=data["note"], active=data["active"], source="web")
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已设立专项考核“{special.name}”")
                return redirect("points_special_detail", pk=special.pk)
    else:
        root = orgs_for(request.user).order_by("path").first()
        form = SpecialForm(initial={"org": root.code if root else "", "rules": EXAMPLE_RULES, "weight": "0.10",
                                    "max_points": "100", "active": True})
    return render(request, "points/special_form.html", {
        "form": form, "special": None, "breadcrumbs": [("专项考核", reverse("points_specials")), ("设立专项考核", None)]})


@login_required
def points_special_edit(request, pk: int):
    _officer(request)
    special = selectors.get_special_for_user(request.user, pk)
    require(services.may_manage(request.user, special.org), "只有该组织（或上级）的组织管理员可以修改专项考核")
    if request.method == "POST":
        form = SpecialForm(request.POST)
        form.fields["org"].required = False
        if form.is_valid():
            data = form.cleaned_data
            changes = {k: data[k] for k in ("name", "starts_on", "ends_on", "weight", "max_points", "rules", "note",
                                            "active")}
            try:
                services.special_update(actor=request.user, special=special, source="web", **changes)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已保存专项考核“{special.name}”")
                return redirect("points_special_detail", pk=special.pk)
    else:
        form = SpecialForm(initial={
            "org": special.org.code, "name": special.name, "starts_on": special.starts_on, "ends_on": special.ends_on,
            "weight": special.weight, "max_points": special.max_points, "rules": rules_yaml(special.rules),
            "note": special.note, "active": special.active})
    form.fields["org"].disabled = True
    form.fields["org"].initial = special.org.code
    return render(request, "points/special_form.html", {
        "form": form, "special": special,
        "breadcrumbs": [("专项考核", reverse("points_specials")),
                        (special.name, reverse("points_special_detail", args=[special.pk])), ("修改", None)]})

