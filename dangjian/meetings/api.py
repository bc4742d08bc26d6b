"""JSON API for work templates and activities (organizational life).

Scoped like the web: activities are read through selectors.activities_for (an outsider gets 404); writes
need an officer who sees the activity's organization (scope.sees_org; a plain member gets 403) and go
through the same services (audited with source="api"). The list loads its page's attendance, rosters and
template versions in a constant number of queries (documents.facts).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Status

from dangjian.core.masking import mask_id_number
from dangjian.core.scoping import get_org_for_user, get_scope, members_for, orgs_for, require
from dangjian.orgs.api import READ_ERRORS, WRITE_ERRORS, limit_param, offset_param, parse_choice
from dangjian.orgs.models import Member, Organization

from . import services, worktemplates
from .documents.facts import ActivityFacts, activity_facts
from .models import Activity, ActivityKind, ActivityStatus, Attendance, AttendanceStatus
from .schemas import (
    ActivityCreateIn,
    ActivityDetailOut,
    ActivityPage,
    ActivityPatchIn,
    AttendanceIn,
    TemplateListOut,
    TemplateOut,
)
from .selectors import activities_for
from .worktemplates import (
    EVIDENCE,
    EXPECTED,
    FIVE_DING,
    FOLLOW_UPS,
    HOLDERS,
    PERIODS,
    QUORUM_OF,
    ROLES,
    WorkTemplate,
    effective_templates,
)

router = Router(tags=["组织生活"])

SOURCE = "api"
# Service error fields → the API's field names.
API_FIELD_NAMES = {"org": "org_code", "host": "host_id", "recorder": "recorder_id", "lecturer": "lecturer_id"}
ADVANCE_FIELD_NAMES = {"status": "advance_to"}
TEXT_FIELDS = ("title", "place", "agenda", "minutes")
RELATED = ("org", "host", "recorder", "lecturer")
# Query parameters of a type that ruff cannot tell is immutable are module-level singletons.
LIST_DATE_QUERY = Query(None, description="日期（YYYY-MM-DD），默认今天")
DETAIL_DATE_QUERY = Query(None, description="日期（YYYY-MM-DD），默认今天")
FROM_QUERY = Query(None, alias="from", description="开始日期（含），YYYY-MM-DD")
TO_QUERY = Query(None, alias="to", description="结束日期（含），YYYY-MM-DD")


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


@contextmanager
def renamed_fields(names: dict[str, str]) -> Iterator[None]:
    """Rename the fields of a service's ValidationError to the API's names."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({names.get(f, f): msgs for f, msgs in exc.message_dict.items()})


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


@overload
def _aware(value: dt.datetime) -> dt.datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A time without a zone is Beijing time."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


# --- templates -----------------------------------------------------------------------------------


def _choice(key: str | None, labels: dict[str, str]) -> dict | None:
    return {"key": key, "label": labels.get(key, key)} if key is not None else None


def template_out(t: WorkTemplate) -> dict:
    c = t.content
    freq = t.frequency
    period = freq.get("period", "none")
    times = freq.get("times", 0)
    quorum = t.quorum
    return {
        "kind": ActivityKind(t.kind).label, "kind_value": t.kind, "name": t.name, "version": str(c.get("version", "")),
        "ref": t.ref, "version_id": t.version_id,
        "holder": [_choice(h, HOLDERS) for h in c.get("holder") or []],
        "expected": _choice(c.get("expected", "none"), EXPECTED),
        "frequency": {
            "period": period, "period_label": PERIODS.get(period, period), "times": times,
            "local": bool(freq.get("local")), "source": freq.get("source") or "",
            "text": "不定期" if period == "none" else f"{PERIODS.get(period, period)}{times}次",
        },
        "five_ding": [{"key": i.get("key"), "label": FIVE_DING.get(i.get("key") or "", ""), "hint": i.get("hint") or ""}
                      for i in c.get("five_ding") or []],
        "steps": [{"title": s["title"], "detail": s.get("detail") or ""} for s in c.get("steps") or []],
        "roles": [_choice(r, ROLES) for r in c.get("roles") or []],
        "quorum": None if not quorum else {
            "rule": quorum.get("rule"), "of": quorum.get("of"),
            "text": f"{QUORUM_OF.get(quorum.get('of') or '', '应到人数')}超过半数到会",
        },
        "evidence": [_choice(e, EVIDENCE) for e in c.get("evidence") or []],
        "follow_up": _choice(c.get("follow_up"), FOLLOW_UPS),
        "params": c.get("params") or {}, "tags": c.get("tags") or [], "six_you": c.get("six_you") or [],
        "guide": c.get("guide") or "", "source": c.get("source") or "",
    }


def _template_org(user, code: str) -> Organization:
    """An organization in scope, or a plain member's own branch or group."""
    org = orgs_for(user).filter(code=code.strip()).first()
    if org is None:
        member = get_scope(user).member_id
        if member is not None:
            own = Member.objects.filter(pk=member).values_list("branch_id", "group_id").first() or ()
            org = Organization.objects.filter(code=code.strip(), pk__in=[o for o in own if o]).first()
    if org is None:
        raise Http404("组织不存在或无权查看")
    return org


def _templates(user, org_code: str, day: dt.date) -> dict[str, WorkTemplate]:
    if org_code.strip():
        return effective_templates(_template_org(user, org_code), day)
    return {k: WorkTemplate(kind=k, content=c, ref=f"标准模板 {c['version']}") for k, c in worktemplates.default_templates().items()}


def _kind_or_404(raw: str) -> str:
    try:
        return parse_choice(ActivityKind, raw, "kind", "活动类型")
    except ValidationError:
        raise Http404("没有此类工作模板")


@router.get("/templates", response={200: TemplateListOut, **READ_ERRORS}, summary="工作模板（按组织和日期取在用的版本）")
def list_templates(
    request,
    org: str = Query("", description="组织编码：取该组织在指定日期在用的模板（含上级组织的调整版本）；不填为标准模板"),
    date: dt.date | None = LIST_DATE_QUERY,
):
    day = date or timezone.localdate()
    templates = _templates(request.auth, org, day)
    items = [template_out(templates[k.value]) for k in ActivityKind if k.value in templates]
    return {"org_code": org.strip() or None, "date": day, "items": items}


@router.get("/templates/{kind}", response={200: TemplateOut, **READ_ERRORS}, summary="一种工作的模板")
def get_template(
    request,
    kind: str,
    org: str = Query("", description="组织编码（同上）"),
    date: dt.date | None = DETAIL_DATE_QUERY,
):
    kind = _kind_or_404(kind)
    return template_out(_templates(request.auth, org, date or timezone.localdate())[kind])


# --- activities ----------------------------------------------------------------------------------


def _person(member: Member | None) -> dict | None:
    return {"id": member.pk, "name": member.name} if member is not None else None


def quorum_out(f: ActivityFacts) -> dict:
    q = f.quorum
    return {"rule": q.rule, "of": q.of, "met": q.met, "base": q.base, "present": q.present, "required": q.required,
            "expected": q.expected, "attended": q.attended, "on_leave": q.on_leave, "absent": q.absent,
            "explanation": q.explanation}


def activity_out(f: ActivityFacts) -> dict:
    a = f.activity
    counts = {s.value: 0 for s in AttendanceStatus}
    for m in f.marks:
        counts[m.status] += 1
    return {
        "id": a.pk, "code": a.code, "org_code": a.org.code, "org_name": a.org.name,
        "kind": a.get_kind_display(), "kind_value": a.kind, "title": a.title,
        "starts_at": _local(a.starts_at), "ends_at": _local(a.ends_at), "place": a.place, "online": a.online,
        "host": _person(a.host), "recorder": _person(a.recorder), "lecturer": _person(a.lecturer),
        "status": a.get_status_display(), "status_value": a.status, "late_entry": a.late_entry,
        "template_ref": a.template_ref, "tags": a.tags or [], "attendance_counts": counts, "quorum": quorum_out(f),
    }


def activity_detail_out(f: ActivityFacts, user) -> dict:
    a = f.activity
    scope = get_scope(user)
    marks = f.marks if scope.sees_org(a.org) else [m for m in f.marks if m.member_id == scope.member_id]
    return {
        **activity_out(f), "agenda": a.agenda, "minutes": a.minutes, "five_ding": a.five_ding or {},
        "steps_done": a.steps_done or [], "recorded_at": _local(a.recorded_at),
        "attendance": [{"member_id": m.member_id, "name": m.name, "status": m.status_label, "status_value": m.status,
                        "reason": m.reason, "expected": m.expected, "recorded": m.recorded,
                        "requested_by_member": m.requested_by_member} for m in marks],
    }


def _activity_for(user, activity_id: int) -> Activity:
    activity = activities_for(user).select_related(*RELATED).filter(pk=activity_id).first()
    if activity is None:
        raise Http404("活动不存在或无权查看")
    return activity


def _detail(user, activity_id: int) -> dict:
    return activity_detail_out(activity_facts([_activity_for(user, activity_id)])[0], user)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@router.get("/activities", response={200: ActivityPage, **READ_ERRORS}, summary="活动列表（含出勤统计与到会人数判断）")
def list_activities(
    request,
    org: str = Query("", description="组织编码：只列此组织及其下级组织的活动"),
    kind: str = Query("", description="活动类型（中文名或代码）"),
    status: str = Query("", description="状态：计划/已通知/已召开/已归档"),
    date_from: dt.date | None = FROM_QUERY,
    date_to: dt.date | None = TO_QUERY,
    limit: int = limit_param(),
    offset: int = offset_param(),
):
    user = request.auth
    qs = activities_for(user)  # a plain member: the activities they are expected at
    if org.strip():
        qs = qs.filter(get_org_for_user(user, org.strip()).subtree_q("org__"))
    if kind:
        qs = qs.filter(kind=parse_choice(ActivityKind, kind, "kind", "活动类型"))
    if status:
        qs = qs.filter(status=parse_choice(ActivityStatus, status, "status", "状态"))
    if date_from is not None:
        qs = qs.filter(starts_at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(starts_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if date_from and date_to and date_to < date_from:
        raise field_error("to", "结束日期早于开始日期")
    total = qs.count()
    page = list(qs.select_related(*RELATED).order_by("-starts_at", "-id")[offset : offset + limit])
    return {"total": total, "limit": limit, "offset": offset,
            "items": [activity_out(f) for f in activity_facts(page)]}


@router.get("/activities/{activity_id}", response={200: ActivityDetailOut, **READ_ERRORS},
            summary="活动详情（出勤名单与到会人数判断）")
def get_activity(request, activity_id: int):
    return _detail(request.auth, activity_id)


def _people(user, data: dict) -> dict[str, Member | None]:
    """host_id/recorder_id/lecturer_id present in `data` → members in the user's scope (null clears)."""
    out: dict[str, Member | None] = {}
    wanted = {role: data[f"{role}_id"] for role in ("host", "recorder", "lecturer") if f"{role}_id" in data}
    ids = {v for v in wanted.values() if v is not None}
    found = {m.pk: m for m in members_for(user).select_related("branch").filter(pk__in=ids)} if ids else {}
    labels = {"host": "主持人", "recorder": "记录人", "lecturer": "讲课人"}
    errors = {}
    for role, pk in wanted.items():
        if pk is not None and pk not in found:
            errors[f"{role}_id"] = [f"{labels[role]}（人员id {pk}）不存在或不在您的管理范围内"]
        out[role] = found.get(pk) if pk is not None else None
    if errors:
        raise ValidationError(errors)
    return out


@router.post("/activities", response={201: ActivityDetailOut, **WRITE_ERRORS}, summary="新建活动（按在用模板预置出勤名单）")
def create_activity(request, payload: ActivityCreateIn):
    user = request.auth
    scope = get_scope(user)
    require(scope.is_officer, "党员不能新建活动，请联系支部书记或支部委员")
    data = payload.dict()
    org = orgs_for(user).filter(code=data["org_code"].strip()).first()
    if org is None:
        raise field_error("org_code", f"组织“{data['org_code']}”不存在或不在您的管理范围内")
    require(scope.sees_org(org), f"您没有在“{org.name}”开展活动的权限")
    kind = parse_choice(ActivityKind, data["kind"], "kind", "活动类型")
    status = parse_choice(ActivityStatus, data["status"], "status", "状态")
    starts = _aware(payload.starts_at)  # required by the schema
    if status == ActivityStatus.ARCHIVED:
        raise field_error("status", "新建的活动不能直接归档：请先填写会议记录，再用 PATCH 的 advance_to 归档")
    if status == ActivityStatus.HELD and starts > timezone.now():
        raise field_error("status", "活动尚未开始，不能标为已召开")
    values: dict[str, Any] = {key: (data[key] or "").strip() if key == "title" else data[key] or ""
                              for key in TEXT_FIELDS}
    values |= {"starts_at": starts, "ends_at": _aware(data["ends_at"]), "online": data["online"],
               "five_ding": data["five_ding"], "steps_done": data["steps_done"], "tags": data["tags"],
               "status": status, **_people(user, data)}
    with renamed_fields(API_FIELD_NAMES):
        activity = services.activity_create(actor=user, org=org, kind=kind, code=data["code"],
                                            prefill_attendance=data["prefill_attendance"], source=SOURCE, **values)
    return Status(201, _detail(user, activity.pk))


@router.patch("/activities/{activity_id}", response={200: ActivityDetailOut, **WRITE_ERRORS},
              summary="修改活动；advance_to 变更状态（计划→已通知→已召开→已归档）")
def update_activity(request, activity_id: int, payload: ActivityPatchIn):
    user = request.auth
    activity = _activity_for(user, activity_id)
    require(get_scope(user).sees_org(activity.org), "您没有修改该活动的权限")
    data = payload.dict(exclude_unset=True)
    advance = data.pop("advance_to", None)
    to = parse_choice(ActivityStatus, advance, "advance_to", "状态") if advance is not None else None
    changes: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        if key in data:
            changes[key] = (data[key] or "").strip() if key == "title" else data[key] or ""
    for key in ("starts_at", "ends_at"):
        if key in data:
            changes[key] = _aware(data[key])
    if "online" in data:
        changes["online"] = bool(data["online"])
    for key, empty in (("five_ding", {}), ("steps_done", []), ("tags", [])):
        if key in data:
            changes[key] = data[key] if data[key] is not None else empty
    changes |= _people(user, data)
    with transaction.atomic():
        if changes:
            with renamed_fields(API_FIELD_NAMES):
                activity = services.activity_update(actor=user, activity=activity, source=SOURCE, **changes)
        if to is not None:
            with renamed_fields(ADVANCE_FIELD_NAMES):
                services.activity_advance(actor=user, activity=activity, to=to, source=SOURCE)
    return _detail(user, activity_id)


def _marks(user, activity: Activity, items: list[AttendanceIn]) -> dict[int, tuple[str, str]]:
    """The request's rows → {member_id: (status, reason)}; people by id or 身份证号, within reach."""
    errors: dict[str, list[str]] = {}
    numbers = {(i.id_number or "").strip().upper() for i in items if i.member_id is None and i.id_number}
    by_number = dict(members_for(user).filter(id_number__in=numbers).values_list("id_number", "pk")) if numbers else {}
    ids = {i.member_id for i in items if i.member_id is not None}
    reachable = set(Attendance.objects.filter(activity=activity, member_id__in=ids).values_list("member_id", flat=True))
    if ids - reachable:
        reachable |= set(members_for(user).filter(pk__in=ids - reachable).values_list("pk", flat=True))
    marks: dict[int, tuple[str, str]] = {}
    for n, item in enumerate(items):
        member_id = item.member_id
        if member_id is None and item.id_number is None:
            errors.setdefault(f"{n}.member_id", []).append("请填写人员id或身份证号")
            continue
        if member_id is not None and item.id_number is not None:
            errors.setdefault(f"{n}.member_id", []).append("人员id和身份证号只能填写一项")
            continue
        if member_id is None:
            number = (item.id_number or "").strip().upper()
            member_id = by_number.get(number)
            if member_id is None:
                errors.setdefault(f"{n}.id_number", []).append(
                    f"身份证号为{mask_id_number(number)}的人员不存在或不在您的管理范围内")
                continue
        elif member_id not in reachable:
            errors.setdefault(f"{n}.member_id", []).append(f"人员id {member_id} 不存在或不在您的管理范围内")
            continue
        try:
            status = parse_choice(AttendanceStatus, item.status, f"{n}.status", "出勤情况")
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
            continue
        if member_id in marks:
            errors.setdefault(f"{n}.member_id", []).append("同一人员在名单中重复出现")
            continue
        marks[member_id] = (status, (item.reason or "").strip())
    if errors:
        raise ValidationError(errors)
    return marks


@router.put("/activities/{activity_id}/attendance", response={200: ActivityDetailOut, **WRITE_ERRORS},
            summary="登记出勤（只改名单中列出的人员，其余不变）")
def put_attendance(request, activity_id: int, payload: list[AttendanceIn]):
    user = request.auth
    activity = _activity_for(user, activity_id)
    require(get_scope(user).sees_org(activity.org), "您没有登记该活动出勤的权限")
    marks = _marks(user, activity, payload)
    if marks:
        services.attendance_save(actor=user, activity=activity, marks=marks, source=SOURCE)
    return _detail(user, activity_id)
