"""The "1+13" work templates: the list, one template in plain Chinese, and an 组织管理员's own version.

Who sees what: templates are not secret. Officers choose among the organizations they see (?org=CODE,
by default their first root); a plain member sees the templates in force for their own 党支部/党小组.
Only 组织管理员 (their admin subtree) and 系统管理员 may customize: a visible organization they do not
administer gets 403, an invisible one 404.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.core.scoping import Scope, get_org_for_user, get_scope, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.forms import apply_errors
from dangjian.orgs.models import Member, Organization, OrgKind
from dangjian.orgs.selectors import find_visible_org, visible_roots

from .. import services
from ..forms_templates import TemplateCustomizeForm
from ..models import ActivityKind, TemplateVersion
from ..worktemplates import (
    EVIDENCE,
    EXPECTED,
    FIVE_DING,
    FOLLOW_UPS,
    ROLES,
    WorkTemplate,
    default_templates,
    effective_template,
    effective_templates,
    frequency_text,
    holder_text,
    quorum_explanation,
    quorum_text,
    ratio_text,
    standard_templates,
    version_history,
)

SUBTREE_VERSIONS_SHOWN = 50


@dataclass
class OrgChoice:
    org: Organization | None
    code: str  # what was asked for
    missing: bool  # asked for an organization the user cannot see
    own: list[Organization]  # a plain member's own branch and group


def _own_orgs(user) -> list[Organization]:
    """A member's own 党支部 and 党小组."""
    if not user.member_id:
        return []
    member = Member.objects.filter(pk=user.member_id).select_related("branch", "group").first()
    if member is None:
        return []
    return [o for o in (member.branch, member.group) if o is not None]


def _choose_org(request, scope: Scope) -> OrgChoice:
    """The organization whose templates are shown: ?org=CODE among those visible, else the default."""
    code = request.GET.get("org", "").strip()
    own = [] if scope.is_officer else _own_orgs(request.user)
    org = None
    if code:
        org = find_visible_org(request.user, code) if scope.is_officer else None
        org = org or next((o for o in own if o.code == code), None)
        if org is not None:
            return OrgChoice(org, code, False, own)
    if scope.is_officer:
        roots = visible_roots(request.user)
        org = roots[0] if roots else None
    elif own:
        org = own[0]
    return OrgChoice(org, code, bool(code), own)


def _may_customize(scope: Scope, org: Organization | None) -> bool:
    return org is not None and (scope.is_admin or scope.in_paths(org.path, scope.admin_paths))


def _plan_url(kind: str, org: Organization | None) -> str:
    url = f"{reverse('activity_create')}?kind={kind}"
    if org is not None and org.kind in (OrgKind.BRANCH, OrgKind.GROUP):
        url += f"&org={org.code}"
    return url


def _kind_or_404(kind: str) -> str:
    if kind not in ActivityKind.values:
        raise Http404("没有这个工作模板")
    return kind


def _org_query(org: Organization | None) -> str:
    return f"?org={org.code}" if org is not None else ""


def _card(template: WorkTemplate) -> dict:
    content = template.content
    return {
        "kind": template.kind, "name": template.name, "template": template,
        "holder": holder_text(content), "expected": EXPECTED.get(content.get("expected") or "", ""),
        "frequency": frequency_text(content), "local": bool(template.frequency.get("local")),
        "quorum": quorum_text(content), "steps": len(content.get("steps") or []),
    }


@login_required
def template_list(request):
    scope = get_scope(request.user)
    choice = _choose_org(request, scope)
    today = timezone.localdate()
    templates = effective_templates(choice.org, today) if choice.org else standard_templates()
    cards = [_card(templates[kind]) for kind in ActivityKind.values]
    return render(request, "meetings/template_list.html", {
        "scope": scope, "choice": choice, "org": choice.org, "today": today, "cards": cards,
        "org_query": _org_query(choice.org), "customized": sum(1 for c in cards if not c["template"].is_standard),
        "may_customize": _may_customize(scope, choice.org),
        "breadcrumbs": [("工作模板", None)],
    })


def _day_param(request, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return default


@login_required
def template_detail(request, kind: str):
    kind = _kind_or_404(kind)
    scope = get_scope(request.user)
    choice = _choose_org(request, scope)
    today = timezone.localdate()
    on = _day_param(request, today)
    org = choice.org
    template = effective_template(kind, org, on) if org else standard_templates()[kind]
    content = template.content
    hints = {item["key"]: item.get("hint", "") for item in content.get("five_ding") or []}
    ratio = (content.get("params") or {}).get("excellent_max_ratio")
    subtree_versions = []
    if org is not None and scope.is_officer and org.kind != OrgKind.GROUP:
        subtree_versions = list(TemplateVersion.objects.filter(subtree_q(org.path, "org__path"), kind=kind)
                                .exclude(org=org).select_related("org").order_by("org__path", "-effective_from")
                                [:SUBTREE_VERSIONS_SHOWN])
    return render(request, "meetings/template_detail.html", {
        "scope": scope, "choice": choice, "org": org, "kind": kind, "template": template, "c": content,
        "today": today, "on": on, "org_query": _org_query(org),
        "holder": holder_text(content), "expected": EXPECTED.get(content.get("expected") or "", ""),
        "frequency": frequency_text(content), "local": bool(template.frequency.get("local")),
        "five_ding": [(label, hints.get(key, "")) for key, label in FIVE_DING.items()],
        "roles": [ROLES[r] for r in content.get("roles") or []],
        "quorum": quorum_text(content), "quorum_lines": quorum_explanation(content),
        "evidence": [EVIDENCE[e] for e in content.get("evidence") or []],
        "follow_up": FOLLOW_UPS.get(content.get("follow_up") or ""), "ratio": ratio_text(ratio),
        "guide": [line.strip() for line in (content.get("guide") or "").splitlines() if line.strip()],
        "history": version_history(kind, org, today) if org else [],
        "standard_version": default_templates()[kind]["version"],
        "subtree_versions": subtree_versions,
        "may_customize": _may_customize(scope, org),
        "may_plan": org is not None and scope.sees_org(org),
        "plan_url": _plan_url(kind, org),
        "breadcrumbs": [("工作模板", reverse("template_list") + _org_query(org)), (template.name, None)],
    })


@login_required
@require_http_methods(["GET", "POST"])
def template_customize(request, kind: str):
    kind = _kind_or_404(kind)
    scope = get_scope(request.user)
    code = request.GET.get("org", "").strip()
    if not code:
        roots = visible_roots(request.user)
        if not roots:
            raise Http404("组织不存在或无权查看")
        code = roots[0].code
    org = get_org_for_user(request.user, code)
    require(_may_customize(scope, org), "只有组织管理员和系统管理员可以调整工作模板")
    detail_url = reverse("template_detail", args=[kind]) + _org_query(org)

    if request.method == "POST" and request.POST.get("delete"):
        return _delete_version(request, scope, kind, org, detail_url)

    today = timezone.localdate()
    base = effective_template(kind, org, today)
    form = TemplateCustomizeForm(request.POST or None, base=base.content)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.template_version_create(
                actor=request.user, org=org, kind=kind, effective_from=form.cleaned_data["effective_from"],
                content=form.build_content(), note=form.cleaned_data["note"], today=today)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存“{base.name}”的本单位版本：自{version.effective_from:%Y-%m-%d}起，"
                                      f"{org.name}及下级组织按此版本开展。")
            return redirect(detail_url)
    return render(request, "meetings/template_form.html", {
        "form": form, "org": org, "kind": kind, "base": base, "detail_url": detail_url,
        "breadcrumbs": [("工作模板", reverse("template_list") + _org_query(org)), (base.name, detail_url),
                        ("调整本单位版本", None)],
    })


def _delete_version(request, scope: Scope, kind: str, org: Organization, detail_url: str):
    try:
        version = TemplateVersion.objects.select_related("org").get(pk=int(request.POST["delete"]), kind=kind)
    except (TemplateVersion.DoesNotExist, ValueError):
        raise Http404("版本不存在")
    if not scope.sees_org(version.org):
        raise Http404("版本不存在")
    require(_may_customize(scope, version.org), "只有组织管理员和系统管理员可以删除模板版本")
    try:
        services.template_version_delete(actor=request.user, version=version)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已删除{version.org.name}自{version.effective_from:%Y-%m-%d}起的版本")
    return redirect(detail_url)
