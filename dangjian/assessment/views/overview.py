"""The overview of a subtree for one scheme (distribution of levels, the ranking), its Excel export, and the
review queue of the level above.

The overview and the export read `selectors.results` (confirmed frozen results where they exist, live ones
otherwise) through `selectors.to_json`, the same JSON that the CLI and the API print.
"""

from collections import Counter
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_scope
from dangjian.core.treepaths import subtrees_q

from .. import schemes as scheme_packs
from .. import selectors
from ..export import XLSX_TYPE, write_results
from ..models import Evaluation, EvaluationStatus
from .card import period_of
from .common import (
    BRANCH_SCHEME,
    NOT_FOUND,
    STATUS_LABELS,
    card_url,
    evaluation_card_url,
    officer_root,
    querystring,
    subject_label,
)

LEVEL_COLOURS = ["#b71c1c", "#d84315", "#f4a261", "#e9c46a", "#2a9d8f", "#6b7280", "#9ca3af"]


def overview_scheme(request) -> dict[str, Any]:
    options = scheme_packs.all_schemes()
    code = request.GET.get("scheme", "").strip() or BRANCH_SCHEME
    if not any(s["code"] == code for s in options):
        messages.warning(request, f"考核方案“{code}”不存在，已显示党支部达标创星")
        code = BRANCH_SCHEME if any(s["code"] == BRANCH_SCHEME for s in options) else options[0]["code"]
    return scheme_packs.load_scheme(code)


def overview_data(scheme: dict[str, Any], root, period: str, year: int) -> dict[str, Any]:
    rows = selectors.results(scheme["code"], root, period)
    return selectors.to_json(scheme["code"], root, period if scheme.get("period") != "year" else year, rows)


def key_parts(key: str) -> tuple[str, int | None]:
    """("member", 5) from "member:5" ("org:12" is a branch)."""
    prefix, _, rest = (key or "").partition(":")
    return ("branch" if prefix == "org" else prefix), (int(rest) if rest.isdigit() else None)


def table_rows(scheme: dict[str, Any], data: dict[str, Any], period: str) -> list[dict[str, Any]]:
    """The ranking of the `to_json` results (already ranked by the selectors), with the links to the cards."""
    dimensions = [d["name"] for d in scheme["dimensions"].values()]
    out = []
    for r in data.get("results") or []:
        kind, pk = key_parts(r.get("subject_key", ""))
        dims = r.get("dimensions") or {}
        out.append({"rank": r.get("rank"), "code": str(r.get("subject", "")), "name": r.get("subject_name", ""),
                    "org_name": r.get("org", ""), "score": r.get("score"), "level": r.get("level", ""),
                    "vetoed": r.get("vetoed"), "passed": r.get("passed"), "live": r.get("live"),
                    "status": r.get("status", ""), "status_label": STATUS_LABELS.get(r.get("status", ""), ""),
                    "dimensions": [dims.get(d) for d in dimensions],
                    "missing": len(r.get("missing") or []), "items": r.get("items") or [],
                    "url": card_url(kind, code=str(r.get("subject", "")), pk=pk, scheme=scheme["code"],
                                    period=period)})
    return out


def distribution(scheme: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(r["level"] for r in rows)
    names = [level["name"] for level in scheme.get("levels", [])]
    return [{"name": name, "count": counts.get(name, 0), "colour": LEVEL_COLOURS[min(i, len(LEVEL_COLOURS) - 1)]}
            for i, name in enumerate(names)]


@login_required
def assessment_overview(request):
    scope = get_scope(request.user)
    if not scope.is_officer:
        if request.user.member_id:
            return redirect("assessment_mine")
        raise Http404(NOT_FOUND)
    root = officer_root(request)
    scheme = overview_scheme(request)
    period, year, period_label = period_of(request, scheme)
    data = overview_data(scheme, root, period, year)
    rows = table_rows(scheme, data, period)
    dist = distribution(scheme, rows)
    page, qstring = paginate(request, rows)
    month = scheme.get("period") == "month"
    return render(request, "assessment/overview.html", {
        "root": root, "scheme": scheme, "schemes": scheme_packs.all_schemes(), "year": year, "period": period,
        "period_label": period_label, "month": month, "page": page, "querystring": qstring,
        "page_url": reverse("assessment_overview"), "total": len(rows), "distribution": dist,
        "passed": sum(1 for r in rows if r["passed"]), "vetoed": sum(1 for r in rows if r["vetoed"]),
        "live": sum(1 for r in rows if r["live"]), "dimension_names": [d["name"] for d in
                                                                       scheme["dimensions"].values()],
        "chart": {"names": [d["name"] for d in dist], "counts": [d["count"] for d in dist],
                  "colours": [d["colour"] for d in dist]},
        "export_query": querystring(request, page=""),
        "breadcrumbs": [("考核评价", None)],
    })


@login_required
def assessment_export(request):
    if not get_scope(request.user).is_officer:
        raise Http404(NOT_FOUND)
    root = officer_root(request)
    scheme = overview_scheme(request)
    period, year, _label = period_of(request, scheme)
    data = overview_data(scheme, root, period, year)
    buffer = BytesIO()
    write_results(buffer, data, scheme.get("name", ""))
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{scheme.get('name', '考核')}结果-{root.code}-{period}.xlsx")
    return response


QUEUE_STATUSES = [EvaluationStatus.SUBMITTED, EvaluationStatus.REVIEWED]


def queue_q(scope) -> Q:
    """Evaluations the level above acts on: branches strictly below the user's 组织管理员 organizations, not the
    branches the user is an officer of (a 系统管理员: every branch)."""
    if scope.is_admin:
        return Q()
    q = subtrees_q(scope.admin_paths, "org__path") & ~Q(org__path__in=scope.admin_paths)
    if scope.officer_paths:
        q &= ~Q(org__path__in=scope.officer_paths)
    return q


@login_required
def assessment_queue(request):
    scope = get_scope(request.user)
    if not scope.is_org_admin:
        raise Http404(NOT_FOUND)
    status = request.GET.get("status", "")
    statuses = [status] if status in QUEUE_STATUSES else QUEUE_STATUSES
    qs = (Evaluation.objects.filter(queue_q(scope), status__in=statuses)
          .select_related("org", "member", "team", "post", "submitted_by").order_by("submitted_at", "id"))
    counts = dict(Evaluation.objects.filter(queue_q(scope), status__in=QUEUE_STATUSES)
                  .values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    page, qstring = paginate(request, qs)
    names = {s["code"]: s.get("name", s["code"]) for s in scheme_packs.all_schemes()}
    for e in page.object_list:
        e.url, e.label, e.scheme_name = evaluation_card_url(e), subject_label(e), names.get(e.scheme, e.scheme)
    return render(request, "assessment/queue.html", {
        "page": page, "querystring": qstring, "page_url": request.path, "status": status,
        "submitted": counts.get(EvaluationStatus.SUBMITTED, 0), "reviewed": counts.get(EvaluationStatus.REVIEWED, 0),
        "breadcrumbs": [("考核评价", reverse("assessment_overview")), ("待审核", None)],
    })

