"""The tables of a subtree: 五好班组, the KPI posts (posts × indicators, with last year and the same period of
earlier years) with the forms to add posts, indicators and values, and the model-post wall (明星墙) of a month."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core.pagination import paginate
from dangjian.core.scoping import get_scope, orgs_for
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import PARTY_MEMBER_CATEGORIES, Member, OrgKind

from .. import schemes as scheme_packs
from .. import selectors, services
from ..engine import result_json
from ..forms import KpiIndicatorForm, KpiValueForm, PostForm
from ..models import KpiIndicator, Post, PostKind
from .card import period_of
from .common import NOT_FOUND, card_url, officer_root, parse_year
from .overview import distribution, overview_data, table_rows

TEAM_SCHEME = "wuhao-banzu"
KPI_SCHEME = "post-kpi"
MODEL_SCHEME = "model-post"
KPI_POSTS_PER_PAGE = 10


def _scheme_or_404(code: str) -> dict[str, Any]:
    if not any(s["code"] == code for s in scheme_packs.all_schemes()):
        raise Http404(f"考核方案“{code}”未配置")
    return scheme_packs.load_scheme(code)


def _red(result: dict[str, Any]) -> bool | None:
    for item in result.get("items") or []:
        if item.get("metric") == "team_red":
            return item.get("value") if isinstance(item.get("value"), bool) else None
    return None


@login_required
def assessment_teams(request):
    root = officer_root(request)
    scheme = _scheme_or_404(TEAM_SCHEME)
    period, year, period_label = period_of(request, scheme)
    data = overview_data(scheme, root, period, year)
    rows = table_rows(scheme, data, period)
    for row in rows:
        row["red"] = _red(row)
    page, qstring = paginate(request, rows)
    return render(request, "assessment/teams.html", {
        "root": root, "scheme": scheme, "year": year, "period_label": period_label, "page": page,
        "querystring": qstring, "page_url": request.path, "total": len(rows),
        "distribution": distribution(scheme, rows), "dimension_names": [d["name"] for d in
                                                                        scheme["dimensions"].values()],
        "breadcrumbs": [("考核评价", reverse("assessment_overview")), ("五好班组", None)],
    })


# --- KPI ---------------------------------------------------------------------------------------------------------

def _branches(user, root):
    return orgs_for(user).filter(subtree_q(root.path), kind=OrgKind.BRANCH).order_by("path")


def _members(root):
    return Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES) \
        .select_related("branch").order_by("name", "id")


def _kpi_posts(root):
    return Post.objects.filter(subtree_q(root.path, "org__path"), kind=PostKind.KPI, active=True)


def _indicators(root):
    return KpiIndicator.objects.filter(post__in=_kpi_posts(root)).select_related("post").order_by("post__name", "code")


def _post_scores(scheme: dict[str, Any], root, period: str) -> dict[str, dict[str, Any]]:
    return {r.subject.key: result_json(r) for r in selectors.evaluate_subtree(scheme["code"], root, period)}


def _pct(ratio) -> str:
    if ratio is None:
        return ""
    return "∞" if ratio.is_infinite() else f"{(ratio * 100).quantize(Decimal('0.1'))}%"


def kpi_table(rows, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One line per indicator and period: this year's target/actual/completion, the points the engine gave it,
    last year's completion, earlier years' and the change."""
    items = {i["code"].split(".", 1)[-1]: i for i in (result or {}).get("items") or []}
    out = []
    for r in rows:
        item = items.get(r.code) if r.period == str(r.period)[:4] else None
        change = ""
        if r.change is not None and not r.change.is_infinite():
            change = f"{'+' if r.change >= 0 else ''}{(r.change * 100).quantize(Decimal('0.1'))}个百分点"
        out.append({"name": r.name, "unit": r.unit, "coefficient": r.coefficient, "higher_is_better": r.higher_is_better,
                    "period": r.period, "target": r.target, "actual": r.actual, "completion": _pct(r.completion),
                    "points": item["points"] if item else None, "max": item["max"] if item else None,
                    "last_completion": _pct(r.last_year) or "",
                    "earlier": [f"{p}：{_pct(c) or '无'}" for p, c in r.earlier], "change": change})
    return out


@login_required
def assessment_kpi(request):
    root = officer_root(request)
    scheme = _scheme_or_404(KPI_SCHEME)
    year = parse_year(request)
    posts = _kpi_posts(root).select_related("org", "holder").order_by("org__path", "name", "id")
    page, qstring = paginate(request, posts, KPI_POSTS_PER_PAGE)
    scores = _post_scores(scheme, root, str(year))
    for post in page.object_list:
        post.result = scores.get(f"post:{post.pk}")
        post.table = kpi_table(selectors.kpi_comparison(post, year), post.result)
        post.url = card_url("post", pk=post.pk, scheme=scheme["code"], period=str(year))
    user = request.user
    return render(request, "assessment/kpi.html", {
        "root": root, "scheme": scheme, "year": year, "page": page, "querystring": qstring,
        "page_url": request.path, "may_edit": _branches(user, root).exists(),
        "post_form": PostForm(orgs=_branches(user, root), members=_members(root), initial={"kind": PostKind.KPI}),
        "indicator_form": KpiIndicatorForm(posts=_kpi_posts(root).order_by("name"), initial={"from_year": year}),
        "value_form": KpiValueForm(indicators=_indicators(root), initial={"period": str(year)}),
        "breadcrumbs": [("考核评价", reverse("assessment_overview")), ("岗位KPI", None)],
    })


def _back(request, default: str) -> str:
    back = request.POST.get("next", "")
    return back if back.startswith("/") and not back.startswith("//") else default


def _form_errors(form) -> str:
    return "；".join(f"{form.fields[k].label if k in form.fields else ''}：{e}".lstrip("：")
                    for k, errs in form.errors.items() for e in errs)


def _post_write(request, form, write) -> None:
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return
    try:
        messages.success(request, write(form.cleaned_data))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))


@login_required
def assessment_post_create(request):
    if request.method != "POST" or not get_scope(request.user).is_officer:
        raise Http404(NOT_FOUND)
    form = PostForm(request.POST, orgs=orgs_for(request.user).filter(kind=OrgKind.BRANCH),
                    members=Member.objects.filter(get_scope(request.user).member_q()))

    def write(d):
        post = services.post_create(actor=request.user, org=d["org"], name=d["name"], kind=d["kind"],
                                    holder=d["holder"], since=d["since"], note=d["note"])
        return f"已添加岗位“{post.name}”（{post.get_kind_display()}）"

    _post_write(request, form, write)
    return redirect(_back(request, reverse("assessment_kpi")))


@login_required
def assessment_indicator_create(request):
    if request.method != "POST" or not get_scope(request.user).is_officer:
        raise Http404(NOT_FOUND)
    posts = Post.objects.filter(get_scope(request.user).org_q("org__"))
    form = KpiIndicatorForm(request.POST, posts=posts)

    def write(d):
        ind = services.kpi_indicator_create(actor=request.user, post=d["post"], code=d["code"], name=d["name"],
                                            from_year=d["from_year"], unit=d["unit"], coefficient=d["coefficient"],
                                            higher_is_better=d["higher_is_better"])
        return f"已为“{ind.post.name}”添加指标“{ind.name}”"

    _post_write(request, form, write)
    return redirect(_back(request, reverse("assessment_kpi")))


@login_required
def assessment_value_set(request):
    if request.method != "POST" or not get_scope(request.user).is_officer:
        raise Http404(NOT_FOUND)
    indicators = KpiIndicator.objects.filter(get_scope(request.user).org_q("post__org__")).select_related("post")
    form = KpiValueForm(request.POST, indicators=indicators)

    def write(d):
        value = services.kpi_value_set(actor=request.user, indicator=d["indicator"], period=d["period"],
                                       target=d["target"], actual=d["actual"], note=d["note"])
        return f"已保存“{value.indicator.name}”{value.period}的目标值和实际值"

    _post_write(request, form, write)
    return redirect(_back(request, reverse("assessment_kpi")))


# --- the wall ----------------------------------------------------------------------------------------------------

WALL_KINDS = [PostKind.MODEL, PostKind.VANGUARD, PostKind.ZONE]


@login_required
def assessment_wall(request):
    root = officer_root(request)
    scheme = _scheme_or_404(MODEL_SCHEME)
    # The wall shows the best of a finished month: monthly evaluations are made after the month ends.
    period, year, period_label = period_of(request, scheme, previous_month=True)
    n = int((scheme.get("params") or {}).get("wall_top_n", 10))
    stars = [{"rank": row.rank, "score": row.result["score"], "level": row.level, "name": row.subject["name"],
              "org_name": row.subject.get("org_name", ""),
              "url": card_url("post", pk=row.subject.get("id"), scheme=scheme["code"], period=period)}
             for row in selectors.wall(root, period, n)]
    posts = Post.objects.filter(subtree_q(root.path, "org__path"), kind__in=WALL_KINDS, active=True) \
        .select_related("org", "holder").order_by("org__path", "kind", "name")
    page, qstring = paginate(request, posts)
    scores = _post_scores(scheme, root, period)
    for post in page.object_list:
        post.result = scores.get(f"post:{post.pk}")
        post.url = card_url("post", pk=post.pk, scheme=scheme["code"], period=period)
    user = request.user
    return render(request, "assessment/wall.html", {
        "root": root, "scheme": scheme, "period": period, "period_label": period_label, "stars": stars, "n": n,
        "page": page, "querystring": qstring, "page_url": request.path,
        "may_edit": _branches(user, root).exists(),
        "post_form": PostForm(orgs=_branches(user, root), members=_members(root), initial={"kind": PostKind.MODEL}),
        "breadcrumbs": [("考核评价", reverse("assessment_overview")), ("明星墙", None)],
    })
