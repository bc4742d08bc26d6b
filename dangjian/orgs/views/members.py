"""The roster: list, detail, create, edit, delete, and the member's own page."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.idcard import age_on
from dangjian.core.scoping import get_member_for_user, get_org_for_user, get_scope, require

from .. import selectors, services
from ..forms import MemberForm, TeamForm, apply_errors, member_initial
from ..models import CATEGORY_DATE_FIELD, CATEGORY_ORDER, Category, Member, OrgKind, PartyPost
from .common import htmx_target, officer_scope, page_of


def member_filters(request) -> dict:
    g = request.GET
    return {
        "q": g.get("q", "").strip(), "category": g.get("category", ""), "org": g.get("org", "").strip(),
        "job_post": g.get("job_post", "").strip(), "party_post": g.get("party_post", ""),
    }


@login_required
def member_list(request):
    scope = officer_scope(request)
    f = member_filters(request)
    org, org_missing = None, False
    if f["org"]:
        org = selectors.find_visible_org(request.user, f["org"])
        org_missing = org is None
    category = f["category"] if f["category"] in Category.values else ""
    party_post = f["party_post"] if f["party_post"] in PartyPost.values else ""
    qs = selectors.member_list(request.user, q=f["q"], category=category, org=org, job_post=f["job_post"],
                               party_post=party_post).prefetch_related("posts")
    if org_missing:
        qs = qs.none()
    page, querystring = page_of(request, qs)
    context = {
        "page": page, "querystring": querystring, "f": f, "filter_org": org, "org_missing": org_missing,
        "scope": scope, "categories": Category.choices, "party_posts": PartyPost.choices,
        "page_url": reverse("member_list"), "filtered": any(f.values()), "target_id": "member-results",
        "branch_options": selectors.org_search(request.user, "", limit=20),
    }
    if htmx_target(request) == "member-results":
        return render(request, "orgs/_member_table.html", context)
    context["breadcrumbs"] = [("党员名册", None)]
    return render(request, "orgs/member_list.html", context)


def timeline(member: Member) -> list[dict]:
    """The five stages with their dates; a stage is reached when the member's category is at or past it."""
    current = CATEGORY_ORDER.index(Category(member.category))
    return [{"label": Category(c).label, "date": getattr(member, CATEGORY_DATE_FIELD[c]),
             "reached": i <= current, "current": i == current} for i, c in enumerate(CATEGORY_ORDER)]


def _member_context(member: Member) -> dict:
    return {
        "member": member, "timeline": timeline(member), "posts": [p.post for p in member.posts.all()],
        "age": age_on(member.birth_date, dt.date.today()) if member.birth_date else None,
        "contact_teams": list(member.contact_teams.all()),
    }


@login_required
def member_detail(request, pk: int):
    member = get_member_for_user(request.user, pk)
    scope = get_scope(request.user)
    manages = scope.manages_members_of(member.branch)
    branch_admin = scope.is_admin or scope.in_paths(member.branch.path, scope.admin_paths)
    context = _member_context(member) | {
        "scope": scope, "can_edit": manages, "can_delete": branch_admin, "can_audit": branch_admin,
        "account": getattr(member, "user", None) if branch_admin else None,
    }
    crumbs = [("党员名册", reverse("member_list"))] if scope.is_officer else []
    context["breadcrumbs"] = [*crumbs, (member.name, None)]
    return render(request, "orgs/member_detail.html", context)


@login_required
def member_create(request):
    scope = officer_scope(request)
    initial = {}
    if request.GET.get("branch"):
        branch = get_org_for_user(request.user, request.GET["branch"])
        require(branch.kind == OrgKind.BRANCH and scope.manages_members_of(branch), "只能在党支部中新增人员")
        initial["branch"] = branch
    form = MemberForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已新增“{member.name}”")
            return redirect("member_detail", pk=member.pk)
    return render(request, "orgs/member_form.html", {
        "form": form, "breadcrumbs": [("党员名册", reverse("member_list")), ("新增人员", None)],
    })


@login_required
def member_edit(request, pk: int):
    member = get_member_for_user(request.user, pk)
    scope = get_scope(request.user)
    require(scope.manages_members_of(member.branch), "您无权修改该人员的信息")
    form = MemberForm(request.POST or None, scope=scope, member=member, initial=member_initial(member))
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_update(actor=request.user, member=member, **form.service_kwargs())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存“{member.name}”的信息")
            return redirect("member_detail", pk=member.pk)
    return render(request, "orgs/member_form.html", {
        "form": form, "member": member,
        "breadcrumbs": [("党员名册", reverse("member_list")),
                        (member.name, reverse("member_detail", args=[member.pk])), ("修改", None)],
    })


@login_required
def member_delete(request, pk: int):
    member = get_member_for_user(request.user, pk)
    scope = get_scope(request.user)
    require(scope.is_admin or scope.in_paths(member.branch.path, scope.admin_paths),
            "只有组织管理员可以删除人员")
    if request.method == "POST":
        name, branch_code = member.name, member.branch.code
        try:
            services.member_delete(actor=request.user, member=member)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("member_detail", pk=member.pk)
        messages.success(request, f"已删除“{name}”")
        return redirect(f"{reverse('member_list')}?org={branch_code}")
    return render(request, "orgs/member_confirm_delete.html", {
        "member": member,
        "breadcrumbs": [("党员名册", reverse("member_list")),
                        (member.name, reverse("member_detail", args=[member.pk])), ("删除", None)],
    })


@login_required
def branch_fields(request):
    """The fields that depend on the chosen branch (htmx): 党小组/班组 of a member, 联系党员 of a team."""
    scope = officer_scope(request)
    code = request.GET.get("branch", "")
    if request.GET.get("form") == "team":
        form = TeamForm(scope=scope, initial={"branch": code})
        return render(request, "orgs/_team_branch_fields.html", {"form": form})
    form = MemberForm(scope=scope, initial={"branch": code})
    return render(request, "orgs/_member_branch_fields.html", {"form": form})


@login_required
def me(request):
    """A member's own page: their record in full, for a phone."""
    member = None
    if request.user.member_id:
        member = (Member.objects.select_related("branch", "group", "team").prefetch_related("posts")
                  .filter(pk=request.user.member_id).first())
    context = {"breadcrumbs": [("我的信息", None)]}
    if member is not None:
        context |= _member_context(member) | {"scope": get_scope(request.user)}
    return render(request, "orgs/me.html", context)
