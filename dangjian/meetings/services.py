"""Every write to activities: created from the template in force, validated, audited, one transaction."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import audit_log, snapshot, stored_user
from dangjian.core.models import AuditAction
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import Member, Organization, OrgKind
from dangjian.orgs.selectors import top_org_of
from dangjian.orgs.services import raise_errors
from dangjian.standards.loader import cached_pack, require_number

from .models import NEXT_STATUS, Activity, ActivityKind, ActivityStatus, Attendance, AttendanceStatus
from .selectors import expected_people, local_date
from .worktemplates import FIVE_DING, ROLES, WorkTemplate, effective_template

PACK = "meetings.yaml"
ACTIVITY_FIELDS = ["title", "starts_at", "ends_at", "place", "online", "host", "recorder", "lecturer", "agenda",
                   "minutes", "five_ding", "steps_done", "tags"]


def late_entry_days() -> int:
    return int(require_number(cached_pack(PACK), "late_entry_days", minimum=0))


def activity_snapshot(activity: Activity) -> dict:
    return snapshot(activity, extra={"org": activity.org.code})


def is_late(starts_at: dt.datetime, ends_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """A record entered more than N days after the activity ended is a 补录 (late entry)."""
    now = now or timezone.now()
    return now - (ends_at or starts_at) > dt.timedelta(days=late_entry_days())


def _check(org: Organization, kind: str, template: WorkTemplate, values: dict[str, Any]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    holder_kinds = {"branch": OrgKind.BRANCH, "group": OrgKind.GROUP}
    allowed = [holder_kinds[h] for h in template.get("holder", [])]
    if kind not in ActivityKind.values:
        errors.append(("kind", f"活动类型“{kind}”无效"))
    elif org.kind not in allowed:
        names = "或".join(OrgKind(k).label for k in allowed)
        errors.append(("org", f"{template.name}应由{names}开展，“{org.name}”是{org.get_kind_display()}"))
    if not (values.get("title") or "").strip():
        errors.append(("title", "主题不能为空"))
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts is None:
        errors.append(("starts_at", "开始时间不能为空"))
    elif ends is not None and ends < starts:
        errors.append(("ends_at", "结束时间早于开始时间"))
    for role in ("host", "recorder", "lecturer"):
        person: Member | None = values.get(role)
        if person is not None and not person.branch.path.startswith(org.path[: Organization.steplen]):
            errors.append((role, f"{ROLES[role]}须为本单位人员"))
    five = values.get("five_ding") or {}
    if set(five) - set(FIVE_DING):
        errors.append(("five_ding", "五定内容中有无法识别的项目"))
    tags = values.get("tags") or []
    offered = template.get("tags") or []
    if any(t not in offered for t in tags):
        errors.append(("tags", f"“党建+”标签应为：{'、'.join(offered) or '（本类活动无标签）'}"))
    steps = [s["title"] for s in template.get("steps", [])]
    if any(s not in steps for s in values.get("steps_done") or []):
        errors.append(("steps_done", "勾选的步骤不在模板中"))
    return errors


def _next_code(org: Organization, day: dt.date) -> str:
    prefix = f"{org.code}-{day:%Y%m%d}-"
    taken = set(Activity.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    n = 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


@transaction.atomic
def activity_create(*, actor, org: Organization, kind: str, code: str = "", prefill_attendance: bool = True,
                    source: str = "web", now: dt.datetime | None = None, **values: Any) -> Activity:
    """Plan (or record) an activity from the template in force for `org` on its date."""
    unknown = set(values) - set(ACTIVITY_FIELDS) - {"status"}
    if unknown:
        raise ValueError(f"unknown activity fields {unknown}")
    starts = values.get("starts_at")
    day = timezone.localtime(starts).date() if starts else timezone.localdate()
    template = effective_template(kind, org, day) if kind in ActivityKind.values else None
    errors = _check(org, kind, template, values) if template else [("kind", f"活动类型“{kind}”无效")]
    code = (code or "").strip()
    if code and Activity.objects.filter(code=code).exists():
        errors.append(("code", f"活动编号“{code}”已存在"))
    status = values.pop("status", ActivityStatus.PLANNED)
    if status not in ActivityStatus.values:
        errors.append(("status", f"状态“{status}”无效"))
    elif status in (ActivityStatus.HELD, ActivityStatus.ARCHIVED) and starts and starts > (now or timezone.now()):
        errors.append(("status", "活动时间在将来，不能记为已召开"))
    elif status == ActivityStatus.ARCHIVED and not (values.get("minutes") or "").strip():
        errors.append(("minutes", "归档前须填写会议记录"))
    raise_errors(errors)
    assert template is not None and starts is not None  # _check reported a missing start
    late = status in (ActivityStatus.HELD, ActivityStatus.ARCHIVED) and is_late(starts, values.get("ends_at"), now)
    activity = Activity.objects.create(
        code=code or _next_code(org, day), org=org, top_org=top_org_of(org), kind=kind,
        template_ref=template.ref, status=status, late_entry=late,
        recorded_at=(now or timezone.now()) if status in (ActivityStatus.HELD, ActivityStatus.ARCHIVED) else None,
        created_by=stored_user(actor), **values,
    )
    if prefill_attendance:
        # Everyone expected starts as 缺席 until marked otherwise; a member's own leave request changes it.
        Attendance.objects.bulk_create([Attendance(activity=activity, member_id=p.id, status=AttendanceStatus.ABSENT)
                                        for p in expected_people(org, template, day)])
    audit_log(actor=actor, action=AuditAction.CREATE, obj=activity, after=activity_snapshot(activity),
              org_path=org.path, source=source)
    if status in (ActivityStatus.HELD, ActivityStatus.ARCHIVED):
        _accrue_points(activity, actor, source)
    return activity


@transaction.atomic
def activity_update(*, actor, activity: Activity, source: str = "web", now: dt.datetime | None = None,
                    **changes: Any) -> Activity:
    activity = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
    if activity.status == ActivityStatus.ARCHIVED:
        raise ValidationError({"status": ["已归档的记录不能再修改"]})
    if set(changes) - set(ACTIVITY_FIELDS):
        raise ValueError(f"unknown activity fields {set(changes) - set(ACTIVITY_FIELDS)}")
    before = activity_snapshot(activity)
    values = {f: getattr(activity, f) for f in ACTIVITY_FIELDS} | changes
    template = effective_template(activity.kind, activity.org, timezone.localtime(values["starts_at"]).date())
    raise_errors(_check(activity.org, activity.kind, template, values))
    for key, value in changes.items():
        setattr(activity, key, value)
    _mark_if_late(activity, now)
    activity.save()
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity, before=before,
              after=activity_snapshot(activity), org_path=activity.org.path, source=source)
    if {"starts_at", "tags"} & set(changes):
        _accrue_points(activity, actor, source)
    return activity


def _accrue_points(activity: Activity, actor, source: str) -> None:
    """Bring the automatic member points (党员积分) in line with this activity's records."""
    from dangjian.points.services import accrue_activity  # imported here: points imports meetings

    accrue_activity(activity=activity, actor=actor, source=source)


def _mark_if_late(activity: Activity, now: dt.datetime | None, recording: bool = False) -> None:
    """Recording what happened (minutes, attendance, holding it) long after the fact marks a 补录."""
    if recording or activity.status in (ActivityStatus.HELD, ActivityStatus.ARCHIVED) or activity.minutes:
        if activity.recorded_at is None:
            activity.recorded_at = now or timezone.now()
        if is_late(activity.starts_at, activity.ends_at, now):
            activity.late_entry = True


@transaction.atomic
def activity_advance(*, actor, activity: Activity, to: str, source: str = "web",
                     now: dt.datetime | None = None) -> Activity:
    """Move an activity one step along 计划 → 已通知 → 已召开 → 已归档."""
    activity = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
    if NEXT_STATUS.get(ActivityStatus(activity.status)) != to:
        raise ValidationError({"status": [f"不能从“{activity.get_status_display()}”变为“{ActivityStatus(to).label}”"]})
    now = now or timezone.now()
    if to == ActivityStatus.HELD and activity.starts_at > now:
        raise ValidationError({"status": ["活动尚未开始，不能标为已召开"]})
    if to == ActivityStatus.ARCHIVED and not activity.minutes.strip():
        raise ValidationError({"minutes": ["归档前须填写会议记录"]})
    before = activity_snapshot(activity)
    activity.status = to
    _mark_if_late(activity, now)
    activity.save()
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity, before=before,
              after=activity_snapshot(activity), org_path=activity.org.path, source=source)
    if to == ActivityStatus.HELD:  # from now on its attendance counts for member points
        _accrue_points(activity, actor, source)
    return activity


@transaction.atomic
def attendance_save(*, actor, activity: Activity, marks: dict[int, tuple[str, str]], source: str = "web",
                    now: dt.datetime | None = None) -> int:
    """Set attendance: {member_id: (status, reason)}. Returns how many rows changed."""
    activity = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
    if activity.status == ActivityStatus.ARCHIVED:
        raise ValidationError({"attendance": ["已归档的记录不能再修改出勤"]})
    day = local_date(activity)
    allowed = {p.id for p in expected_people(activity.org, effective_template(activity.kind, activity.org, day), day)}
    allowed |= set(Attendance.objects.filter(activity=activity).values_list("member_id", flat=True))
    errors = []
    names = dict(Member.objects.filter(pk__in=list(marks)).values_list("id", "name"))
    for member_id, (status, reason) in marks.items():
        who = names.get(member_id, "所选人员")
        if status not in AttendanceStatus.values:
            errors.append(("attendance", f"{who}：出勤情况“{status}”无效，应为出席、请假或缺席"))
        if member_id not in allowed and not Member.objects.filter(
                subtree_q(activity.top_org.path, "branch__path"), pk=member_id).exists():
            errors.append(("attendance", f"{who}不属于本单位，不能登记出勤"))
        if status == AttendanceStatus.LEAVE and not (reason or "").strip():
            errors.append(("attendance", f"{who}：请假须说明原因"))
        if len(reason or "") > 200:
            errors.append(("attendance", f"{who}：说明不能超过200字"))
    raise_errors(errors)
    existing = {a.member_id: a for a in Attendance.objects.filter(activity=activity)}
    before = {str(m): a.status for m, a in existing.items()}
    changed, create, update = 0, [], []
    for member_id, (status, reason) in marks.items():
        row = existing.get(member_id)
        if row is None:
            create.append(Attendance(activity=activity, member_id=member_id, status=status, reason=reason or ""))
        elif (row.status, row.reason) != (status, reason or ""):
            row.status, row.reason = status, reason or ""
            update.append(row)
    Attendance.objects.bulk_create(create)
    Attendance.objects.bulk_update(update, ["status", "reason"])
    changed = len(create) + len(update)
    if changed:
        after = before | {str(m): s for m, (s, _) in marks.items()}
        _mark_if_late(activity, now, recording=True)
        activity.save(update_fields=["late_entry", "recorded_at", "updated_at"])
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity, before={"attendance": before},
                  after={"attendance": after}, org_path=activity.org.path, source=source)
        _accrue_points(activity, actor, source)
    return changed


# --- template versions: a group's or branch's own version of a work template -----------------------------
# (imports kept inside this section's functions so that the section stands alone)

# Set by Party rules, not by a version: who holds the work, who is expected, the quorum, the follow-up.
TEMPLATE_FIXED_KEYS = ("kind", "name", "holder", "expected", "quorum", "follow_up")


def template_version_snapshot(version) -> dict:
    return snapshot(version, extra={"org": version.org.code})


@transaction.atomic
def template_version_create(*, actor, org: Organization, kind: str, effective_from: dt.date | None,
                            content: dict[str, Any], note: str = "", source: str = "web",
                            today: dt.date | None = None):
    """Save an organization's own version of a template, in force for its subtree from a date.

    The whole content is checked with validate_template; the keys set by Party rules (TEMPLATE_FIXED_KEYS)
    must equal the standard's. A version cannot start before today: records already kept stay with the
    template they were made under.
    """
    import copy

    from . import worktemplates as wt
    from .models import TemplateVersion

    today = today or timezone.localdate()
    errors: list[tuple[str, str]] = []
    if kind not in ActivityKind.values:
        raise_errors([("kind", f"模板“{kind}”不存在")])
    if effective_from is None:
        errors.append(("effective_from", "请填写生效日期"))
    elif effective_from < today:
        errors.append(("effective_from", "生效日期不能早于今天：已有的活动记录按当时有效的模板保存，不能追溯修改"))
    elif TemplateVersion.objects.filter(kind=kind, org=org, effective_from=effective_from).exists():
        errors.append(("effective_from", f"{org.name}已有{effective_from:%Y-%m-%d}起生效的本模板版本，请换一个日期"))
    note = (note or "").strip()
    if len(note) > 200:
        errors.append(("note", "调整说明不能超过200字"))
    data = copy.deepcopy(content)
    try:
        wt.validate_template(data, "模板内容")
    except wt.TemplateError as exc:
        errors.append((wt.error_field(exc.key), wt.describe_error(exc)))
    else:
        standard = wt.default_templates()[kind]
        for key in TEMPLATE_FIXED_KEYS:
            if data.get(key) != standard.get(key):
                errors.append((key, f"“{ActivityKind(kind).label}”的{wt.KEY_LABELS[key]}按规定确定，本单位版本不能修改"))
    raise_errors(errors)
    assert effective_from is not None  # a missing date is one of the errors raised above
    version = TemplateVersion.objects.create(
        kind=kind, org=org, effective_from=effective_from, content=data, note=note,
        created_by=stored_user(actor))
    audit_log(actor=actor, action=AuditAction.CREATE, obj=version, after=template_version_snapshot(version),
              org_path=org.path, source=source)
    return version


@transaction.atomic
def template_version_delete(*, actor, version, source: str = "web") -> None:
    """Delete a version that no activity record can have been made under (none of its kind in the subtree
    on or after its effective date)."""
    from .models import TemplateVersion

    version = TemplateVersion.objects.select_for_update().select_related("org").get(pk=version.pk)
    start = timezone.make_aware(dt.datetime.combine(version.effective_from, dt.time.min))
    used = Activity.objects.filter(subtree_q(version.org.path, "org__path"), kind=version.kind,
                                   starts_at__gte=start).exists()
    if used:
        raise_errors([("version", "已有活动按此版本开展或计划，不能删除；如需调整，请新建一个版本")])
    before = template_version_snapshot(version)
    org_path, pk = version.org.path, version.pk
    version.delete()
    version.pk = pk  # the audit entry names the deleted row
    audit_log(actor=actor, action=AuditAction.DELETE, obj=version, before=before, org_path=org_path, source=source)
