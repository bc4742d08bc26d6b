"""The card of one subject (a branch's star card, a member's, a team's, a post's): the result with every item's
why, the process state and its actions (自评 → 提交 → 审核 → 认定, 退回, 重评), veto marks and the versions.

GET never writes: without an evaluation the card shows the live result; the first self-assessment score (or
veto mark) opens the evaluation. Every action is a POST to the card itself and goes through services.py.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header

from dangjian.core.scoping import get_member_for_user, get_org_for_user, get_scope, get_team_for_user
from dangjian.orgs.models import Organization, OrgKind

from .. import schemes as scheme_packs
from .. import selectors, services
from ..engine import result_json
from ..export import DOCX_TYPE, approval_filename, write_approval
from ..forms import ItemScoreForm, NoteForm, ReasonForm, VetoForm
from ..models import Evaluation, EvaluationStatus, Post, PostKind, Stage
from .common import (
    NOT_FOUND,
    Card,
    build_card,
    frozen_result,
    parse_month,
    parse_year,
    querystring,
)

S = EvaluationStatus


def schemes_for(subject_kind: str, post_kind: str | None = None) -> list[dict[str, Any]]:
    out = [s for s in scheme_packs.all_schemes() if s.get("subject") == subject_kind]
    if post_kind is not None:
        out = [s for s in out if not s.get("post_kinds") or post_kind in s["post_kinds"]]
    return out


def choose_scheme(request, subject_kind: str, post_kind: str | None = None) -> dict[str, Any]:
    options = schemes_for(subject_kind, post_kind)
    if not options:
        raise Http404("没有适用于该对象的考核方案")
    code = request.GET.get("scheme", "").strip()
    chosen = next((s for s in options if s["code"] == code), None)
    if chosen is None:
        if code:
            messages.warning(request, f"考核方案“{code}”不适用于该对象，已显示“{options[0]['name']}”")
        chosen = options[0]
    return scheme_packs.load_scheme(chosen["code"])


def period_of(request, scheme: dict[str, Any], *, previous_month: bool = False) -> tuple[str, int, str]:
    """(period label, year, Chinese label) for the scheme's period kind (a month scheme: this month, or the
    month before with previous_month)."""
    if scheme.get("period") == "month":
        year, month = parse_month(request, previous_by_default=previous_month)
        return f"{year}-{month:02d}", year, f"{year}年{month}月"
    year = parse_year(request)
    return str(year), year, f"{year}年度"


class Subject:
    """What the card needs of its subject: the model object, its key, its branch and links."""

    def __init__(self, obj, key: str, branch, name: str, back_url: str, label: str):
        self.obj, self.key, self.branch, self.name, self.back_url, self.label = obj, key, branch, name, back_url, label


def _versions(scheme: str, key: str, period: str) -> list[Evaluation]:
    return list(Evaluation.objects.filter(scheme=scheme, subject_key=key, period=period).order_by("-version"))


def _shown(request, versions: list[Evaluation]) -> Evaluation | None:
    """The version asked for by ?version=, else the current (not superseded) one."""
    text = request.GET.get("version", "").strip()
    if text.isdigit():
        for v in versions:
            if v.version == int(text):
                return v
    return next((v for v in versions if v.status != S.SUPERSEDED), None)


def _result(scheme: dict[str, Any], subject: Subject, period: str, evaluation: Evaluation | None) -> dict:
    if evaluation is not None and evaluation.result:
        return frozen_result(evaluation)
    if evaluation is not None:
        return result_json(selectors.evaluate_subject(evaluation))
    for r in selectors.evaluate_subtree(scheme["code"], subject.branch, period):
        if r.subject.key == subject.key:
            return result_json(r)
    raise Http404("该对象不在考核范围内")


def abilities(user, branch, evaluation: Evaluation | None, current: bool) -> dict[str, bool]:
    status = evaluation.status if evaluation is not None else None
    self_ok = current and services.may_self_assess(user, branch) and status in (None, S.DRAFT)
    review_ok = current and services.may_review(user, branch)
    can = {
        "self_score": self_ok,
        "submit": self_ok and status == S.DRAFT,
        "review_score": review_ok and status == S.SUBMITTED,
        "review": review_ok and status == S.SUBMITTED,
        "return": review_ok and status in (S.SUBMITTED, S.REVIEWED),
        "confirm": current and services.may_confirm(user, branch) and status == S.REVIEWED,
        "reevaluate": current and services.may_confirm(user, branch) and status == S.CONFIRMED,
    }
    can["veto"] = self_ok or can["review_score"]
    can["any"] = any(can.values())
    return can


def _hint(card: Card, can: dict[str, bool]) -> str:
    if card.evaluation is not None and card.evaluation.status == S.SUPERSEDED:
        return "这是已被重评取代的旧版本，仅供查阅。"
    return {
        "": "尚未开始自评。由本支部书记、委员填写自评分后开始。",
        S.DRAFT: "自评进行中，等待本支部提交自评。",
        S.SUBMITTED: "已提交自评，等待上级党组织审核。",
        S.REVIEWED: "已审核，等待上级党组织认定。",
        S.CONFIRMED: "已认定，结果已冻结。",
    }.get(card.status, "")


def _messages(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _score_form_error(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


def _do(request, scheme: dict[str, Any], subject: Subject, period: str, evaluation: Evaluation | None) -> str:
    """Run one POSTed action; returns the success message (raises ValidationError on bad input)."""
    user, action = request.user, request.POST.get("action", "")
    if evaluation is None and action in ("self_score", "veto"):
        evaluation = services.evaluation_open(actor=user, scheme=scheme["code"], subject=subject.obj, period=period)
    if evaluation is None:
        raise ValidationError("尚未开始自评，请先填写自评分")
    if action in ("self_score", "review_score"):
        form = ItemScoreForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_score_form_error(form))
        d = form.cleaned_data
        stage = Stage.SELF if action == "self_score" else Stage.REVIEW
        services.item_score_set(actor=user, evaluation=evaluation, item=d["item"], points=d["points"],
                                note=d["note"], evidence=d["evidence"], stage=stage)
        return "已保存自评分" if stage == Stage.SELF else "已保存审核分"
    if action == "veto":
        form = VetoForm(request.POST, vetoes=scheme.get("vetoes"))
        if not form.is_valid():
            raise ValidationError(_score_form_error(form))
        d = form.cleaned_data
        services.veto_set(actor=user, evaluation=evaluation, veto=d["veto"], reason=d["reason"], on=d["on"])
        return "已标记一票否决" if d["on"] else "已撤销一票否决"
    simple = {"submit": (services.evaluation_submit, "已提交自评，等待上级审核"),
              "review": (services.evaluation_review, "已审核，等待认定")}
    if action in simple:
        form = NoteForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        simple[action][0](actor=user, evaluation=evaluation, note=note)
        return simple[action][1]
    if action == "confirm":
        services.evaluation_confirm(actor=user, evaluation=evaluation)
        return "已认定，结果已冻结"
    reasoned = {"return": (services.evaluation_return, "已退回，等待重新自评"),
                "reevaluate": (services.evaluation_reevaluate, "已开始重新评定（新版本）")}
    if action in reasoned:
        form = ReasonForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_score_form_error(form))
        reasoned[action][0](actor=user, evaluation=evaluation, note=form.cleaned_data["note"])
        return reasoned[action][1]
    raise ValidationError("未知的操作")


def load_card(request, subject: Subject, scheme: dict[str, Any]) -> tuple[Card, list[Evaluation], bool, str]:
    """The card of the version shown, all versions, whether the shown one is the current one, the period label."""
    period, year, period_label = period_of(request, scheme)
    versions = _versions(scheme["code"], subject.key, period)
    current = next((v for v in versions if v.status != S.SUPERSEDED), None)
    shown = _shown(request, versions)
    card = build_card(scheme=scheme, result=_result(scheme, subject, period, shown), evaluation=shown,
                      live=not (shown is not None and shown.result), year=year, period=period, org=subject.branch)
    card.parent_name = _parent_name(subject.branch)
    return card, versions, shown is None or shown == current, period_label


def render_card(request, subject: Subject, scheme: dict[str, Any]):
    if request.method == "POST":
        period = period_of(request, scheme)[0]
        versions = _versions(scheme["code"], subject.key, period)
        current = next((v for v in versions if v.status != S.SUPERSEDED), None)
        try:
            messages.success(request, _do(request, scheme, subject, period, current))
        except ValidationError as exc:
            messages.error(request, _messages(exc))
        return redirect(f"{request.path}?{querystring(request, version='')}")
    card, versions, is_current, period_label = load_card(request, subject, scheme)
    can = abilities(request.user, subject.branch, card.evaluation, is_current)
    month = scheme.get("period") == "month"
    return render(request, "assessment/card.html", {
        "card": card, "can": can, "versions": versions, "period_label": period_label,
        "subject_org": subject.branch.name if subject.key != f"org:{subject.branch.pk}" else "",
        "veto_form": VetoForm(vetoes=scheme.get("vetoes")), "process_hint": _hint(card, can),
        "version_query": querystring(request, version=""), "back_url": subject.back_url,
        "docx_url": (reverse("assessment_approval_docx", args=[subject.obj.code]) + f"?{request.GET.urlencode()}"
                     if subject.key.startswith("org:") else ""),
        "period_form": {"label": "月份" if month else "年度", "type": "month" if month else "number",
                        "name": "month" if month else "year", "value": card.period},
        "scheme_options": schemes_for(scheme["subject"], getattr(subject.obj, "kind", None)
                                      if subject.key.startswith("post:") else None),
        "breadcrumbs": [("考核评价", reverse("assessment_overview")), (subject.label, subject.back_url or None),
                        (subject.name, None)],
    })


def _parent_name(branch) -> str:
    if branch.depth <= 1:
        return ""
    parent = Organization.objects.filter(path=branch.path[: -Organization.steplen]).only("name").first()
    return parent.name if parent is not None else ""


def _branch_subject(request, code: str) -> Subject:
    org = get_org_for_user(request.user, code)
    if org.kind != OrgKind.BRANCH:
        raise Http404("只有党支部有星级评定卡")
    return Subject(org, f"org:{org.pk}", org, org.name, f"{reverse('assessment_overview')}?org={org.code}",
                   "党支部星级")


@login_required
def assessment_card(request, code):
    subject = _branch_subject(request, code)
    return render_card(request, subject, choose_scheme(request, "branch"))


@login_required
def assessment_approval_docx(request, code):
    subject = _branch_subject(request, code)
    card = load_card(request, subject, choose_scheme(request, "branch"))[0]
    response = HttpResponse(content_type=DOCX_TYPE)
    write_approval(card, response)
    response["Content-Disposition"] = content_disposition_header(True, approval_filename(card))
    return response


@login_required
def assessment_member_card(request, pk):
    member = get_member_for_user(request.user, pk)
    scheme = choose_scheme(request, "member")
    back = (f"{reverse('assessment_overview')}?scheme={scheme['code']}&org={member.branch.code}"
            if get_scope(request.user).sees_org(member.branch) else "")
    subject = Subject(member, f"member:{member.pk}", member.branch, member.name, back, "党员考核")
    return render_card(request, subject, scheme)


@login_required
def assessment_mine(request):
    if not request.user.member_id:
        raise Http404("您的账号未关联党员信息")
    return redirect("assessment_member_card", pk=request.user.member_id)


@login_required
def assessment_team_card(request, code):
    if not get_scope(request.user).is_officer:
        raise Http404(NOT_FOUND)
    team = get_team_for_user(request.user, code)
    subject = Subject(team, f"team:{team.pk}", team.branch, team.name,
                      f"{reverse('assessment_teams')}?org={team.branch.code}", "五好班组")
    return render_card(request, subject, choose_scheme(request, "team"))


def get_post_for_user(user, pk) -> Post:
    scope = get_scope(user)
    try:
        post = Post.objects.select_related("org", "holder").get(pk=pk)
    except (Post.DoesNotExist, ValueError, TypeError):
        raise Http404("岗位不存在或无权查看")
    if not (scope.sees_org(post.org) or (post.holder_id is not None and post.holder_id == scope.member_id)):
        raise Http404("岗位不存在或无权查看")
    return post


@login_required
def assessment_post_card(request, pk):
    post = get_post_for_user(request.user, pk)
    back = reverse("assessment_kpi") if post.kind == PostKind.KPI else reverse("assessment_wall")
    subject = Subject(post, f"post:{post.pk}", post.org, post.name, f"{back}?org={post.org.code}",
                      "岗位KPI" if post.kind == PostKind.KPI else "示范岗")
    return render_card(request, subject, choose_scheme(request, "post", post.kind))
