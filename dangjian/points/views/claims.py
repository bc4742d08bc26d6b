"""The approval queue of members' claims (申报), the decision (通过 / 驳回 with a reason) and the evidence download."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_scope, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.selectors import find_visible_org

from .. import selectors, services
from ..forms import DecideForm
from ..models import ClaimStatus, PointPackVersion
from ..pack import PackChooser

STATUS_FILTERS = [("pending", "待审批"), ("approved", "已通过"), ("rejected", "已驳回"), ("all", "全部")]


def _queue(request):
    claims = selectors.claims_for(request.user).select_related("member__branch", "org", "assessment", "decided_by")
    status = request.GET.get("status", "pending").strip() or "pending"
    if status not in dict(STATUS_FILTERS):
        messages.warning(request, f"状态“{status}”无效，已显示待审批")
        status = "pending"
    if status != "all":
        claims = claims.filter(status=status)
    org_text = request.GET.get("org", "").strip()
    org = find_visible_org(request.user, org_text) if org_text else None
    if org_text and org is None:
        raise Http404("组织不存在或无权查看")
    if org is not None:
        claims = claims.filter(subtree_q(org.path, "org__path"))
    pending_first = Case(When(status=ClaimStatus.PENDING, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    return claims.order_by(pending_first, "-created_at", "-id"), status, org_text


@login_required
def points_claims(request):
    if not get_scope(request.user).is_officer:
        raise Http404("页面不存在或无权查看")
    claims, status, org_text = _queue(request)
    page, query = paginate(request, claims)
    chooser = all_versions()
    for c in page.object_list:
        c.may_decide = c.status == ClaimStatus.PENDING and services.may_decide(request.user, c)
        c.rule_name = _rule_name(c, chooser)
    return render(request, "points/claims.html", {
        "page": page, "querystring": query, "page_url": reverse("points_claims"), "status": status,
        "status_filters": STATUS_FILTERS, "org_text": org_text, "breadcrumbs": [("积分申报审批", None)],
    })


def all_versions() -> PackChooser:
    """Every pack version (a short table) in one query, to name the rules of a page of claims."""
    rows = PointPackVersion.objects.values_list("id", "org__path", "org__code", "effective_from", "content")
    return PackChooser([(path, day, selectors.version_pack(pk, code, day, content))
                        for pk, path, code, day, content in rows])


def _rule_name(claim, chooser: PackChooser) -> str:
    if claim.assessment_id:
        rule = next((r for r in claim.assessment.rules or [] if isinstance(r, dict) and r.get("code") == claim.rule),
                    {})
        return f"{rule.get('name', claim.rule)}（专项：{claim.assessment.name}）"
    return selectors.rule_label(chooser.pack_for(claim.org.path, claim.occurred_on), claim.rule)


@login_required
@require_POST
def points_claim_decide(request, pk: int):
    claim = selectors.get_claim_for_user(request.user, pk)
    require(services.may_decide(request.user, claim), "您无权审批该申报（本人的申报须由其他支部委员审批）")
    back = redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/points/")
                    else reverse("points_claims"))
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未能审批：" + "；".join(str(e) for errs in form.errors.values() for e in errs))
        return back
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.claim_decide(actor=request.user, claim=claim, approve=approve, note=form.cleaned_data["note"],
                              source="web")
    except ValidationError as exc:
        messages.error(request, "未能审批：" + "；".join(exc.messages))
    else:
        word = "通过" if approve else "驳回"
        messages.success(request, f"已{word}{claim.member.name}的申报（{claim.points.normalize():f}分）")
    return back


@login_required
def points_claim_evidence(request, pk: int):
    claim = selectors.get_claim_for_user(request.user, pk)
    if not claim.evidence:
        raise Http404("该申报没有佐证材料")
    try:
        handle = claim.evidence.storage.open(claim.evidence.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件已不存在")
    ext = "." + claim.evidence.name.rsplit(".", 1)[-1] if "." in claim.evidence.name else ""
    name = claim.evidence_name or f"佐证材料{ext}"
    response = FileResponse(handle, content_type=claim.evidence_type or "application/octet-stream")
    response["Content-Disposition"] = (f"attachment; filename=\"claim-{claim.pk}{ext}\"; "
                                       f"filename*=UTF-8''{quote(name, safe='')}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
