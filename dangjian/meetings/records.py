"""Writes to what an activity leaves behind: evidence files, 民主评议 grades and the 组织生活会 整改清单.

Like services.py: validated, audit-logged (on the activity, so its audit trail shows everything), one
transaction; bad input raises a ValidationError in Chinese and changes nothing.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.audit import audit_log, stored_user
from dangjian.core.models import AuditAction
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import Member
from dangjian.orgs.services import raise_errors
from dangjian.standards.loader import cached_pack, require_number

from . import evidence as files
from .models import (
    Activity,
    ActivityStatus,
    Appraisal,
    AppraisalGrade,
    Attendance,
    Evidence,
    EvidenceKind,
    FollowUpItem,
)
from .selectors import expected_people, local_date
from .worktemplates import WorkTemplate, effective_template

GRADE_ORDER = [g.value for g in AppraisalGrade]


def _locked(activity: Activity) -> Activity:
    activity = Activity.objects.select_for_update().select_related("org", "top_org").get(pk=activity.pk)
    return activity


def _not_archived(activity: Activity, what: str) -> None:
    if activity.status == ActivityStatus.ARCHIVED:
        raise ValidationError({"status": [f"已归档的记录不能再{what}"]})


def template_of(activity: Activity) -> WorkTemplate:
    return effective_template(activity.kind, activity.org, local_date(activity))


# --- evidence -------------------------------------------------------------------------------------


def evidence_add(*, actor, activity: Activity, upload, kind: str = EvidenceKind.OTHER,
                 source: str = "web") -> Evidence:
    """Check and store an uploaded file as evidence of an activity."""
    errors = []
    if kind not in EvidenceKind.values:
        errors.append(("kind", f"材料类型“{kind}”无效"))
    raise_errors(errors)
    checked = files.check_upload(upload)
    with transaction.atomic():
        activity = _locked(activity)
        _not_archived(activity, "上传材料")
        name = files.store(upload, checked)
        try:
            item = Evidence.objects.create(
                activity=activity, kind=kind, file=name, original_name=checked.display_name,
                content_type=checked.content_type, size=checked.size,
                uploaded_by=stored_user(actor))
            audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity, before={"evidence": None},
                      after={"evidence": {"id": item.pk, "name": item.original_name, "kind": kind,
                                          "size": item.size, "stored_as": name}},
                      org_path=activity.org.path, source=source)
        except Exception:
            files.discard(name)  # a row that could not be written leaves no file behind
            raise
    return item


@transaction.atomic
def evidence_delete(*, actor, evidence: Evidence, source: str = "web") -> None:
    activity = _locked(evidence.activity)
    _not_archived(activity, "删除材料")
    name = evidence.file.name
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity,
              before={"evidence": {"id": evidence.pk, "name": evidence.original_name, "kind": evidence.kind,
                                   "size": evidence.size, "stored_as": name}},
              after={"evidence": None}, org_path=activity.org.path, source=source)
    evidence.delete()
    # The file goes only once the row is surely gone.
    transaction.on_commit(lambda: files.discard(name))


# --- 民主评议党员: a grade per member ----------------------------------------------------------------


def excellent_ratio(template: WorkTemplate) -> float:
    ratio = (template.get("params") or {}).get("excellent_max_ratio")
    if ratio is None:
        ratio = require_number(cached_pack("meetings.yaml"), "appraisal_excellent_max_ratio", minimum=0)
    return float(ratio)


def ratio_text(ratio: float) -> str:
    from fractions import Fraction

    share = Fraction(ratio).limit_denominator(100)
    words = {(1, 3): "三分之一", (1, 4): "四分之一", (1, 5): "五分之一", (1, 2): "二分之一", (3, 10): "30%"}
    return words.get((share.numerator, share.denominator), f"{ratio * 100:.0f}%")


def gradable_ids(activity: Activity, template: WorkTemplate | None = None) -> set[int]:
    """Who may be graded: the people expected at the appraisal and anyone on its attendance list."""
    template = template or template_of(activity)
    day = local_date(activity)
    ids = {p.id for p in expected_people(activity.org, template, day)}
    ids |= set(Attendance.objects.filter(activity=activity).values_list("member_id", flat=True))
    return ids


@transaction.atomic
def appraisal_save(*, actor, activity: Activity, grades: dict[int, tuple[str, str]], source: str = "web") -> int:
    """Set the grades of a 民主评议党员: {member_id: (grade or "" to clear, note)}. Members left out keep
    their grade. 优秀 may go to at most the template's share (one third) of those graded."""
    from . import rules

    activity = _locked(activity)
    template = template_of(activity)
    errors: list[tuple[str, str]] = []
    if template.get("follow_up") != "appraisal":
        raise_errors([("appraisal", f"{template.name}不评定党员等次")])
    _not_archived(activity, "修改评议等次")
    allowed = gradable_ids(activity, template)
    names = dict(Member.objects.filter(pk__in=list(grades)).values_list("id", "name"))
    for member_id, (grade, note) in grades.items():
        who = names.get(member_id, "所选人员")
        if member_id not in allowed:
            errors.append(("appraisal", f"{who}不在本次评议的参评人员中"))
        if grade and grade not in AppraisalGrade.values:
            errors.append(("appraisal", f"{who}：等次“{grade}”无效，应为{'、'.join(GRADE_ORDER)}"))
        if len(note or "") > 200:
            errors.append(("appraisal", f"{who}：说明不能超过200字"))
    raise_errors(errors)

    existing = {a.member_id: a for a in Appraisal.objects.filter(activity=activity)}
    final = {m: a.grade for m, a in existing.items()}
    for member_id, (grade, _) in grades.items():
        if grade:
            final[member_id] = grade
        else:
            final.pop(member_id, None)
    excellent = sum(1 for g in final.values() if g == AppraisalGrade.EXCELLENT)
    ratio = excellent_ratio(template)
    limit = rules.excellent_limit(len(final), ratio)
    if excellent > limit:
        raise_errors([("appraisal", f"“优秀”等次不能超过参评党员的{ratio_text(ratio)}：参评{len(final)}人，"
                                    f"最多{limit}人评为优秀，现为{excellent}人")])

    create, update, delete = [], [], []
    for member_id, (grade, note) in grades.items():
        row = existing.get(member_id)
        if not grade:
            if row is not None:
                delete.append(row.pk)
        elif row is None:
            create.append(Appraisal(activity=activity, member_id=member_id, grade=grade, note=note or ""))
        elif (row.grade, row.note) != (grade, note or ""):
            row.grade, row.note = grade, note or ""
            update.append(row)
    Appraisal.objects.bulk_create(create)
    Appraisal.objects.bulk_update(update, ["grade", "note"])
    Appraisal.objects.filter(pk__in=delete).delete()
    changed = len(create) + len(update) + len(delete)
    if changed:
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity,
                  before={"appraisal": {str(m): a.grade for m, a in existing.items()}},
                  after={"appraisal": {str(m): g for m, g in final.items()}},
                  org_path=activity.org.path, source=source)
        from dangjian.points.services import accrue_activity  # points builds on meetings: import late

        accrue_activity(activity=activity, actor=actor, source=source)
    return changed


# --- 组织生活会: the rectification list ------------------------------------------------------------


@dataclass
class FollowUpInput:
    """One row of the 整改清单 as submitted; id None = a new item."""

    id: int | None
    content: str
    owner_id: int | None = None
    due_on: dt.date | None = None
    done: bool = False
    delete: bool = False


def _item_state(item: FollowUpItem | FollowUpInput) -> dict[str, Any]:
    return {"content": item.content, "owner": item.owner_id,
            "due_on": item.due_on.isoformat() if item.due_on else None, "done": item.done}


@transaction.atomic
def follow_up_save(*, actor, activity: Activity, items: list[FollowUpInput], source: str = "web") -> int:
    """Add, change and remove items of a 组织生活会's 整改清单. Once the record is archived, items can
    still be ticked off (整改销号) but nothing else changes."""
    activity = _locked(activity)
    template = template_of(activity)
    if template.get("follow_up") != "rectification":
        raise_errors([("follow_up", f"{template.name}不形成整改清单")])
    archived = activity.status == ActivityStatus.ARCHIVED
    existing = {i.pk: i for i in FollowUpItem.objects.filter(activity=activity)}
    owner_ids = {i.owner_id for i in items if i.owner_id}
    owners_ok = set(Member.objects.filter(subtree_q(activity.top_org.path, "branch__path"), pk__in=owner_ids)
                    .values_list("id", flat=True))
    errors: list[tuple[str, str]] = []
    for n, item in enumerate(items, start=1):
        label = f"第{n}项"
        if item.id is not None and item.id not in existing:
            errors.append(("follow_up", f"{label}：整改事项不存在"))
            continue
        if item.delete:
            if archived:
                errors.append(("follow_up", f"{label}：已归档的记录不能删除整改事项"))
            continue
        content = (item.content or "").strip()
        if not content:
            errors.append(("follow_up", f"{label}：请填写问题与整改措施"))
        elif len(content) > 1000:
            errors.append(("follow_up", f"{label}：内容不能超过1000字"))
        if item.owner_id and item.owner_id not in owners_ok:
            errors.append(("follow_up", f"{label}：责任人须为本单位人员"))
        if item.due_on and item.due_on < local_date(activity):
            errors.append(("follow_up", f"{label}：整改时限早于会议日期"))
        if archived:
            row = existing.get(item.id) if item.id is not None else None
            if row is None or {**_item_state(item), "content": content, "done": row.done} != _item_state(row):
                errors.append(("follow_up", f"{label}：已归档的记录只能对整改事项销号"))
    raise_errors(errors)
    from dangjian.compliance.services import task_from_follow_up  # compliance builds on meetings: import late

    before = {str(pk): _item_state(i) for pk, i in existing.items()}
    changed = 0
    for item in items:
        if item.delete:
            if item.id is not None:
                existing.pop(item.id).delete()
                changed += 1
            continue
        values = {"content": item.content.strip(), "owner_id": item.owner_id, "due_on": item.due_on,
                  "done": item.done}
        if item.id is None:
            row = FollowUpItem.objects.create(activity=activity, **values)
            existing[row.pk] = row
            task_from_follow_up(actor=actor, item=row)  # each new item becomes a 整改 task (idempotent)
            changed += 1
            continue
        row = existing[item.id]
        if any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.save()
            changed += 1
    if changed:
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity, before={"follow_up": before},
                  after={"follow_up": {str(pk): _item_state(i) for pk, i in existing.items()}},
                  org_path=activity.org.path, source=source)
    return changed
