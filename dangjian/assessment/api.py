"""JSON API of the assessment schemes (达标创星, 双百, 岗位KPI, 五好班组, 示范岗, 创建清单).

- GET /api/assessment/schemes: the built-in schemes (dimensions, items, vetoes, levels).
- GET /api/assessment?scheme=&org=&year=[&period=]: the results of a subtree, the same JSON as
  `evaluate --json` and the overview page (selectors.results + selectors.to_json: confirmed frozen results where
  they exist, live ones otherwise). Officers and admins of the organization only; anyone else gets 404.
- GET /api/assessment/evaluations[?scheme=&status=&org=&period=], GET /api/assessment/evaluations/{id}: the
  process records (a plain member sees only their own member-level evaluations).
- POST /api/assessment/evaluations (open), …/{id}/scores, …/{id}/vetoes, …/{id}/submit, …/review, …/return,
  …/confirm, …/reevaluate: the process 自评 → 审核 → 认定 through the services (validated, audited, source "api").
- GET/POST /api/assessment/checklists, POST …/checklists/{id}/complete, …/reopen: 创建清单.
- GET/POST /api/assessment/posts, POST …/posts/{id}/indicators, POST …/indicators/{id}/values,
  GET …/posts/{id}/kpi?year=: posts, KPI indicators and values, and the KPI comparison with earlier years.
- GET /api/assessment/wall?org=&month=[&n=]: the month's best model posts (明星墙).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from ninja import Query, Router

from dangjian.core.scoping import get_member_for_user, get_org_for_user, get_scope, get_team_for_user, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.api import READ_ERRORS, WRITE_ERRORS, limit_param, offset_param, parse_choice
from dangjian.orgs.models import Organization

from . import selectors, services
from .models import ChecklistItem, Evaluation, EvaluationStatus, KpiIndicator, Post, PostKind, Stage
from .schemas import (
    ChecklistCompleteIn,
    ChecklistCreateIn,
    EvaluationOpenIn,
    IndicatorCreateIn,
    ItemScoreIn,
    KpiValueIn,
    NoteIn,
    PostCreateIn,
    VetoIn,
)
from .schemes import SUBJECT_LABELS

router = Router(tags=["考核评价"])

SOURCE = "api"
NOT_VISIBLE = "组织不存在或无权查看"
WALL_MAX = 50


# --- shared with the `evaluate` command -------------------------------------------------------------------------

def scheme_or_error(code: str, field: str = "scheme") -> dict[str, Any]:
    """The built-in scheme `code`; a ValidationError naming the known ones otherwise."""
    code = (code or "").strip()
    known = [s["code"] for s in selectors.schemes()]
    if code not in known:
        raise ValidationError({field: f"考核方案“{code}”不存在，可选：{'、'.join(known)}"})
    return selectors.load_scheme(code)


def period_for(scheme: dict[str, Any], year: int, period: str | None) -> str:
    """The period label to evaluate: the year for a yearly scheme; for a monthly or quarterly one the period
    given (it must lie in the year)."""
    kind = scheme.get("period", "year")
    text = (period or "").strip()
    if not text:
        if kind == "year":
            return str(year)
        example = {"month": f"{year}-03", "quarter": f"{year}-Q2"}.get(kind, str(year))
        unit = {"month": "月份", "quarter": "季度"}.get(kind, "期间")
        raise ValidationError({"period": f"“{scheme['name']}”按{unit}评价，请指定{unit}，如“{example}”"})
    label, in_year = services.parse_period(text, kind)
    if in_year != year:
        raise ValidationError({"period": f"期间“{label}”不在{year}年度内"})
    return label


def results_data(scheme: dict[str, Any], root: Organization, year: int, period: str) -> dict[str, Any]:
    """The results JSON of a subtree, as the overview page, the Excel export and `evaluate --json` build it."""
    rows = selectors.results(scheme["code"], root, period)
    return selectors.to_json(scheme["code"], root, year if scheme.get("period") == "year" else period, rows)


# --- schemes and results ----------------------------------------------------------------------------------------

def scheme_out(scheme: dict[str, Any]) -> dict[str, Any]:
    """The scheme's summary with every item: how it is scored, its criteria and source."""
    def item_out(dim_code: str, item: dict[str, Any]) -> dict[str, Any]:
        how = "自动+评审" if item.get("metric") and item.get("reviewer") else ("自动" if item.get("metric") else "评审")
        return {"code": f"{dim_code}.{item['code']}", "name": item["name"], "max": item["max"], "how": how,
                "metric": item.get("metric"), "scoring": item.get("scoring"), "criteria": item.get("criteria", ""),
                "source": item.get("source", "")}

    return {
        **selectors.scheme_summary(scheme), "post_kinds": scheme.get("post_kinds") or [],
        "dimensions": [{"code": d["code"], "name": d["name"], "weight": d["weight"], "kpi": bool(d.get("kpi")),
                        "items": [item_out(d["code"], i) for i in d["items"].values()]}
                       for d in scheme["dimensions"].values()],
        "vetoes": [{"code": code, "name": v["name"], "source": v.get("source", "")}
                   for code, v in scheme["vetoes"].items()],
    }


@router.get("/assessment/schemes", response={200: dict[str, Any], **READ_ERRORS}, summary="考核方案列表")
def list_schemes(request):
    return {"items": [scheme_out(s) for s in selectors.schemes()]}


@router.get("/assessment", response={200: dict[str, Any], **READ_ERRORS},
            summary="考核结果（某组织及其下级、某方案、某年度或期间）")
def assessment_results(
    request,
    scheme: str = Query(..., description="考核方案编码，如 dabiao-chuangxing"),
    org: str = Query(..., description="组织编码"),
    year: int = Query(..., ge=2000, le=2100, description="年度，如 2026"),
    period: str = Query("", description="按月或按季度评价的方案：期间，如 2026-03、2026-Q2"),
):
    root = Organization.objects.filter(code=org.strip()).first()
    if root is None or not get_scope(request.auth).sees_org(root):
        raise Http404(NOT_VISIBLE)
    pack = scheme_or_error(scheme)
    return results_data(pack, root, year, period_for(pack, year, period))


# --- evaluations (the process) ----------------------------------------------------------------------------------

def _user_name(user) -> str | None:
    if user is None:
        return None
    return getattr(user, "display_name", "") or user.get_username()


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _subject_of(e: Evaluation) -> dict[str, Any]:
    obj = e.member or e.team or e.post or e.org
    code = getattr(obj, "code", None) or str(obj.pk)
    return {"kind": e.subject_kind, "kind_label": e.get_subject_kind_display(), "key": e.subject_key,
            "id": obj.pk, "code": code, "name": obj.name, "org": e.org.code, "org_name": e.org.name}


def evaluation_out(e: Evaluation) -> dict[str, Any]:
    return {
        "id": e.pk, "scheme": e.scheme, "scheme_version": e.scheme_version, "subject": _subject_of(e),
        "period": e.period, "year": e.year, "version": e.version, "status": e.status,
        "status_label": e.get_status_display(), "score": float(e.score) if e.score is not None else None,
        "level": e.level or None, "vetoed": e.vetoed, "fingerprint": e.fingerprint or None,
        "self_note": e.self_note, "review_note": e.review_note, "return_note": e.return_note,
        "reevaluation_note": e.reevaluation_note, "previous_id": e.previous_id,
        "submitted_by": _user_name(e.submitted_by), "submitted_at": _when(e.submitted_at),
        "reviewed_by": _user_name(e.reviewed_by), "reviewed_at": _when(e.reviewed_at),
        "confirmed_by": _user_name(e.confirmed_by), "confirmed_at": _when(e.confirmed_at),
        "created_at": _when(e.created_at),
    }


def evaluation_detail(user, e: Evaluation) -> dict[str, Any]:
    """The evaluation with its result (the frozen one once confirmed, else live), its people's scores, veto
    marks, all versions and what the user may do now."""
    frozen, problem = e.is_frozen, None
    try:
        result = e.result if frozen else services.live_result_json(e)
    except ValueError as exc:  # the subject no longer fits the scheme (a post stopped, a member left)
        result, problem = None, str(exc)
    scores = [{"item": s.item, "stage": s.stage, "stage_label": s.get_stage_display(), "points": float(s.points),
               "note": s.note, "evidence": s.evidence, "by": _user_name(s.by), "at": _when(s.at)}
              for s in e.item_scores.select_related("by").order_by("item", "stage")]
    marks = [{"veto": m.veto, "reason": m.reason, "stage": m.stage, "by": _user_name(m.by), "at": _when(m.at)}
             for m in e.veto_marks.select_related("by").order_by("veto")]
    versions = [{"id": v.pk, "version": v.version, "status": v.status, "status_label": v.get_status_display(),
                 "score": float(v.score) if v.score is not None else None, "level": v.level or None}
                for v in Evaluation.objects.filter(scheme=e.scheme, subject_key=e.subject_key, period=e.period)
                .order_by("version")]
    org = e.org
    draft, submitted = e.status == EvaluationStatus.DRAFT, e.status == EvaluationStatus.SUBMITTED
    reviewer = services.may_review(user, org)
    actions = {
        "self_assess": draft and services.may_self_assess(user, org),
        "submit": draft and services.may_self_assess(user, org),
        "review": submitted and reviewer,
        "return": e.status in (EvaluationStatus.SUBMITTED, EvaluationStatus.REVIEWED) and reviewer,
        "confirm": e.status == EvaluationStatus.REVIEWED and reviewer,
        "reevaluate": e.status == EvaluationStatus.CONFIRMED and reviewer,
    }
    return {**evaluation_out(e), "live": not frozen, "result": result, "problem": problem, "item_scores": scores,
            "veto_marks": marks, "versions": versions, "actions": actions}


def _evaluation(request, evaluation_id: int) -> Evaluation:
    return services.get_evaluation_for_user(request.auth, evaluation_id)


def _post_for_user(user, pk: int) -> Post:
    try:
        return (Post.objects.filter(get_scope(user).org_q("org__")).select_related("org", "holder").get(pk=pk))
    except (Post.DoesNotExist, ValueError, TypeError):
        raise Http404("岗位不存在或无权查看")


def _subject_for(user, scheme: dict[str, Any], payload: EvaluationOpenIn):
    kind = scheme["subject"]
    given = {"branch": payload.org, "member": payload.member_id, "team": payload.team, "post": payload.post_id}
    field = {"branch": "org", "member": "member_id", "team": "team", "post": "post_id"}[kind]
    value = given[kind]
    if value in (None, ""):
        label = {"branch": "党支部编码", "member": "党员 id", "team": "班组编码", "post": "岗位 id"}[kind]
        raise ValidationError({field: f"“{scheme['name']}”的考核对象是{SUBJECT_LABELS[kind]}，请填写{label}"})
    try:
        if kind == "branch":
            return get_org_for_user(user, str(value).strip())
        if kind == "member":
            return get_member_for_user(user, value)
        if kind == "team":
            return get_team_for_user(user, str(value).strip())
        return _post_for_user(user, value)
    except Http404:
        raise ValidationError({field: f"考核对象“{value}”不存在或不在您的管理范围内"})


@router.get("/assessment/evaluations", response={200: dict[str, Any], **READ_ERRORS}, summary="考核评价列表")
def list_evaluations(
    request,
    scheme: str = Query("", description="考核方案编码"),
    status: str = Query("", description="状态（草稿/已自评/已审核/已认定/已重评）"),
    org: str = Query("", description="只列此组织（含下级）的评价，填组织编码"),
    period: str = Query("", description="考核期间，如 2026、2026-03"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = services.evaluations_for(user)
    if scheme.strip():
        qs = qs.filter(scheme=scheme_or_error(scheme)["code"])
    if status.strip():
        qs = qs.filter(status=parse_choice(EvaluationStatus, status, "status", "状态"))
    if org.strip():
        qs = qs.filter(subtree_q(get_org_for_user(user, org.strip()).path, "org__path"))
    if period.strip():
        qs = qs.filter(period=services.parse_period(period)[0])
    total = qs.count()
    rows = list(qs.select_related("org", "member", "team", "post", "submitted_by", "reviewed_by", "confirmed_by")
                .order_by("scheme", "period", "org__path", "subject_key", "-version")[offset: offset + limit])
    return {"total": total, "limit": limit, "offset": offset, "items": [evaluation_out(e) for e in rows]}


@router.get("/assessment/evaluations/{evaluation_id}", response={200: dict[str, Any], **READ_ERRORS},
            summary="考核评价详情（得分明细、评分、否决、版本）")
def get_evaluation(request, evaluation_id: int):
    return evaluation_detail(request.auth, _evaluation(request, evaluation_id))


@router.post("/assessment/evaluations", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="开始考核评价（已有未认定的版本时返回该版本）")
def open_evaluation(request, payload: EvaluationOpenIn):
    user = request.auth
    pack = scheme_or_error(payload.scheme)
    subject = _subject_for(user, pack, payload)
    evaluation = services.evaluation_open(actor=user, scheme=pack["code"], subject=subject, period=payload.period,
                                          source=SOURCE)
    return evaluation_detail(user, evaluation)


@router.post("/assessment/evaluations/{evaluation_id}/scores", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="评审项打分（自评或审核）")
def set_item_score(request, evaluation_id: int, payload: ItemScoreIn):
    user = request.auth
    evaluation = _evaluation(request, evaluation_id)
    stage = parse_choice(Stage, payload.stage, "stage", "阶段") if payload.stage else None
    services.item_score_set(actor=user, evaluation=evaluation, item=payload.item.strip(), points=payload.points,
                            note=payload.note, evidence=payload.evidence, stage=stage, source=SOURCE)
    return evaluation_detail(user, _evaluation(request, evaluation_id))


@router.post("/assessment/evaluations/{evaluation_id}/vetoes", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="标记或取消一票否决")
def set_veto(request, evaluation_id: int, payload: VetoIn):
    user = request.auth
    services.veto_set(actor=user, evaluation=_evaluation(request, evaluation_id), veto=payload.veto.strip(),
                      reason=payload.reason, on=payload.on, source=SOURCE)
    return evaluation_detail(user, _evaluation(request, evaluation_id))


def _transition(request, evaluation_id: int, action, payload: NoteIn | None = None) -> dict[str, Any]:
    user = request.auth
    kwargs = {"note": payload.note} if payload is not None else {}
    evaluation = action(actor=user, evaluation=_evaluation(request, evaluation_id), source=SOURCE, **kwargs)
    return evaluation_detail(user, _evaluation(request, evaluation.pk))


@router.post("/assessment/evaluations/{evaluation_id}/submit", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="提交自评")
def submit_evaluation(request, evaluation_id: int, payload: NoteIn):
    return _transition(request, evaluation_id, services.evaluation_submit, payload)


@router.post("/assessment/evaluations/{evaluation_id}/review", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="审核通过（上级组织）")
def review_evaluation(request, evaluation_id: int, payload: NoteIn):
    return _transition(request, evaluation_id, services.evaluation_review, payload)


@router.post("/assessment/evaluations/{evaluation_id}/return", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="退回重新自评（须填理由）")
def return_evaluation(request, evaluation_id: int, payload: NoteIn):
    return _transition(request, evaluation_id, services.evaluation_return, payload)


@router.post("/assessment/evaluations/{evaluation_id}/confirm", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="认定（冻结结果）")
def confirm_evaluation(request, evaluation_id: int):
    return _transition(request, evaluation_id, services.evaluation_confirm)


@router.post("/assessment/evaluations/{evaluation_id}/reevaluate", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="重新评价（新版本，须填理由）")
def reevaluate_evaluation(request, evaluation_id: int, payload: NoteIn):
    return _transition(request, evaluation_id, services.evaluation_reevaluate, payload)


# --- checklists (创建清单) -----------------------------------------------------------------------------------------

def checklist_out(item: ChecklistItem) -> dict[str, Any]:
    member = item.member
    return {"id": item.pk, "org": item.org.code, "org_name": item.org.name, "year": item.year,
            "member": {"id": member.pk, "name": member.name} if member else None, "title": item.title,
            "target": item.target, "feeds": item.feeds or None, "due_on": item.due_on.isoformat(),
            "done_on": item.done_on.isoformat() if item.done_on else None, "done": item.is_done,
            "done_in_time": item.done_in_time, "evidence": item.evidence}


def _checklists_for(user):
    scope = get_scope(user)
    q = scope.org_q("org__")
    if not scope.is_admin and scope.member_id is not None:
        q |= Q(member_id=scope.member_id)
    if not scope.is_officer and scope.member_id is None:
        return ChecklistItem.objects.none()
    return ChecklistItem.objects.filter(q)


def _checklist_for_user(user, pk: int) -> ChecklistItem:
    try:
        return _checklists_for(user).select_related("org", "member").get(pk=pk)
    except (ChecklistItem.DoesNotExist, ValueError, TypeError):
        raise Http404("清单事项不存在或无权查看")


@router.get("/assessment/checklists", response={200: dict[str, Any], **READ_ERRORS}, summary="创建清单")
def list_checklists(
    request,
    year: int = Query(..., ge=2000, le=2100, description="年度"),
    org: str = Query("", description="只列此组织（含下级）的清单，填组织编码"),
    member_id: int | None = Query(None, description="只列此党员的个人清单"),
    branch_only: bool = Query(False, description="true 只列党支部清单（不含党员个人清单）"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = _checklists_for(user).filter(year=year)
    if org.strip():
        qs = qs.filter(subtree_q(get_org_for_user(user, org.strip()).path, "org__path"))
    if member_id is not None:
        qs = qs.filter(member=get_member_for_user(user, member_id))
    elif branch_only:
        qs = qs.filter(member__isnull=True)
    total = qs.count()
    rows = list(qs.select_related("org", "member").order_by("org__path", "member_id", "due_on", "id")
                [offset: offset + limit])
    done = qs.filter(done_on__isnull=False).count()
    return {"total": total, "done": done, "limit": limit, "offset": offset,
            "items": [checklist_out(i) for i in rows]}


@router.post("/assessment/checklists", response={200: dict[str, Any], **WRITE_ERRORS}, summary="添加清单事项")
def create_checklist_item(request, payload: ChecklistCreateIn):
    user = request.auth
    org = get_org_for_user(user, payload.org.strip())
    member = None
    if payload.member_id is not None:
        try:
            member = get_member_for_user(user, payload.member_id)
        except Http404:
            raise ValidationError({"member_id": "党员不存在或不在您的管理范围内"})
    item = services.checklist_item_create(actor=user, org=org, year=payload.year, title=payload.title,
                                          due_on=payload.due_on, member=member, target=payload.target,
                                          feeds=payload.feeds, source=SOURCE)
    return checklist_out(item)


@router.post("/assessment/checklists/{item_id}/complete", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="清单事项完成")
def complete_checklist_item(request, item_id: int, payload: ChecklistCompleteIn):
    user = request.auth
    item = services.checklist_item_complete(actor=user, item=_checklist_for_user(user, item_id),
                                            done_on=payload.done_on, evidence=payload.evidence, source=SOURCE)
    return checklist_out(item)


@router.post("/assessment/checklists/{item_id}/reopen", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="撤销清单事项的完成")
def reopen_checklist_item(request, item_id: int):
    user = request.auth
    return checklist_out(services.checklist_item_reopen(actor=user, item=_checklist_for_user(user, item_id),
                                                        source=SOURCE))


# --- posts and KPI ------------------------------------------------------------------------------------------------

def _number(value) -> float | None:
    return float(value) if value is not None else None


def _ratio(value) -> float | None:
    """A completion ratio (Decimal, possibly infinite when lower is better and the actual is 0) for JSON."""
    if value is None or not value.is_finite():
        return None
    return round(float(value), 4)


def post_out(post: Post, indicators: list[KpiIndicator] | None = None) -> dict[str, Any]:
    holder = post.holder
    out = {"id": post.pk, "org": post.org.code, "org_name": post.org.name, "name": post.name, "kind": post.kind,
           "kind_label": post.get_kind_display(), "holder": {"id": holder.pk, "name": holder.name} if holder else None,
           "active": post.active, "since": post.since.isoformat() if post.since else None, "note": post.note}
    if indicators is not None:
        out["indicators"] = [indicator_out(i) for i in indicators]
    return out


def indicator_out(ind: KpiIndicator) -> dict[str, Any]:
    return {"id": ind.pk, "code": ind.code, "name": ind.name, "unit": ind.unit,
            "coefficient": float(ind.coefficient), "higher_is_better": ind.higher_is_better,
            "from_year": ind.from_year}


@router.get("/assessment/posts", response={200: dict[str, Any], **READ_ERRORS}, summary="考核岗位列表")
def list_posts(
    request,
    org: str = Query("", description="只列此组织（含下级）的岗位，填组织编码"),
    kind: str = Query("", description="岗位类型（岗位KPI/党员示范岗/党员先锋岗/党员责任区）"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    scope = get_scope(user)
    qs = Post.objects.filter(scope.org_q("org__")) if scope.is_officer else Post.objects.none()
    if org.strip():
        qs = qs.filter(subtree_q(get_org_for_user(user, org.strip()).path, "org__path"))
    if kind.strip():
        qs = qs.filter(kind=parse_choice(PostKind, kind, "kind", "岗位类型"))
    total = qs.count()
    posts = list(qs.select_related("org", "holder").prefetch_related("indicators")
                 .order_by("org__path", "kind", "name", "id")[offset: offset + limit])
    return {"total": total, "limit": limit, "offset": offset,
            "items": [post_out(p, list(p.indicators.all())) for p in posts]}


@router.post("/assessment/posts", response={200: dict[str, Any], **WRITE_ERRORS}, summary="设立考核岗位")
def create_post(request, payload: PostCreateIn):
    user = request.auth
    org = get_org_for_user(user, payload.org.strip())
    holder = None
    if payload.holder_id is not None:
        try:
            holder = get_member_for_user(user, payload.holder_id)
        except Http404:
            raise ValidationError({"holder_id": "党员不存在或不在您的管理范围内"})
    kind = parse_choice(PostKind, payload.kind, "kind", "岗位类型")
    post = services.post_create(actor=user, org=org, name=payload.name, kind=kind, holder=holder,
                                since=payload.since, note=payload.note, source=SOURCE)
    return post_out(post, [])


@router.post("/assessment/posts/{post_id}/indicators", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="添加KPI指标")
def create_indicator(request, post_id: int, payload: IndicatorCreateIn):
    post = _post_for_user(request.auth, post_id)
    indicator = services.kpi_indicator_create(
        actor=request.auth, post=post, code=payload.code, name=payload.name, from_year=payload.from_year,
        unit=payload.unit, coefficient=payload.coefficient, higher_is_better=payload.higher_is_better,
        source=SOURCE)
    return indicator_out(indicator)


@router.post("/assessment/indicators/{indicator_id}/values", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="填报KPI目标值和实际值")
def set_kpi_value(request, indicator_id: int, payload: KpiValueIn):
    user = request.auth
    scope = get_scope(user)
    indicator = (KpiIndicator.objects.filter(scope.org_q("post__org__")).select_related("post__org")
                 .filter(pk=indicator_id).first() if scope.is_officer else None)
    if indicator is None:
        raise Http404("KPI指标不存在或无权查看")
    value = services.kpi_value_set(actor=user, indicator=indicator, period=payload.period, target=payload.target,
                                   actual=payload.actual, note=payload.note, source=SOURCE)
    return {"indicator": indicator_out(indicator), "period": value.period, "target": _number(value.target),
            "actual": _number(value.actual), "note": value.note}


@router.get("/assessment/posts/{post_id}/kpi", response={200: dict[str, Any], **READ_ERRORS},
            summary="岗位KPI与上年、往年同期对比")
def post_kpi(request, post_id: int, year: int = Query(..., ge=2000, le=2100, description="年度")):
    post = _post_for_user(request.auth, post_id)
    require(post.kind == PostKind.KPI, "该岗位不是岗位KPI类岗位")
    rows = [{"indicator_id": r.indicator_id, "code": r.code, "name": r.name, "unit": r.unit,
             "coefficient": float(r.coefficient), "higher_is_better": r.higher_is_better, "period": r.period,
             "target": _number(r.target), "actual": _number(r.actual), "completion": _ratio(r.completion),
             "last_year": _ratio(r.last_year), "change": _ratio(r.change),
             "earlier": [{"period": p, "completion": _ratio(c)} for p, c in r.earlier]}
            for r in selectors.kpi_comparison(post, year)]
    return {"post": post_out(post), "year": year, "rows": rows}


@router.get("/assessment/wall", response={200: dict[str, Any], **READ_ERRORS}, summary="明星墙（当月优秀示范岗）")
def model_wall(
    request,
    org: str = Query(..., description="组织编码"),
    month: str = Query(..., description="月份，如 2026-03"),
    n: int = Query(10, ge=1, le=WALL_MAX, description=f"每个组织取前几名（1~{WALL_MAX}）"),
):
    root = get_org_for_user(request.auth, org.strip())
    label, _ = services.parse_period(month, "month", "month")
    items = [{"rank": row.rank, "post_id": row.result["subject"]["id"], "name": row.result["subject"]["name"],
              "org": row.result["subject"].get("org_name", ""), "score": row.result["score"],
              "level": row.result["level"], "live": row.live, "status": row.status}
             for row in selectors.wall(root, label, n)]
    return {"org": root.code, "month": label, "n": n, "items": items}
