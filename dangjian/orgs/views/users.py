"""Users and their roles, for 系统管理员 and 组织管理员."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.scoping import get_scope, members_for, require

from .. import selectors, services
from ..forms import GrantForm, PasswordResetForm, UserCreateForm, UserEditForm, apply_errors
from ..models import RoleGrant
from .common import admin_scope, page_of


def _users(actor):
    grants = RoleGrant.objects.select_related("org").order_by("org__path", "role")
    return (selectors.users_for(actor).select_related("member__branch")
            .prefetch_related(Prefetch("roles", queryset=grants)).order_by("username"))


@login_required
def user_list(request):
    scope = admin_scope(request)
    q = request.GET.get("q", "").strip()
    qs = _users(request.user)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(member__name__icontains=q))
    page, querystring = page_of(request, qs)
    return render(request, "orgs/user_list.html", {
        "page": page, "querystring": querystring, "q": q, "scope": scope,
        "breadcrumbs": [("用户与角色", None)],
    })


@login_required
def member_suggest(request):
    """Radio buttons of members matching a name, for linking a user to a member (htmx)."""
    admin_scope(request)
    q = request.GET.get("member_q", "").strip()
    members = []
    if q:
        members = list(members_for(request.user).select_related("branch").filter(name__icontains=q)
                       .order_by("name")[:20])
    return render(request, "orgs/_member_pick.html", {"members": members, "q": q, "selected": None})


@login_required
def user_create(request):
    scope = admin_scope(request)
    form = UserCreateForm(request.POST or None, scope=scope, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        roles = [(data["role"], data["org"])] if data.get("role") else []
        try:
            user = services.user_create(
                actor=request.user, username=data["username"], password=data["password"],
                display_name=data["display_name"], member=data["member"],
                is_superuser=data.get("is_superuser", False), roles=roles)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已创建用户“{user.username}”")
            return redirect("user_edit", pk=user.pk)
    selected = form.cleaned_data.get("member") if form.is_bound and hasattr(form, "cleaned_data") else None
    return render(request, "orgs/user_form.html", {
        "form": form, "selected": selected,
        "breadcrumbs": [("用户与角色", reverse("user_list")), ("新增用户", None)],
    })


@login_required
def user_edit(request, pk: int):
    scope = admin_scope(request)
    target = _users(request.user).filter(pk=pk).first()
    if target is None:
        raise Http404("用户不存在或无权查看")
    manageable = services.may_manage_user(request.user, target)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action:
        require(manageable, "该用户拥有您管理范围以外的角色，您只能查看")
    profile = UserEditForm(request.POST if action == "profile" else None, actor=request.user,
                           initial={"display_name": target.display_name, "is_active": target.is_active,
                                    "member": target.member_id})
    password = PasswordResetForm(request.POST if action == "password" else None)
    grant = GrantForm(request.POST if action == "grant" else None, scope=scope)
    done = None
    try:
        if action == "profile" and profile.is_valid():
            d = profile.cleaned_data
            services.user_update(actor=request.user, user=target, display_name=d["display_name"],
                                 is_active=d["is_active"], member=d["member"])
            done = "已保存用户信息"
        elif action == "password" and password.is_valid():
            services.user_update(actor=request.user, user=target, password=password.cleaned_data["password"])
            done = "已重置密码，请将新密码告知本人"
        elif action == "grant" and grant.is_valid():
            services.role_grant(actor=request.user, user=target, role=grant.cleaned_data["role"],
                                org=grant.cleaned_data["org"])
            done = "已授予角色"
        elif action == "revoke":
            g = RoleGrant.objects.select_related("org", "user").filter(pk=request.POST.get("grant"), user=target).first()
            if g is None:
                raise Http404("角色授权不存在")
            services.role_revoke(actor=request.user, grant=g)
            done = "已撤销角色"
    except ValidationError as exc:
        form = {"profile": profile, "password": password}.get(action, grant)
        if action == "revoke":
            messages.error(request, "；".join(exc.messages))
            return redirect("user_edit", pk=target.pk)
        apply_errors(form, exc)
    if done:
        messages.success(request, done)
        return redirect("user_edit", pk=target.pk)
    linked = target.member
    if profile.is_bound and hasattr(profile, "cleaned_data"):
        linked = profile.cleaned_data.get("member", linked)
    return render(request, "orgs/user_edit.html", {
        "target": target, "profile": profile, "password_form": password, "grant_form": grant,
        "manageable": manageable, "selected": linked, "scope": get_scope(request.user),
        "grants": [(g, services.may_grant_in(request.user, g.org)) for g in target.roles.all()],
        "can_audit": True, "self_edit": target.pk == request.user.pk,
        "breadcrumbs": [("用户与角色", reverse("user_list")), (target.username, None)],
    })
