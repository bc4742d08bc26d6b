"""Organization tree, organization page, create/edit, and the code suggestions of the pickers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.scoping import get_org_for_user, get_scope, require
from dangjian.standards.loader import cached_pack

from .. import selectors, services
from ..forms import OrgForm, admin_orgs, apply_errors, child_kinds, parent_candidates
from ..models import Organization, OrgKind
from ..structure import PACK
from .common import htmx_target, officer_scope, page_of

TREE_PAGE = 100  # children shown per "load more" step: a 2,000-branch committee never renders at once

# Which rule-pack parameters explain each structure warning (shown beside the alert).
WARNING_PARAMS = {
    "ORG-SIZE-MIN": ["min_full_members"],
    "ORG-COMMITTEE": ["committee_threshold", "min_committee_posts"],
    "ORG-SIZE-MAX": ["max_members"],
    "ORG-TERM-OVERDUE": ["term_warning_months"],
    "ORG-TERM-DUE": ["term_warning_months"],
}
TERM_RULE = "基层党委每届任期一般为5年，党总支、党支部每届任期一般为3年，任期届满应按期换届"


def rule_explanations() -> dict[str, str]:
    params = cached_pack(PACK).get("params") or {}

    def text(key: str) -> str:
        p = params.get(key) or {}
        if not isinstance(p, dict):
            return ""
        return f"{p.get('title', '')}（{p.get('source', '')}）" if p.get("source") else p.get("title", "")

    out = {code: "；".join(t for t in (text(k) for k in keys) if t) for code, keys in WARNING_PARAMS.items()}
    for code in ("ORG-TERM-OVERDUE", "ORG-TERM-DUE"):
        out[code] = f"{TERM_RULE}；{out[code]}"
    return out


@login_required
def org_tree(request):
    officer_scope(request)
    q = request.GET.get("q", "").strip()
    if request.GET.get("warnings"):
        return _warning_list(request)
    if q:
        results = selectors.org_search(request.user, q, limit=50)
        parents = selectors.parents_by_path(results)
        rows = [(o, parents.get(o.path[: -Organization.steplen]) if o.depth > 1 else None) for o in results]
        context = {"q": q, "results": rows, "limit_hit": len(results) == 50}
        if htmx_target(request) == "tree-area":
            return render(request, "orgs/_tree_search.html", context)
        return render(request, "orgs/org_tree.html", context | {"breadcrumbs": [("组织架构", None)]})
    orgs = selectors.scope_orgs(request.user)
    stats = selectors.org_stats(orgs)
    roots = selectors.scope_roots_of(orgs)
    nodes = [stats[r.pk] for r in roots]
    # One root: open it at once, its first children come from the stats already computed.
    opened = {}
    if len(roots) == 1:
        children = [stats[o.pk] for o in orgs if o.depth == roots[0].depth + 1 and o.path.startswith(roots[0].path)]
        opened[roots[0].pk] = (selectors.fill_group_counts(children[:TREE_PAGE]), len(children) - TREE_PAGE)
    if htmx_target(request) == "tree-area":
        return render(request, "orgs/_tree_root.html", {"nodes": nodes, "opened": opened})
    return render(request, "orgs/org_tree.html", {
        "nodes": nodes, "opened": opened, "q": "", "breadcrumbs": [("组织架构", None)],
        "warning_total": sum(len(s.warnings) for s in stats.values()),
    })


def _warning_list(request):
    orgs = selectors.scope_orgs(request.user)
    stats = selectors.org_stats(orgs)
    rows = selectors.warning_rows(orgs, stats)
    page, querystring = page_of(request, rows)
    return render(request, "orgs/org_warnings.html", {
        "page": page, "querystring": querystring, "explain": rule_explanations(),
        "breadcrumbs": [("组织架构", reverse("org_tree")), ("结构提醒", None)],
    })


@login_required
def org_children(request, code: str):
    """The children of one node of the tree (htmx), TREE_PAGE at a time."""
    org = get_org_for_user(request.user, code)
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    children, _own = selectors.children_with_stats(org)
    shown = children[offset: offset + TREE_PAGE]
    return render(request, "orgs/_tree_nodes.html", {
        "nodes": shown, "opened": {}, "parent": org, "next_offset": offset + TREE_PAGE,
        "remaining": max(0, len(children) - offset - TREE_PAGE),
    })


@login_required
def org_suggest(request):
    """<option>s of organization codes for a picker's datalist (htmx)."""
    scope = get_scope(request.user)
    purpose = request.GET.get("purpose", "")
    if purpose == "admin":
        qs = admin_orgs(scope)
    elif purpose == "parent":
        qs = parent_candidates(scope)
    else:
        qs = Organization.objects.filter(scope.org_q())
    term = request.GET.get("q") or next(
        (v for k, v in request.GET.items() if k not in ("kind", "purpose")), "")
    term = term.strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term))
    kind = request.GET.get("kind", "")
    if kind in OrgKind.values:
        qs = qs.filter(kind=kind)
    return render(request, "orgs/_org_options.html", {"orgs": qs.order_by("path")[:20]})


@login_required
def org_detail(request, code: str):
    org = get_org_for_user(request.user, code)
    scope = get_scope(request.user)
    if htmx_target(request) == "org-members":
        return render(request, "orgs/_member_table.html", _members_context(request, org, scope))
    orgs = selectors.subtree(org)
    stats = selectors.org_stats(orgs)
    own = stats[org.pk]
    children = [stats[o.pk] for o in orgs if o.depth == org.depth + 1]
    selectors.fill_group_counts([*children, own])
    teams, coverage = [], selectors.coverage_total(selectors.coverage_by_branch(org))
    if org.kind == OrgKind.BRANCH:
        teams = selectors.team_rows(Q(branch=org))
    crumbs = [(a.name, reverse("org_detail", args=[a.code])) for a in selectors.ancestors(org, request.user)]
    kinds = child_kinds(org)
    context = {
        "org": org, "stats": own, "children": children[:TREE_PAGE], "children_more": len(children) - TREE_PAGE,
        "officers": selectors.officers_of(org), "teams": teams, "coverage": coverage,
        "explain": rule_explanations(), "scope": scope,
        "can_edit": scope.manages_org(org),
        "can_add_child": any(scope.may_add_child(org, k) for k in kinds),
        "can_add_member": org.kind == OrgKind.BRANCH and scope.manages_members_of(org),
        "can_add_team": org.kind == OrgKind.BRANCH and scope.manages_members_of(org),
        "can_audit": scope.is_admin or scope.in_paths(org.path, scope.admin_paths),
        "breadcrumbs": [("组织架构", reverse("org_tree")), *crumbs, (org.name, None)],
    }
    context.update(_members_context(request, org, scope))
    return render(request, "orgs/org_detail.html", context)


def _members_context(request, org, scope) -> dict:
    qs = selectors.member_list(request.user, org=org).prefetch_related("posts")
    page, querystring = page_of(request, qs)
    return {"page": page, "querystring": querystring, "scope": scope, "org": org,
            "page_url": reverse("org_detail", args=[org.code]), "target_id": "org-members"}


@login_required
def org_create(request):
    scope = officer_scope(request)
    parent = None
    if request.GET.get("parent"):
        parent = get_org_for_user(request.user, request.GET["parent"])
        require(any(scope.may_add_child(parent, k) for k in child_kinds(parent)),
                "您无权在该组织下设立下级组织")
    kinds = child_kinds(parent) if parent else []
    initial = {"parent": parent, "kind": kinds[0] if len(kinds) == 1 else (OrgKind.BRANCH if parent else "")}
    if parent is not None and not scope.may_add_child(parent, initial["kind"] or OrgKind.BRANCH):
        initial["kind"] = OrgKind.GROUP
    form = OrgForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.org_create(
                actor=request.user, parent=data["parent"], code=data["code"], name=data["name"],
                kind=data["kind"], founded_on=data["founded_on"], term_started_on=data["term_started_on"],
                term_years=data["term_years"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已设立{org.get_kind_display()}“{org.name}”")
            return redirect("org_detail", code=org.code)
    crumbs = [("组织架构", reverse("org_tree"))]
    if parent is not None:
        crumbs.append((parent.name, reverse("org_detail", args=[parent.code])))
    return render(request, "orgs/org_form.html", {
        "form": form, "parent": parent, "breadcrumbs": [*crumbs, ("新增组织", None)],
    })


@login_required
def org_edit(request, code: str):
    org = get_org_for_user(request.user, code)
    scope = get_scope(request.user)
    require(scope.manages_org(org), "您无权修改该组织")
    initial = {f: getattr(org, f) for f in services.ORG_FIELDS} | {"parent": services.parent_of(org)}
    form = OrgForm(request.POST or None, scope=scope, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in services.ORG_FIELDS}
        try:
            org = services.org_update(actor=request.user, org=org, parent=data["parent"],
                                      move=data.get("move", False), **changes)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存“{org.name}”")
            return redirect("org_detail", code=org.code)
    return render(request, "orgs/org_form.html", {
        "form": form, "org": org,
        "breadcrumbs": [("组织架构", reverse("org_tree")), (org.name, reverse("org_detail", args=[org.code])),
                        ("修改", None)],
    })
