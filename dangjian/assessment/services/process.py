"""The process 自评 → 审核 → 认定: opening an evaluation, item scores, veto marks, submit, review, return,
confirmation (which freezes the engine's result with the scheme version and the fingerprint of its inputs) and
re-evaluation as a new version. Every write is atomic, validated, permission-checked and audit-logged."""

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core.audit import snapshot
from dangjian.core.models import AuditAction
from dangjian.core.scoping import require
from dangjian.orgs.models import Member, Organization, OrgKind, WorkTeam
from dangjian.orgs.selectors import top_org_of

from ..engine import result_json
from ..models import Evaluation, EvaluationStatus, ItemScore, Post, Stage, SubjectKind, VetoMark
from ..selectors import evaluate_subject
from .common import (
    POINTS_QUANT,
    SUBJECT_LABEL,
    actor_label,
    clean_text,
    load_scheme,
    log_change,
    may_confirm,
    may_review,
    may_self_assess,
    parse_decimal,
    parse_period,
    period_start,
    require_state,
    require_visible,
    reviewer_item,
    user_or_none,
)

# --- evaluations ------------------------------------------------------------------------------------------------

def _subject_parts(scheme: dict, subject: Any) -> dict:
    """The subject's kind, key, branch and FK fields; checks it fits the scheme."""
    kind = scheme.get("subject")
    name = scheme.get("name", "")
    if isinstance(subject, Organization):
        actual, parts = SubjectKind.BRANCH, {"org": subject}
        if subject.kind != OrgKind.BRANCH:
            raise ValidationError({"subject": f"“{subject.name}”不是党支部，不能参加“{name}”"})
    elif isinstance(subject, Member):
        actual, parts = SubjectKind.MEMBER, {"org": subject.branch, "member": subject}
        if not subject.is_party_member:
            raise ValidationError({"subject": f"“{subject.name}”不是党员（含预备党员），不能参加“{name}”"})
    elif isinstance(subject, WorkTeam):
        actual, parts = SubjectKind.TEAM, {"org": subject.branch, "team": subject}
    elif isinstance(subject, Post):
        actual, parts = SubjectKind.POST, {"org": subject.org, "post": subject}
        kinds = scheme.get("post_kinds") or []
        if kinds and subject.kind not in kinds:
            raise ValidationError({"subject": f"岗位“{subject.name}”（{subject.get_kind_display()}）不适用“{name}”"})
        if not subject.active:
            raise ValidationError({"subject": f"岗位“{subject.name}”已停用"})
    else:
        raise ValidationError({"subject": "考核对象应为党支部、党员、班组或岗位"})
    if actual != kind:
        raise ValidationError({"subject": f"“{name}”的考核对象是{SUBJECT_LABEL.get(kind, kind)}，"
                                          f"不是{SUBJECT_LABEL[actual]}"})
    prefix = "org" if actual == SubjectKind.BRANCH else actual
    return {**parts, "subject_kind": actual, "subject_key": f"{prefix}:{subject.pk}"}


def current_evaluation(scheme: str, subject_key: str, period: str) -> Evaluation | None:
    """The live (not superseded) version for a scheme, subject and period."""
    return (Evaluation.objects.filter(scheme=scheme, subject_key=subject_key, period=period)
            .exclude(status=EvaluationStatus.SUPERSEDED).first())


def _snap(evaluation: Evaluation) -> dict:
    return snapshot(evaluation, extra={"org": evaluation.org.code, "result": None if evaluation.result is None
                                       else {"score": evaluation.result.get("score"),
                                             "level": evaluation.result.get("level")}})


@transaction.atomic
def evaluation_open(*, actor, scheme: str, subject: Any, period: str, source: str = "web") -> Evaluation:
    """The live version for the scheme, subject and period: the existing one, or a new draft version 1."""
    pack = load_scheme(scheme)
    parts = _subject_parts(pack, subject)
    org = parts["org"]
    require_visible(actor, org)
    require(may_self_assess(actor, org) or may_review(actor, org), "您不能为该对象开展考核")
    label, year = parse_period(period, pack.get("period"))
    if period_start(label) > timezone.localdate():
        raise ValidationError({"period": f"考核期间“{label}”尚未开始"})
    existing = current_evaluation(pack["code"], parts["subject_key"], label)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # a concurrent open of the same subject and period may win the race
            evaluation = Evaluation.objects.create(
                scheme=pack["code"], scheme_version=str(pack.get("version", "")), period=label, year=year,
                top_org=top_org_of(org), created_by=user_or_none(actor), **parts)
    except IntegrityError:
        return current_evaluation(pack["code"], parts["subject_key"], label)
    log_change(actor, AuditAction.CREATE, evaluation, None, _snap(evaluation), org, source)
    return evaluation


def _lock(evaluation: Evaluation) -> Evaluation:
    """Re-read the evaluation under a row lock so that concurrent actions see each other's state."""
    Evaluation.objects.select_for_update().filter(pk=evaluation.pk).values_list("pk").get()
    evaluation.refresh_from_db()
    return evaluation


def _stage_for(actor, evaluation: Evaluation, stage: str | None = None) -> str:
    """The stage an actor works in now: self while draft (officers), review while submitted (the level above)."""
    org = evaluation.org
    require_visible(actor, org, evaluation)
    if stage is None:
        require_state(evaluation, (EvaluationStatus.DRAFT, EvaluationStatus.SUBMITTED), "修改评分或否决项")
        stage = Stage.REVIEW if evaluation.status == EvaluationStatus.SUBMITTED else Stage.SELF
    if stage == Stage.SELF:
        require_state(evaluation, (EvaluationStatus.DRAFT,), "修改自评")
        require(may_self_assess(actor, org), "只有本支部的书记、委员或上级组织管理员可以自评")
    elif stage == Stage.REVIEW:
        require_state(evaluation, (EvaluationStatus.SUBMITTED,), "修改审核评分")
        require(may_review(actor, org), "审核应由上级组织管理员进行，本支部书记、委员不能审核本支部")
    else:
        raise ValidationError({"stage": f"阶段应为自评或审核，实际为“{stage}”"})
    return stage


def _points(value: Any, item: dict) -> Decimal:
    points = parse_decimal(value, "points", "分值")
    top = Decimal(str(item["max"]))
    if points < 0 or points > top:
        raise ValidationError({"points": f"“{item.get('name', '')}”的分值应在0至{top.normalize():f}分之间，"
                                         f"实际为{points.normalize():f}"})
    if points != points.quantize(POINTS_QUANT):
        raise ValidationError({"points": "分值最多保留两位小数"})
    return points.quantize(POINTS_QUANT)


@transaction.atomic
def item_score_set(*, actor, evaluation: Evaluation, item: str, points: Any, note: str = "", evidence: str = "",
                   stage: str | None = None, source: str = "web") -> ItemScore:
    """Score a reviewer item: at the self stage (draft) or at the review stage (submitted); a review score that
    differs from the self score needs the reason in `note`."""
    _lock(evaluation)
    stage = _stage_for(actor, evaluation, stage)
    spec = reviewer_item(load_scheme(evaluation.scheme), item)
    value = _points(points, spec)
    note = clean_text(note, "note", "说明", 2000)
    evidence = clean_text(evidence, "evidence", "佐证材料", 4000)
    if stage == Stage.REVIEW and not note:
        own = ItemScore.objects.filter(evaluation=evaluation, item=item, stage=Stage.SELF).first()
        if own is not None and own.points != value:
            raise ValidationError({"note": f"审核调整自评分（{own.points}→{value}）须填写理由"})
    score = ItemScore.objects.filter(evaluation=evaluation, item=item, stage=stage).first()
    before = snapshot(score) if score else None
    if score is None:
        score = ItemScore(evaluation=evaluation, item=item, stage=stage)
    score.points, score.note, score.evidence = value, note, evidence
    score.by = user_or_none(actor)
    score.save()
    log_change(actor, AuditAction.UPDATE if before else AuditAction.CREATE, score, before, snapshot(score),
               evaluation.org, source)
    return score


@transaction.atomic
def item_score_clear(*, actor, evaluation: Evaluation, item: str, stage: str | None = None,
                     source: str = "web") -> bool:
    """Remove one's stage score for an item (the review falls back to the self score). True if one existed."""
    _lock(evaluation)
    stage = _stage_for(actor, evaluation, stage)
    score = ItemScore.objects.filter(evaluation=evaluation, item=item, stage=stage).first()
    if score is None:
        return False
    before = snapshot(score)
    log_change(actor, AuditAction.DELETE, score, before, None, evaluation.org, source)
    score.delete()
    return True


@transaction.atomic
def veto_set(*, actor, evaluation: Evaluation, veto: str, reason: str, on: bool = True,
             source: str = "web") -> VetoMark | None:
    """Mark (on) or clear (off) a 一票否决 with its reason; clearing at the review stage also needs a reason."""
    _lock(evaluation)
    stage = _stage_for(actor, evaluation)
    pack = load_scheme(evaluation.scheme)
    vetoes = pack.get("vetoes") or {}
    if veto not in vetoes:
        raise ValidationError({"veto": f"考核方案“{pack.get('name', '')}”中没有否决项“{veto}”"})
    reason = clean_text(reason, "reason", "理由", 2000, required=on or stage == Stage.REVIEW)
    mark = VetoMark.objects.filter(evaluation=evaluation, veto=veto).first()
    if not on:
        if mark is not None:
            log_change(actor, AuditAction.DELETE, mark, snapshot(mark), {"reason": reason} if reason else None,
                       evaluation.org, source)
            mark.delete()
        return None
    before = snapshot(mark) if mark else None
    if mark is None:
        mark = VetoMark(evaluation=evaluation, veto=veto)
    mark.reason, mark.stage = reason, stage
    mark.by = user_or_none(actor)
    mark.save()
    log_change(actor, AuditAction.UPDATE if before else AuditAction.CREATE, mark, before, snapshot(mark),
               evaluation.org, source)
    return mark


def _transition(actor, evaluation: Evaluation, source: str, change) -> Evaluation:
    before = _snap(evaluation)
    change()
    evaluation.save()
    log_change(actor, AuditAction.UPDATE, evaluation, before, _snap(evaluation), evaluation.org, source)
    return evaluation


@transaction.atomic
def evaluation_submit(*, actor, evaluation: Evaluation, note: str = "", source: str = "web") -> Evaluation:
    """自评 done: draft → submitted, for the level above to review."""
    _lock(evaluation)
    require_visible(actor, evaluation.org, evaluation)
    require(may_self_assess(actor, evaluation.org), "只有本支部的书记、委员或上级组织管理员可以提交自评")
    require_state(evaluation, (EvaluationStatus.DRAFT,), "提交自评")
    note = clean_text(note, "note", "自评说明", 4000)

    def change():
        evaluation.status, evaluation.self_note = EvaluationStatus.SUBMITTED, note
        evaluation.submitted_by, evaluation.submitted_at = user_or_none(actor), timezone.now()

    return _transition(actor, evaluation, source, change)


@transaction.atomic
def evaluation_review(*, actor, evaluation: Evaluation, note: str = "", source: str = "web") -> Evaluation:
    """审核 done: submitted → reviewed (the level above)."""
    _lock(evaluation)
    require_visible(actor, evaluation.org, evaluation)
    require(may_review(actor, evaluation.org), "审核应由上级组织管理员进行，本支部书记、委员不能审核本支部")
    require_state(evaluation, (EvaluationStatus.SUBMITTED,), "审核")
    note = clean_text(note, "note", "审核意见", 4000)

    def change():
        evaluation.status, evaluation.review_note = EvaluationStatus.REVIEWED, note
        evaluation.reviewed_by, evaluation.reviewed_at = user_or_none(actor), timezone.now()

    return _transition(actor, evaluation, source, change)


@transaction.atomic
def evaluation_return(*, actor, evaluation: Evaluation, note: str, source: str = "web") -> Evaluation:
    """退回: submitted or reviewed → draft, with the reason, for the branch to redo its self-assessment."""
    _lock(evaluation)
    require_visible(actor, evaluation.org, evaluation)
    require(may_review(actor, evaluation.org), "退回应由上级组织管理员进行")
    require_state(evaluation, (EvaluationStatus.SUBMITTED, EvaluationStatus.REVIEWED), "退回")
    note = clean_text(note, "note", "退回理由", 4000, required=True)

    def change():
        evaluation.status, evaluation.return_note = EvaluationStatus.DRAFT, note
        evaluation.returned_by, evaluation.returned_at = user_or_none(actor), timezone.now()

    return _transition(actor, evaluation, source, change)


# --- the freeze -------------------------------------------------------------------------------------------------

# The parts of an item's result that are inputs (records, values, people's scores) rather than derived points.
_INPUT_ITEM_KEYS = ("code", "metric", "value", "text", "records", "reviewer", "missing", "max")


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def inputs_of(evaluation: Evaluation, frozen: dict) -> dict:
    """The inputs behind a result: scheme and version, subject, period, each item's value, records and reviewer
    score, and the vetoes."""
    items = [{k: item.get(k) for k in _INPUT_ITEM_KEYS if k in item} for item in frozen.get("items") or []]
    return {
        "scheme": evaluation.scheme, "scheme_version": evaluation.scheme_version,
        "subject": evaluation.subject_key, "period": evaluation.period,
        "items": items, "vetoes": frozen.get("vetoes") or [],
    }


def fingerprint_of(evaluation: Evaluation, frozen: dict) -> str:
    """sha256 of the canonical JSON of the inputs."""
    return hashlib.sha256(canonical_json(inputs_of(evaluation, frozen)).encode("utf-8")).hexdigest()


def live_result_json(evaluation: Evaluation) -> dict:
    """The engine's result for the evaluation now (never used to read a confirmed one)."""
    try:
        result = evaluate_subject(evaluation)
    except ValueError as exc:  # the subject left the branch or no longer fits the scheme
        raise ValidationError(str(exc))
    return stored_form(result)


def stored_form(result) -> dict:
    """An engine result as it is stored on confirmation: result_json through canonical JSON (plain types only)."""
    return json.loads(canonical_json(result_json(result)))


def inputs_changed(evaluation: Evaluation) -> bool | None:
    """Whether the records behind a confirmed result have changed since (None if it has no frozen result)."""
    if not evaluation.result or not evaluation.fingerprint:
        return None
    try:
        live = live_result_json(evaluation)
    except ValidationError:
        return True
    return fingerprint_of(evaluation, live) != evaluation.fingerprint


@transaction.atomic
def evaluation_confirm(*, actor, evaluation: Evaluation, source: str = "web") -> Evaluation:
    """认定: reviewed → confirmed; freezes the engine's result as it is now, with the scheme version and the
    fingerprint of the inputs. The stored result is what every later reading returns."""
    _lock(evaluation)
    require_visible(actor, evaluation.org, evaluation)
    require(may_confirm(actor, evaluation.org), "认定应由上级组织管理员进行")
    require_state(evaluation, (EvaluationStatus.REVIEWED,), "认定")
    pack = load_scheme(evaluation.scheme)
    evaluation.scheme_version = str(pack.get("version", ""))
    live = live_result_json(evaluation)
    return _transition(actor, evaluation, source,
                       lambda: freeze(evaluation, live, by=user_or_none(actor), by_label=actor_label(actor),
                                      at=timezone.now()))


def freeze(evaluation: Evaluation, live: dict, *, by, by_label: str, at: dt.datetime) -> None:
    """Set (not save) the confirmed state: the result JSON `live` (result_json form, canonical) with the scheme
    version, the evaluation version, the fingerprint of the inputs and who confirmed when; score, level, veto."""
    frozen = dict(live)
    fingerprint = fingerprint_of(evaluation, frozen)
    frozen.update({"scheme": evaluation.scheme, "scheme_version": evaluation.scheme_version,
                   "period": evaluation.period, "evaluation_version": evaluation.version,
                   "fingerprint": fingerprint, "confirmed_at": at.isoformat(), "confirmed_by": by_label})
    evaluation.status, evaluation.result, evaluation.fingerprint = EvaluationStatus.CONFIRMED, frozen, fingerprint
    score = frozen.get("score")
    evaluation.score = None if score is None else Decimal(str(score)).quantize(POINTS_QUANT)
    evaluation.level = str(frozen.get("level") or "")[:20]
    evaluation.vetoed = bool(frozen.get("vetoed"))
    evaluation.confirmed_by, evaluation.confirmed_at = by, at


@transaction.atomic
def evaluation_reevaluate(*, actor, evaluation: Evaluation, note: str, source: str = "web") -> Evaluation:
    """重评: the confirmed version becomes superseded (keeping its frozen result) and a new draft version n+1
    starts with copies of its item scores and veto marks."""
    _lock(evaluation)
    require_visible(actor, evaluation.org, evaluation)
    require(may_confirm(actor, evaluation.org), "重新评价应由上级组织管理员发起")
    require_state(evaluation, (EvaluationStatus.CONFIRMED,), "重新评价")
    note = clean_text(note, "note", "重评理由", 4000, required=True)
    _transition(actor, evaluation, source, lambda: setattr(evaluation, "status", EvaluationStatus.SUPERSEDED))
    fields = {f: getattr(evaluation, f) for f in ("scheme", "scheme_version", "subject_kind", "subject_key",
                                                  "org", "member", "team", "post", "top_org", "period", "year")}
    new = Evaluation.objects.create(**fields, version=evaluation.version + 1, previous=evaluation,
                                    reevaluation_note=note, created_by=user_or_none(actor))
    ItemScore.objects.bulk_create([
        ItemScore(evaluation=new, item=s.item, stage=s.stage, points=s.points, note=s.note, evidence=s.evidence,
                  by=s.by) for s in evaluation.item_scores.all()])
    VetoMark.objects.bulk_create([
        VetoMark(evaluation=new, veto=m.veto, reason=m.reason, stage=m.stage, by=m.by)
        for m in evaluation.veto_marks.all()])
    copied = {"copied_item_scores": new.item_scores.count(), "copied_veto_marks": new.veto_marks.count()}
    log_change(actor, AuditAction.CREATE, new, None, {**_snap(new), **copied}, new.org, source)
    return new
