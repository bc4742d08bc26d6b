"""创建清单 (清单化): a branch's and its members' creation targets, set in advance; add, complete, reopen.

Officers see the lists of their subtree (add items on a branch); a plain member sees and completes their own.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_org_for_user, get_scope, orgs_for
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.forms import apply_errors
from dangjian.orgs.models import PARTY_MEMBER_CATEGORIES, Member, OrgKind

from .. import schemes as scheme_packs
from .. import services
from ..forms import ChecklistCompleteForm, ChecklistItemForm
from ..models import ChecklistItem
from .common import NOT_FOUND, parse_year, querystring


def feed_choices() -> list[tuple[str, str]]:
    """The reviewer-or-metric items of the branch and member schemes a list item may count for."""
    out: dict[str, str] = {}
    for s in scheme_packs.all_schemes():
        if s.get("subject") not in ("branch", "member"):
            continue
        scheme = scheme_packs.load_scheme(s["code"])
        for dim_code, dim in (scheme.get("dimensions") or {}).items():
            for item_code, item in (dim.get("items") or {}).items():
                out.setdefault(f"{dim_code}.{item_code}", f"{scheme['name']} · {dim['name']} · {item['name']}")
    return sorted(out.items())


def _list_scope(request):
    """(queryset of visible items, root org or None, the branch items may be added to or None)."""
    user, scope = request.user, get_scope(request.user)
    if not scope.is_officer:
        if not scope.member_id:
            raise Http404(NOT_FOUND)
        return ChecklistItem.objects.filter(member_id=scope.member_id), None, None
    code = request.GET.get("org", "").strip()
    root = get_org_for_user(user, code) if code else orgs_for(user).order_by("path").first()
    if root is None:
        raise Http404(NOT_FOUND)
    branch = root if root.kind == OrgKind.BRANCH and services.may_self_assess(user, root) else None
    return ChecklistItem.objects.filter(subtree_q(root.path, "org__path")), root, branch


def _members(branch):
    return Member.objects.filter(branch=branch, category__in=PARTY_MEMBER_CATEGORIES).order_by("name", "id")


@login_required
def assessment_checklists(request):
    qs, root, branch = _list_scope(request)
    year = parse_year(request)
    feeds = feed_choices()
    form = ChecklistItemForm(members=_members(branch) if branch else Member.objects.none(), feeds=feeds)
    if request.method == "POST":
        if branch is None:
            raise Http404("只能在党支部的清单中添加事项")
        form = ChecklistItemForm(request.POST, members=_members(branch), feeds=feeds)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.checklist_item_create(actor=request.user, org=branch, year=year, title=d["title"],
                                               due_on=d["due_on"], member=d["member"], target=d["target"],
                                               feeds=d["feeds"])
                messages.success(request, f"已添加清单事项“{d['title']}”")
                return redirect(f"{request.path}?{querystring(request)}")
            except ValidationError as exc:
                apply_errors(form, exc)
    qs = qs.filter(year=year)
    status = request.GET.get("status", "")
    if status == "open":
        qs = qs.filter(done_on__isnull=True)
    elif status == "done":
        qs = qs.filter(done_on__isnull=False)
    who = request.GET.get("who", "")
    if who == "branch":
        qs = qs.filter(member__isnull=True)
    elif who == "member":
        qs = qs.filter(member__isnull=False)
    counts = qs.aggregate(total=Count("id"), done=Count("id", filter=Q(done_on__isnull=False)),
                          in_time=Count("id", filter=Q(done_on__isnull=False, done_on__lte=F("due_on"))))
    page, qstring = paginate(request, qs.select_related("org", "member").order_by("org__path", "member_id",
                                                                                   "due_on", "id"))
    names = dict(feeds)
    for item in page.object_list:
        item.feeds_label = names.get(item.feeds, item.feeds)
        item.can_complete = services.may_complete_checklist(request.user, item)
    return render(request, "assessment/checklists.html", {
        "page": page, "querystring": qstring, "page_url": request.path, "root": root, "branch": branch,
        "year": year, "form": form, "counts": counts, "status": status, "who": who,
        "complete_form": ChecklistCompleteForm(), "is_officer": get_scope(request.user).is_officer,
        "breadcrumbs": [("考核评价", reverse("assessment_overview") if root else None), ("创建清单", None)],
    })


@login_required
def assessment_checklist_complete(request, pk):
    if request.method != "POST":
        raise Http404(NOT_FOUND)
    scope = get_scope(request.user)
    try:
        item = ChecklistItem.objects.select_related("org").get(pk=pk)
    except ChecklistItem.DoesNotExist:
        raise Http404("清单事项不存在或无权查看")
    if not (scope.sees_org(item.org) or (item.member_id and item.member_id == scope.member_id)):
        raise Http404("清单事项不存在或无权查看")
    back = request.POST.get("next", "")
    if not back.startswith("/"):
        back = reverse("assessment_checklists")
    try:
        if request.POST.get("action") == "reopen":
            services.checklist_item_reopen(actor=request.user, item=item)
            messages.success(request, f"已撤销“{item.title}”的完成标记")
        else:
            form = ChecklistCompleteForm(request.POST)
            if not form.is_valid():
                raise ValidationError("；".join(str(e) for errs in form.errors.values() for e in errs))
            services.checklist_item_complete(actor=request.user, item=item, done_on=form.cleaned_data["done_on"],
                                             evidence=form.cleaned_data["evidence"])
            messages.success(request, f"已完成“{item.title}”")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(back)
