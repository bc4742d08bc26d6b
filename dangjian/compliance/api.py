"""GET /api/compliance?org=CODE&year=YYYY[&as_of=YYYY-MM-DD]: the compliance check of a subtree, the same JSON as
`check_compliance --json` (the same facts, overrides and engine). Scoped like the dashboard: the organization
must be one the user sees as an officer or an admin (scope.sees_org); anyone else gets 404."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from dangjian.core.scoping import get_member_for_user, get_org_for_user, get_scope, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.api import READ_ERRORS, WRITE_ERRORS, limit_param, offset_param, parse_choice
from dangjian.orgs.models import Organization

from .engine import check, lookback_months
from .facts import load_facts
from .models import RectificationTask, TaskStatus
from .pack import load_pack
from .services import (
    get_task_for_user,
    may_edit,
    may_review,
    overrides_for,
    task_review,
    task_submit,
    task_update,
    tasks_for,
)

router = Router(tags=["规范化检查"])
AS_OF_QUERY = Query(None, description="检查日期 YYYY-MM-DD（默认今天）")


@router.get("/compliance", response={200: dict[str, Any], **READ_ERRORS}, summary="规范化检查（某组织及其下级、某年度）")
def compliance_check(
    request,
    org: str = Query(..., description="组织编码"),
    year: int = Query(..., ge=2000, le=2100, description="年度，如 2024"),
    as_of: dt.date | None = AS_OF_QUERY,
):
    root = Organization.objects.filter(code=org.strip()).first()
    if root is None or not get_scope(request.auth).sees_org(root):
        raise Http404("组织不存在或无权查看")
    day = as_of or timezone.localdate()
    pack = load_pack()
    result = check(load_facts(root, year, lookback_months(pack)), pack, year, day, overrides_for(root.path))
    return {"org": root.code, "year": year, "as_of": day.isoformat(), "pack": pack["code"],
            "findings": [f.as_dict() for f in result.findings], "status": [s.as_dict() for s in result.status]}


# --- rectification tasks (整改) ------------------------------------------------------------------------------


class TaskPatchIn(Schema):
    owner_id: int | None = Field(None, description="责任人（党员 id；null 清空）")
    deadline: dt.date | None = Field(None, description="整改时限 YYYY-MM-DD")
    measures: str | None = Field(None, max_length=5000, description="整改措施")
    evidence: str | None = Field(None, max_length=5000, description="整改佐证")


class TaskReviewIn(Schema):
    approve: bool = Field(..., description="true 通过销号，false 退回")
    note: str = Field("", max_length=1000, description="审核意见（退回时必填）")


def task_out(task: RectificationTask) -> dict[str, Any]:
    owner = task.owner
    return {
        "id": task.pk, "title": task.title, "description": task.description, "source": task.get_source_display(),
        "rule": task.rule, "org": task.org.code, "org_name": task.org.name, "period": task.period,
        "status": task.status, "status_label": task.get_status_display(),
        "owner": {"id": owner.pk, "name": owner.name} if owner else None,
        "deadline": task.deadline.isoformat() if task.deadline else None, "overdue": task.is_overdue,
        "measures": task.measures, "evidence": task.evidence, "review_note": task.review_note,
        "reviewed_at": task.reviewed_at.isoformat() if task.reviewed_at else None,
        "closed_at": task.closed_at.isoformat() if task.closed_at else None,
    }


@router.get("/rectifications", response={200: dict[str, Any], **READ_ERRORS}, summary="整改任务列表")
def list_rectifications(
    request,
    status: str = Query("", description="状态（如 待整改/整改中/待审核/已销号）"),
    org: str = Query("", description="只列此组织（含下级）的任务，填组织编码"),
    overdue: bool = Query(False, description="true 只列已超期未销号的任务"),
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = tasks_for(user)
    if status.strip():
        qs = qs.filter(status=parse_choice(TaskStatus, status, "status", "状态"))
    if org.strip():
        qs = qs.filter(subtree_q(get_org_for_user(user, org.strip()).path, "org__path"))
    if overdue:
        qs = qs.overdue()
    total = qs.count()
    tasks = list(qs.select_related("org", "owner").order_by("deadline", "id")[offset : offset + limit])
    return {"total": total, "limit": limit, "offset": offset, "items": [task_out(t) for t in tasks]}


@router.get("/rectifications/{task_id}", response={200: dict[str, Any], **READ_ERRORS}, summary="整改任务详情")
def get_rectification(request, task_id: int):
    return task_out(get_task_for_user(request.auth, task_id))


@router.patch("/rectifications/{task_id}", response={200: dict[str, Any], **WRITE_ERRORS},
              summary="填写整改情况（责任人、时限、措施、佐证）")
def update_rectification(request, task_id: int, payload: TaskPatchIn):
    user = request.auth
    task = get_task_for_user(user, task_id)
    require(may_edit(user, task), "只有本组织的书记、委员或上级管理员可以填写整改情况")
    data = payload.dict(exclude_unset=True)
    fields: dict[str, Any] = {}
    if "owner_id" in data:
        owner_id = data.pop("owner_id")
        if owner_id is None:
            fields["owner"] = None
        else:
            try:
                fields["owner"] = get_member_for_user(user, owner_id)
            except Http404:
                raise ValidationError({"owner_id": ["责任人不存在或不在您的管理范围内"]})
    for key in ("deadline", "measures", "evidence"):
        if key in data:
            fields[key] = data[key] if key == "deadline" else (data[key] or "").strip()
    if not fields:
        raise ValidationError({"__all__": ["请至少填写一项要修改的内容"]})
    task = task_update(actor=user, task=task, **fields)
    return task_out(task)


@router.post("/rectifications/{task_id}/submit", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="提交销号")
def submit_rectification(request, task_id: int):
    user = request.auth
    return task_out(task_submit(actor=user, task=get_task_for_user(user, task_id)))


@router.post("/rectifications/{task_id}/review", response={200: dict[str, Any], **WRITE_ERRORS},
             summary="销号审核（上级组织）")
def review_rectification(request, task_id: int, payload: TaskReviewIn):
    user = request.auth
    task = get_task_for_user(user, task_id)
    require(may_review(user, task), "销号审核应由上级组织进行")
    return task_out(task_review(actor=user, task=task, approve=payload.approve, note=payload.note))
