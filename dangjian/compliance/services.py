"""Rule overrides (selector) and rectification tasks (整改): sync from findings, manual, follow-up items, the
officers' updates and the close-out review by the level above. Every write is atomic and audit-logged."""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core.audit import audit_entry, audit_log, snapshot, stored_user
from dangjian.core.models import AuditAction, AuditEntry
from dangjian.core.scoping import get_scope, require
from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity, FollowUpItem
from dangjian.orgs.models import Member, Organization
from dangjian.orgs.selectors import top_org_of
from dangjian.standards.loader import PackError

from .engine import Finding, add_months
from .models import CLOSED_STATUSES, RectificationTask, RuleOverride, TaskSource, TaskStatus
from .pack import ancestor_paths, effective_rules, load_pack

DEFAULT_DAYS = 30  # the default deadline of a task created from a finding


# --- overrides ----------------------------------------------------------------------------------------------

def overrides_for(path: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The stored overrides that bear on the subtree at `path` (its ancestors' and its own subtree's), in the
    shape pack.effective_rules takes: {org path: {rule code: {"enabled": bool, "params": {...}}}}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    rows = (RuleOverride.objects.filter(Q(org__path__in=ancestor_paths(path)) | subtree_q(path, "org__path"))
            .values_list("org__path", "rule", "enabled", "params"))
    for org_path, rule, enabled, params in rows:
        out.setdefault(org_path, {})[rule] = {"enabled": enabled, "params": params or {}}
    return out


def may_override(user, org: Organization) -> bool:
    """Rules are adjusted by 组织管理员 for their subtree (and 系统管理员)."""
    scope = get_scope(user)
    return scope.is_admin or scope.in_paths(org.path, scope.admin_paths)


@transaction.atomic
def override_set(*, actor, org: Organization, rule: str, enabled: bool = True, params: dict | None = None,
                 note: str = "", source: str = "web") -> RuleOverride:
    """Switch a rule off, or change its parameters, for `org`'s subtree (one override per org and rule)."""
    require(may_override(actor, org), "只有组织管理员可以调整本组织及下级的检查规则")
    params = dict(params or {})
    try:
        effective_rules(load_pack(), org.path, {org.path: {rule: {"enabled": enabled, "params": params}}})
    except PackError as exc:
        raise ValidationError(str(exc))
    current = RuleOverride.objects.filter(org=org, rule=rule).first()
    before = snapshot(current) if current else None
    override, _ = RuleOverride.objects.update_or_create(
        org=org, rule=rule, defaults={"enabled": enabled, "params": params, "note": note.strip()[:200],
                                      "created_by": stored_user(actor)})
    audit_log(actor=actor, action=AuditAction.UPDATE if current else AuditAction.CREATE, obj=override,
              before=before, after=snapshot(override), org_path=org.path, source=source)
    return override


@transaction.atomic
def override_delete(*, actor, override: RuleOverride, source: str = "web") -> None:
    require(may_override(actor, override.org), "只有组织管理员可以调整本组织及下级的检查规则")
    audit_log(actor=actor, action=AuditAction.DELETE, obj=override, before=snapshot(override),
              org_path=override.org.path, source=source)
    override.delete()


# --- selectors ----------------------------------------------------------------------------------------------

def tasks_for(user) -> QuerySet[RectificationTask]:
    scope = get_scope(user)
    q = scope.org_q("org__")
    if scope.member_id is not None:
        q |= Q(owner_id=scope.member_id)
    return RectificationTask.objects.filter(q)


def get_task_for_user(user, pk) -> RectificationTask:
    try:
        return tasks_for(user).select_related("org", "activity", "member", "owner", "reviewer",
                                              "follow_up").get(pk=pk)
    except (RectificationTask.DoesNotExist, ValueError, TypeError):
        raise Http404("整改任务不存在或无权查看")


def evidence_activities(task: RectificationTask) -> list[Activity]:
    """The activities a finding names as its evidence (and the task's own activity), in date order."""
    ids = set(task.evidence_ids or ())
    if task.activity_id:
        ids.add(task.activity_id)
    return list(Activity.objects.filter(pk__in=ids).order_by("starts_at", "id")) if ids else []


def parent_path(org: Organization) -> str:
    return org.path[: -Organization.steplen]


def may_edit(user, task: RectificationTask) -> bool:
    return get_scope(user).sees_org(task.org)


def may_review(user, task: RectificationTask) -> bool:
    """The level above: a user whose scope manages the parent of the task's organization (系统管理员 always)."""
    scope = get_scope(user)
    if scope.is_admin:
        return True
    parent = parent_path(task.org)
    return bool(parent) and scope.in_paths(parent, scope.manage_paths)


# --- writes -------------------------------------------------------------------------------------------------

def _snap(task: RectificationTask) -> dict:
    return snapshot(task, extra={"org": task.org.code})


def _log(actor, action, task, before, source="web"):
    audit_log(actor=actor, action=action, obj=task, before=before, after=_snap(task), org_path=task.org.path,
              source=source)


def period_year(period: str | None) -> int | None:
    return int(period[:4]) if period and period[:4].isdigit() else None


def period_end(period: str) -> dt.date | None:
    """The last day of a period label ("2024-03", "2024-Q2", "2024"); None for none or an unknown label."""
    try:
        year = int(period[:4])
        if len(period) == 4:
            return dt.date(year, 12, 31)
        month = int(period[6:]) * 3 if period[5] == "Q" else int(period[5:7])
        return add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
    except (ValueError, IndexError):
        return None


def fingerprint(finding: Finding, member_id: int | None) -> str:
    member = str(member_id) if member_id is not None else (finding.member or "")
    return "|".join([finding.rule, finding.org, finding.period or "", finding.activity or "", member])


@transaction.atomic
def task_sync_from_findings(*, actor, root: Organization, findings: Iterable[Finding], as_of: dt.date,
                            year: int | None = None, source: str = "web") -> tuple[int, int]:
    """Create a task per finding that has none yet (by fingerprint), and auto-close the open finding-tasks of
    `root`'s subtree and `year` whose finding no longer appears. Returns (created, closed)."""
    year = year or as_of.year
    findings = list(findings)
    orgs = {o.code: o for o in Organization.objects.filter(subtree_q(root.path))}
    codes = {f.activity for f in findings if f.activity}
    activities = {a.code: a for a in Activity.objects.filter(code__in=codes)} if codes else {}
    names = {(f.org, f.member) for f in findings if f.member}
    members: dict[tuple[str, str], Member] = {}
    if names:
        for m in (Member.objects.filter(subtree_q(root.path, "branch__path"), name__in={n for _, n in names})
                  .select_related("branch").order_by("id")):
            members.setdefault((m.branch.code, m.name), m)
    names_of = {code: rule["name"] for code, rule in load_pack()["rules"].items()}
    wanted: dict[str, tuple[Finding, Member | None]] = {}
    for f in findings:
        if f.org not in orgs:
            continue
        member = members.get((f.org, f.member)) if f.member else None
        wanted.setdefault(fingerprint(f, member.pk if member else None), (f, member))
    existing = set(RectificationTask.objects.filter(fingerprint__in=list(wanted)).values_list("fingerprint", flat=True))
    tops: dict[str, Organization] = {}
    created: list[RectificationTask] = []
    for fp, (f, member) in wanted.items():
        if fp in existing:
            continue
        org = orgs[f.org]
        top = tops.get(org.path[:4]) or tops.setdefault(org.path[:4], top_org_of(org))
        where = " ".join(x for x in (org.name, f.period or "") if x)
        created.append(RectificationTask(
            source=TaskSource.FINDING, fingerprint=fp, rule=f.rule, org=org, top_org=top, period=f.period or "",
            year=period_year(f.period), activity=activities.get(f.activity) if f.activity else None,
            member=member, evidence_ids=list(f.evidence), title=f"{names_of.get(f.rule, f.rule)}（{where}）"[:200], description=f.message,
            deadline=as_of + dt.timedelta(days=DEFAULT_DAYS)))
    RectificationTask.objects.bulk_create(created)
    created = list(RectificationTask.objects.filter(fingerprint__in=[t.fingerprint for t in created])
                   .select_related("org"))
    # Auto-close: open finding-tasks of the subtree and year (period-less ones when judging the as-of year).
    year_q = Q(year=year)
    if year == as_of.year:
        year_q |= Q(year__isnull=True)
    # A period not yet ended by the as-of date is not judged, so its absence proves nothing.
    stale = [t for t in RectificationTask.objects.filter(subtree_q(root.path, "org__path"), year_q,
                                                         source=TaskSource.FINDING)
             .exclude(status__in=CLOSED_STATUSES).exclude(fingerprint__in=list(wanted)).select_related("org")
             if not t.period or (period_end(t.period) or as_of) < as_of]
    now = timezone.now()
    entries = [audit_entry(actor=actor, action=AuditAction.CREATE, obj=t, before=None, after=_snap(t),
                           org_path=t.org.path, source=source) for t in created]
    for t in stale:
        before = _snap(t)
        t.status, t.closed_at = TaskStatus.AUTO_CLOSED, now
        t.auto_close_note = f"复查时问题已不存在（{as_of.isoformat()}复查），自动销号"
        entries.append(audit_entry(actor=actor, action=AuditAction.UPDATE, obj=t, before=before, after=_snap(t),
                                   org_path=t.org.path, source=source))
    RectificationTask.objects.bulk_update(stale, ["status", "closed_at", "auto_close_note", "updated_at"])
    AuditEntry.objects.bulk_create(entries)
    return len(created), len(stale)


@transaction.atomic
def task_create_manual(*, actor, org: Organization, title: str, description: str = "",
                       owner: Member | None = None, deadline: dt.date | None = None) -> RectificationTask:
    require(get_scope(actor).sees_org(org), "您不能为该组织新建整改任务")
    if not title.strip():
        raise ValidationError({"title": "请填写标题"})
    task = RectificationTask.objects.create(
        source=TaskSource.MANUAL, fingerprint=f"manual|{uuid.uuid4().hex}", org=org, top_org=top_org_of(org),
        title=title.strip()[:200], description=description, owner=owner, deadline=deadline,
        year=(deadline or timezone.localdate()).year)
    _log(actor, AuditAction.CREATE, task, None)
    return task


@transaction.atomic
def task_from_follow_up(*, actor, item: FollowUpItem) -> RectificationTask:
    """The task of an item of a 组织生活会's 整改清单 (the same task on every call)."""
    fp = f"follow_up|{item.pk}"
    task = RectificationTask.objects.filter(fingerprint=fp).first()
    if task is not None:
        return task
    activity = item.activity
    org = activity.org
    task = RectificationTask.objects.create(
        source=TaskSource.FOLLOW_UP, fingerprint=fp, org=org, top_org=activity.top_org, follow_up=item,
        activity=activity, period=str(timezone.localtime(activity.starts_at).year),
        year=timezone.localtime(activity.starts_at).year, title=item.content.strip()[:60] or "整改事项",
        description=item.content, owner=item.owner, deadline=item.due_on,
        status=TaskStatus.CLOSED if item.done else TaskStatus.OPEN)
    _log(actor, AuditAction.CREATE, task, None)
    return task


EDITABLE = ("owner", "responsible", "deadline", "measures", "evidence")


@transaction.atomic
def task_update(*, actor, task: RectificationTask, **fields) -> RectificationTask:
    require(may_edit(actor, task), "只有本组织的书记、委员或上级管理员可以填写整改情况")
    if task.is_closed or task.status == TaskStatus.SUBMITTED:
        raise ValidationError(f"任务{task.get_status_display()}，不能修改")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    owner = fields.get("owner")
    if owner is not None and not (task.org.path.startswith(owner.branch.path)
                                  or owner.branch.path.startswith(task.org.path)):
        raise ValidationError({"owner": "责任人应为本组织的党员"})
    before = _snap(task)
    for key, value in fields.items():
        setattr(task, key, value)
    if task.status == TaskStatus.OPEN and (task.measures.strip() or task.evidence.strip()):
        task.status = TaskStatus.IN_PROGRESS
    task.save()
    _log(actor, AuditAction.UPDATE, task, before)
    return task


@transaction.atomic
def task_submit(*, actor, task: RectificationTask) -> RectificationTask:
    require(may_edit(actor, task), "只有本组织的书记、委员或上级管理员可以提交销号")
    if task.status not in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS):
        raise ValidationError(f"任务{task.get_status_display()}，不能提交销号")
    if not task.measures.strip():
        raise ValidationError({"measures": "请先填写整改措施再提交销号"})
    before = _snap(task)
    task.status = TaskStatus.SUBMITTED
    task.save()
    _log(actor, AuditAction.UPDATE, task, before)
    return task


@transaction.atomic
def task_review(*, actor, task: RectificationTask, approve: bool, note: str = "") -> RectificationTask:
    require(may_review(actor, task), "销号审核应由上级组织进行")
    if task.status != TaskStatus.SUBMITTED:
        raise ValidationError(f"任务{task.get_status_display()}，不在待审核状态")
    if not approve and not note.strip():
        raise ValidationError({"review_note": "退回时请填写审核意见"})
    before = _snap(task)
    now = timezone.now()
    task.reviewer, task.reviewed_at, task.review_note = actor, now, note.strip()
    if approve:
        task.status, task.closed_at = TaskStatus.CLOSED, now
    else:
        task.status = TaskStatus.IN_PROGRESS
    task.save()
    _log(actor, AuditAction.UPDATE, task, before)
    return task
