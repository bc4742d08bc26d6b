"""A member's own leave request (请假) for an activity they are expected at: checked, saved, audited.

A member may ask for leave only for themself, only before the activity starts and while it is neither
held nor archived, and only where they are expected (应到): they have an attendance row (prefilled when
the activity was planned), or the template in force counts them among its expected people.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import audit_log
from dangjian.core.models import AuditAction
from dangjian.orgs.models import Member

from .models import Activity, ActivityStatus, Attendance, AttendanceStatus
from .selectors import expected_people, local_date
from .worktemplates import effective_template

REASON_MAX = 200


def is_expected(activity: Activity, member: Member) -> bool:
    """Whether the member is expected at the activity (an attendance row, or the template says so)."""
    if Attendance.objects.filter(activity=activity, member=member).exists():
        return True
    day = local_date(activity)
    template = effective_template(activity.kind, activity.org, day)
    return any(p.id == member.pk for p in expected_people(activity.org, template, day))


def leave_refusal(activity: Activity, *, expected: bool, now: dt.datetime | None = None) -> str | None:
    """Why a member may not ask for leave for this activity now (None: they may)."""
    now = now or timezone.now()
    if activity.status in (ActivityStatus.HELD, ActivityStatus.ARCHIVED):
        return "该活动已召开，不能再请假。如有特殊情况，请联系支部书记说明。"
    if activity.starts_at <= now:
        return "活动已经开始，不能再在线请假。请直接联系主持人或支部书记。"
    if not expected:
        return "您不在本次活动的应到人员中，无需请假。"
    return None


@transaction.atomic
def leave_request_submit(*, actor, activity: Activity, member: Member, reason: str, source: str = "web",
                         now: dt.datetime | None = None) -> Attendance:
    """Mark the member 请假 with the reason, as asked by the member themself."""
    if actor is None or getattr(actor, "member_id", None) != member.pk:
        raise PermissionDenied("只能为本人请假")
    activity = Activity.objects.select_for_update().select_related("org").get(pk=activity.pk)
    reason = (reason or "").strip()
    refusal = leave_refusal(activity, expected=is_expected(activity, member), now=now)
    if refusal:
        raise ValidationError({"activity": [refusal]})
    if not reason:
        raise ValidationError({"reason": ["请填写请假原因"]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"请假原因不超过{REASON_MAX}字（现有{len(reason)}字）"]})
    row = Attendance.objects.filter(activity=activity, member=member).first()
    before = {"attendance": {str(member.pk): row.status if row else None},
              "reason": row.reason if row else "", "requested_by_member": row.requested_by_member if row else False}
    if row is None:
        row = Attendance(activity=activity, member=member)
    row.status, row.reason, row.requested_by_member = AttendanceStatus.LEAVE, reason, True
    row.save()
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=activity, before=before,
              after={"attendance": {str(member.pk): AttendanceStatus.LEAVE}, "reason": reason,
                     "requested_by_member": True},
              org_path=activity.org.path, source=source)
    return row
