"""A member's points page: their own (phone-first) and the officers' view of it, with 奖励/扣分, 冲销 and 申报.

Everything shown comes from `selectors.member_points`, the same evaluation as the ranking, API and CLI.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_member_for_user, require
from dangjian.orgs.models import Member, Organization

from .. import selectors, services
from ..forms import AwardForm, ClaimForm, ReasonForm, rule_choices
from ..models import SpecialAssessment
from .common import num, parse_year

ENTRIES_PER_PAGE = 20
SPECIAL_PREFIX = "special-"


# --- choices: the pack's rules and the open special assessments of a member's branch ---------------------

def specials_of(branch: Organization, day: dt.date) -> list[SpecialAssessment]:
    """Active special assessments for the branch (set on it or an ancestor) that have begun by `day` and end
    in its year or later (an item of a finished campaign may still be recorded within the year)."""
    steps = Organization.steplen
    paths = [branch.path[:i] for i in range(steps, len(branch.path) + 1, steps)]
    return list(SpecialAssessment.objects.filter(active=True, org__path__in=paths, starts_on__lte=day,
                                                 ends_on__gte=dt.date(day.year, 1, 1)).order_by("starts_on", "id"))


def special_choices(specials: list[SpecialAssessment], kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for s in specials:
        for rule in s.rules or []:
            if isinstance(rule, dict) and rule.get("kind") in kinds and rule.get("code"):
                out.append((f"{SPECIAL_PREFIX}{s.pk}-{rule['code']}", f"专项“{s.name}” · {rule.get('name', rule['code'])}"))
    return out


def split_choice(value: str, specials: list[SpecialAssessment]) -> tuple[str, SpecialAssessment | None]:
    """(rule code, special or None) from a choice value."""
    if value.startswith(SPECIAL_PREFIX):
        sid, _, code = value[len(SPECIAL_PREFIX):].partition("-")
        special = next((s for s in specials if str(s.pk) == sid), None)
        return code, special
    return value, None


def choices_for(member: Member, kinds: tuple[str, ...]) -> tuple[list[tuple[str, str]], list[SpecialAssessment]]:
    today = timezone.localdate()
    pack = selectors.pack_for(member.branch, today)
    specials = specials_of(member.branch, today)
    return rule_choices(pack, kinds) + special_choices(specials, kinds), specials


# --- the page ----------------------------------------------------------------------------------------------

def _bars(result) -> list[dict[str, Any]]:
    out = []
    for c in result.categories.values():
        cap = Decimal(str(c.cap or 0))
        share = int(min(max(Decimal(str(c.value)) / cap, Decimal(0)), Decimal(1)) * 100) if cap else 0
        out.append({"c": c, "share": share, "value": num(c.value), "cap": num(c.cap), "raw": num(c.raw),
                    "cut": num(c.cut) if c.cut else ""})
    return out


def _rule_names(mp, entries) -> None:
    categories = mp.pack.get("categories") or {}
    for e in entries:
        e.rule_name = mp.rule_name(e.rule, e.assessment_id)
        if e.assessment_id:
            e.category_name = f"专项：{e.assessment.name}"
        else:
            e.category_name = categories.get(e.category, {}).get("name", e.category)


def member_context(request, member: Member, year: int) -> dict[str, Any]:
    mp = selectors.member_points(member, year)
    page, query = paginate(request, mp.entries, ENTRIES_PER_PAGE)
    _rule_names(mp, page.object_list)
    claims = list(mp.claims[:50])
    has_points = any(v for _, v in mp.months)
    return {
        "member": member, "year": year, "mp": mp, "result": mp.result,
        "bars": _bars(mp.result) if mp.result else [], "page": page, "querystring": query, "claims": claims,
        "chart": {"months": [f"{int(m[5:])}月" for m, _ in mp.months], "values": [float(v) for _, v in mp.months]} if has_points else {"months": []},
        "prev_year": year - 1, "next_year": year + 1 if year < timezone.localdate().year else None,
    }


@login_required
def points_me(request):
    member = request.user.member if request.user.member_id else None
    if member is None:
        return render(request, "points/me.html", {"no_member": True, "breadcrumbs": [("我的积分", None)]})
    member = Member.objects.select_related("branch", "group").get(pk=member.pk)
    year = parse_year(request)
    context = member_context(request, member, year) | {"own": True, "page_url": reverse("points_me"),
                                                        "breadcrumbs": [("我的积分", None)]}
    choices, _ = choices_for(member, ("declared",))
    context["claim_form"] = ClaimForm(choices=choices)
    return render(request, "points/me.html", context)


@login_required
def points_member(request, pk: int):
    member = get_member_for_user(request.user, pk)
    if member.pk == request.user.member_id and not services.may_score(request.user, member):
        return redirect(reverse("points_me") + (f"?year={request.GET['year']}" if request.GET.get("year") else ""))
    year = parse_year(request)
    context = member_context(request, member, year) | {
        "own": member.pk == request.user.member_id, "page_url": reverse("points_member", args=[member.pk]),
        "can_score": services.may_score(request.user, member),
        "breadcrumbs": [("积分排名", f"{reverse('points_ranking')}?org={member.branch.code}&year={year}"),
                        (member.name, None)]}
    if context["can_score"]:
        choices, _ = choices_for(member, ("manual", "declared"))
        context["award_form"] = AwardForm(choices=choices)
    return render(request, "points/me.html", context)


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _form_errors(form) -> str:
    return "；".join(f"{form.fields[k].label if k in form.fields else ''}：{e}".lstrip("：")
                    for k, errs in form.errors.items() for e in errs)


@login_required
@require_POST
def points_award(request, pk: int):
    member = get_member_for_user(request.user, pk)
    require(services.may_score(request.user, member), "您无权为该党员奖励或扣分")
    choices, specials = choices_for(member, ("manual", "declared"))
    form = AwardForm(request.POST, choices=choices)
    back = redirect(reverse("points_member", args=[member.pk]) + "#entries")
    if not form.is_valid():
        messages.error(request, "未能保存：" + _form_errors(form))
        return back
    rule, special = split_choice(form.cleaned_data["rule"], specials)
    try:
        entry = services.entry_award(actor=request.user, member=member, rule=rule, points=form.cleaned_data["points"],
                                     occurred_on=form.cleaned_data["occurred_on"], reason=form.cleaned_data["reason"],
                                     assessment=special, source="web")
    except ValidationError as exc:
        messages.error(request, "未能保存：" + _errors(exc))
    else:
        messages.success(request, f"已为{member.name}记入 {num(entry.points)} 分")
    return back


@login_required
@require_POST
def points_entry_reverse(request, pk: int):
    entry = selectors.get_entry_for_user(request.user, pk)
    member = Member.objects.select_related("branch").get(pk=entry.member_id)
    require(services.may_score(request.user, member), "您无权冲销该积分记录")
    back = redirect(reverse("points_member", args=[member.pk]) + "#entries")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未能冲销：请填写冲销原因")
        return back
    try:
        services.entry_reverse(actor=request.user, entry=entry, reason=form.cleaned_data["reason"], source="web")
    except ValidationError as exc:
        messages.error(request, "未能冲销：" + _errors(exc))
    else:
        messages.success(request, f"已冲销 {num(entry.points)} 分（{entry.occurred_on:%Y-%m-%d}）")
    return back


@login_required
@require_POST
def points_claim_create(request):
    if not request.user.member_id:
        return redirect("points_me")
    member = Member.objects.select_related("branch").get(pk=request.user.member_id)
    choices, specials = choices_for(member, ("declared",))
    form = ClaimForm(request.POST, request.FILES, choices=choices)
    if form.is_valid():
        rule, special = split_choice(form.cleaned_data["rule"], specials)
        try:
            services.claim_create(actor=request.user, member=member, rule=rule, points=form.cleaned_data["points"],
                                  occurred_on=form.cleaned_data["occurred_on"], reason=form.cleaned_data["reason"],
                                  upload=form.cleaned_data.get("evidence"), assessment=special, source="web")
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "已提交申报，待支部审批")
            return redirect(reverse("points_me") + "#claims")
    year = timezone.localdate().year
    context = member_context(request, member, year) | {"own": True, "page_url": reverse("points_me"),
                                                        "claim_form": form, "claim_open": True,
                                                        "breadcrumbs": [("我的积分", None)]}
    return render(request, "points/me.html", context)


def _apply(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = {"file": "evidence", "upload": "evidence"}.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
