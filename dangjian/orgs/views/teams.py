"""Red teams (红色班组): coverage per branch and over the scope, and team create/edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.scoping import get_org_for_user, get_scope, get_team_for_user, require

from .. import selectors, services
from ..forms import TeamForm, apply_errors
from ..models import Organization, OrgKind
from .common import officer_scope, page_of

WEAK_BRANCHES = 10  # branches with the lowest coverage listed above the teams


@login_required
def team_list(request):
    scope = officer_scope(request)
    code = request.GET.get("org", "").strip()
    only_grey = request.GET.get("red") == "0"
    org = selectors.find_visible_org(request.user, code)
    if org is not None:
        roots = [org]
        branch_q = org.subtree_q("branch__")
    else:
        roots = selectors.scope_roots_of(selectors.visible_roots(request.user))
        branch_q = scope.org_q("branch__")
    by_branch = selectors.coverage_for_roots(roots)
    total = selectors.coverage_total(by_branch)
    qs = selectors.team_queryset(branch_q)
    if only_grey:
        qs = qs.filter(party=0)
    page, querystring = page_of(request, qs)
    weak_ids = sorted((b for b, c in by_branch.items() if c.red_teams < c.teams),
                      key=lambda b: (by_branch[b].ratio or 0, b))[:WEAK_BRANCHES]
    weak_orgs = {o.pk: o for o in Organization.objects.filter(pk__in=weak_ids)}
    weak = [(weak_orgs[b], by_branch[b]) for b in weak_ids if b in weak_orgs]
    branch_count = sum(1 for c in by_branch.values() if c.teams)
    full_branches = sum(1 for c in by_branch.values() if c.teams and c.red_teams == c.teams)
    return render(request, "orgs/team_list.html", {
        "page": page, "querystring": querystring, "by_branch": by_branch, "total": total, "weak": weak,
        "filter_code": code, "filter_org": org, "org_missing": bool(code) and org is None, "only_grey": only_grey,
        "branch_count": branch_count, "full_branches": full_branches, "scope": scope,
        "breadcrumbs": [("红色班组", None)],
    })


def _save(request, form, team=None):
    data = form.cleaned_data
    kwargs = {"code": data["code"], "name": data["name"], "staff_count": data["staff_count"],
              "contact_member": data["contact"]}
    branch = data.get("branch")
    try:
        if team is None:
            return services.team_create(actor=request.user, branch=branch, **kwargs)
        if branch is None:
            form.add_error("branch", "所属党支部不能为空")
            return None
        return services.team_update(actor=request.user, team=team, branch=branch, **kwargs)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


@login_required
def team_create(request):
    scope = officer_scope(request)
    initial = {}
    if request.GET.get("branch"):
        branch = get_org_for_user(request.user, request.GET["branch"])
        require(branch.kind == OrgKind.BRANCH, "班组须属于党支部")
        initial["branch"] = branch
    form = TeamForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        team = _save(request, form)
        if team is not None:
            messages.success(request, f"已新增班组“{team.name}”")
            return redirect(f"{reverse('team_list')}?org={team.branch.code}")
    return render(request, "orgs/team_form.html", {
        "form": form, "breadcrumbs": [("红色班组", reverse("team_list")), ("新增班组", None)],
    })


@login_required
def team_edit(request, code: str):
    team = get_team_for_user(request.user, code)
    scope = get_scope(request.user)
    require(scope.manages_members_of(team.branch), "您无权修改该班组")
    initial = {"code": team.code, "name": team.name, "branch": team.branch, "staff_count": team.staff_count,
               "contact_member": str(team.contact_member_id or "")}
    form = TeamForm(request.POST or None, scope=scope, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, team)
        if saved is not None:
            messages.success(request, f"已保存班组“{saved.name}”")
            return redirect(f"{reverse('team_list')}?org={saved.branch.code}")
    return render(request, "orgs/team_form.html", {
        "form": form, "team": team,
        "breadcrumbs": [("红色班组", reverse("team_list")), (team.name, None), ("修改", None)],
    })
