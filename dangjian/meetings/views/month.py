"""The branch secretary's month (what is due, planned, held, missing) and the member's own view with leave
requests."""

import datetime as dt
import re
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.core.scoping import get_scope
from dangjian.orgs.models import (
    COMMITTEE_POSTS,
    PARTY_MEMBER_CATEGORIES,
    Category,
    Member,
    Organization,
    OrgKind,
)
from dangjian.orgs.selectors import find_visible_org, org_search

from .. import calendar as cal
from ..leave import is_expected, leave_refusal, leave_request_submit
from ..models import Activity, ActivityKind, ActivityStatus, Attendance, AttendanceStatus
from ..rules import Quorum
from ..worktemplates import TemplateChooser, WorkTemplate

WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
UPCOMING_LIMIT = 50


# --- facts: templates, activities and their quorum, in a fixed number of queries ---------------------------

def local_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes from the start of `start` to the start of the day after `end` (local time)."""
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def quorum_of(rule: dict | None, counts: dict[str, int], voting: tuple[int, int] | None) -> Quorum:
    """The quorum of an activity from its attendance counts by status; the expected are its attendance rows.

    voting: (rows of members who were full members on the day, of them present), for a quorum "of voting".
    """
    present, leave = counts.get(AttendanceStatus.PRESENT, 0), counts.get(AttendanceStatus.LEAVE, 0)
    expected = sum(counts.values())
    of = (rule or {}).get("of", "expected")
    base, base_present = (voting or (0, 0)) if of == "voting" else (expected, present)
    return Quorum(rule=(rule or {}).get("rule"), of=of, base=base, present=base_present, expected=expected,
                  attended=present, on_leave=leave, absent=expected - present - leave)


def branch_year(branch: Organization, groups: list[Organization], year: int, book: TemplateChooser):
    """The activities of a branch and its groups in a year, with their quorum facts (three queries).

    Returns (facts, rows): calendar.ActivityFact per activity, and the rows for the grid.
    """
    units = {branch.pk: branch} | {g.pk: g for g in groups}
    start, end = local_range(dt.date(year, 1, 1), dt.date(year, 12, 31))
    in_year = {"org_id__in": list(units), "starts_at__gte": start, "starts_at__lt": end}
    rows: list[dict[str, Any]] = [dict(r) for r in Activity.objects.filter(**in_year).order_by("starts_at", "id")
                                  .values("id", "kind", "org_id", "title", "starts_at", "status", "place")]
    if not rows:
        return [], []
    # Attendance by the ids just read: filtering on the activity's date through the join made SQLite walk the
    # whole year's activities of every branch (1.5 s at reference scale).
    of_activity = {"activity_id__in": [r["id"] for r in rows]}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for aid, status, n in (Attendance.objects.filter(**of_activity).values("activity_id", "status")
                           .annotate(n=Count("id")).values_list("activity_id", "status", "n")):
        counts[aid][status] = n
    for r in rows:
        r["day"] = timezone.localtime(r["starts_at"]).date()
        r["template"] = book.all_for(units[r["org_id"]], r["day"]).get(r["kind"])
    voting_kinds = {r["kind"] for r in rows if r["template"] and (r["template"].quorum or {}).get("of") == "voting"}
    voting: dict[int, tuple[int, int]] = {}
    if voting_kinds:
        full_on_day = Q(member__full_on__isnull=True) | Q(member__full_on__lte=TruncDate("activity__starts_at"))
        for aid, base, present in (
                Attendance.objects.filter(activity_id__in=[r["id"] for r in rows if r["kind"] in voting_kinds],
                                          member__category=Category.FULL)
                .filter(full_on_day).values("activity_id")
                .annotate(base=Count("id"), present=Count("id", filter=Q(status=AttendanceStatus.PRESENT)))
                .values_list("activity_id", "base", "present")):
            voting[aid] = (base, present)
    facts = []
    for r in rows:
        rule = r["template"].quorum if r["template"] else None
        q = quorum_of(rule, counts.get(r["id"], {}), voting.get(r["id"], (0, 0)))
        r["quorum"] = q
        facts.append(cal.ActivityFact(id=r["id"], kind=r["kind"], org_id=r["org_id"], day=r["day"],
                                      status=r["status"], quorum_met=q.met))
    return facts, rows


def committee_size(branch: Organization) -> int:
    return (Member.objects.filter(branch=branch, category__in=PARTY_MEMBER_CATEGORIES, posts__post__in=COMMITTEE_POSTS)
            .values("pk").distinct().count())


# --- the secretary's month -------------------------------------------------------------------------------

def parse_month(text: str, today: dt.date) -> tuple[int, int, bool]:
    """(year, month, valid) from "YYYY-MM"; today's month when empty or invalid."""
    m = MONTH_RE.match((text or "").strip())
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month, True
    return today.year, today.month, not (text or "").strip()


def _choose_org(request, scope) -> tuple[Organization | None, str]:
    """The organization asked for (404 if not visible), else the first branch in scope."""
    text = request.GET.get("org", "").strip()
    if text:
        org = find_visible_org(request.user, text)
        if org is None:
            raise Http404("组织不存在或无权查看")
        if org.kind == OrgKind.GROUP:
            org = Organization.objects.get(path=org.path[: -Organization.steplen])
        return org, text
    return Organization.objects.filter(scope.org_q(), kind=OrgKind.BRANCH).order_by("path").first(), ""


def month_url(org: Organization | None, year: int, month: int) -> str:
    params = {"month": f"{year}-{month:02d}"}
    if org is not None:
        params = {"org": org.code} | params
    return f"{reverse('work_month')}?{urlencode(params)}"


def plan_url(kind: str, unit: cal.Unit, day: dt.date) -> str:
    return f"{reverse('activity_create')}?{urlencode({'kind': kind, 'org': unit.code, 'date': day.isoformat()})}"


@login_required
def work_month(request):
    scope = get_scope(request.user)
    if not scope.is_officer:
        # A plain member has no branch to plan for; their own activities are on 我的活动.
        return redirect("my_activities")
    today = timezone.localdate()
    year, month, month_ok = parse_month(request.GET.get("month", ""), today)
    if not month_ok:
        messages.warning(request, f"月份“{request.GET.get('month')}”无效，应为“2026-11”这样的格式，已显示本月")
    org, org_text = _choose_org(request, scope)
    context = {
        "org": org, "org_text": org_text, "year": year, "month": month, "today": today, "weekdays": WEEKDAYS,
        "month_label": f"{year}年{month}月", "show_org_filter": scope.is_org_admin or len(scope.officer_paths) > 1,
        "prev_url": month_url(org, *cal.shift_month(year, month, -1)),
        "next_url": month_url(org, *cal.shift_month(year, month, 1)),
        "this_url": month_url(org, today.year, today.month),
        "is_this_month": (year, month) == (today.year, today.month),
        "breadcrumbs": [("本月工作", None)],
    }
    if context["show_org_filter"]:
        context["branch_options"] = org_search(request.user, "", kind=OrgKind.BRANCH, limit=20)
    if org is not None and org.kind != OrgKind.BRANCH:
        # An 组织管理员 chose a 党委/党总支: offer its branches.
        context["branches"] = list(Organization.objects.filter(org.subtree_q(), kind=OrgKind.BRANCH)
                                   .order_by("path")[:30])
        return render(request, "meetings/month.html", context)
    if org is not None:
        context |= _month_context(org, year, month, today)
    return render(request, "meetings/month.html", context)


def _month_context(branch: Organization, year: int, month: int, today: dt.date) -> dict:
    groups = list(Organization.objects.filter(branch.subtree_q(), depth=branch.depth + 1, kind=OrgKind.GROUP)
                  .order_by("path"))
    book = TemplateChooser([branch, *groups])
    facts, rows = branch_year(branch, groups, year, book)
    first = dt.date(year, month, 1)
    units = {branch.pk: cal.Unit(branch.pk, branch.name, branch.code)} | {
        g.pk: cal.Unit(g.pk, g.name, g.code) for g in groups}
    plan = cal.month_plan(
        templates=book.all_for(branch, first), branch=units[branch.pk], groups=[units[g.pk] for g in groups],
        committee_size=committee_size(branch), year=year, month=month, today=today, facts=facts,
        group_templates={g.pk: book.all_for(g, first) for g in groups},
    )
    by_id = {r["id"]: r for r in rows}
    by_day: dict[dt.date, list[dict]] = defaultdict(list)
    for r in rows:
        r["org_name"] = units[r["org_id"]].name if r["org_id"] != branch.pk else ""
        r["kind_label"] = ActivityKind(r["kind"]).label if r["kind"] in ActivityKind.values else r["kind"]
        r["status_label"] = ActivityStatus(r["status"]).label
        r["time"] = timezone.localtime(r["starts_at"]).strftime("%H:%M")
        if (r["day"].year, r["day"].month) == (year, month):
            by_day[r["day"]].append(r)
    weeks = [[{"day": d, "in_month": d.month == month, "is_today": d == today, "items": by_day.get(d, [])}
              for d in week] for week in cal.month_weeks(year, month)]
    periods = []
    for title, period, reqs in plan.by_period():
        periods.append({"title": title, "period": period, "rows": [{
            "req": r, "plan_url": plan_url(r.kind, r.unit, r.suggest_on),
            "activities": [by_id[i] for i in r.activity_ids if i in by_id],
        } for r in reqs]})
    return {
        "weeks": weeks, "periods": periods, "skipped": plan.skipped, "totals": plan.counts(), "groups": groups,
        "days_with_items": [{"day": d, "weekday": WEEKDAYS[d.weekday()], "is_today": d == today, "items": by_day[d]}
                            for d in sorted(by_day)],
        "month_activity_count": sum(len(v) for v in by_day.values()),
    }


# --- the member's own view -------------------------------------------------------------------------------

def _member_of(request) -> Member | None:
    if not request.user.member_id:
        return None
    return Member.objects.select_related("branch", "group").filter(pk=request.user.member_id).first()


def _may_be_expected(template: WorkTemplate | None, member: Member) -> bool:
    """For an activity of the member's branch or group with no attendance row for them: whether the 请假
    button is worth showing (the leave page decides exactly)."""
    if template is None or not member.is_party_member:
        return False
    return template.get("expected") not in ("committee", "none")


@login_required
def my_activities(request):
    member = _member_of(request)
    if member is None:
        return render(request, "meetings/my_activities.html", {"member": None, "breadcrumbs": [("我的活动", None)]})
    now = timezone.now()
    today = timezone.localdate()
    day_start, _ = local_range(today, today)
    my_orgs = [o for o in (member.branch_id, member.group_id) if o]
    upcoming = list(
        Activity.objects.filter(starts_at__gte=day_start)
        .filter(Q(attendance__member=member)
                | Q(org_id__in=my_orgs, status__in=[ActivityStatus.PLANNED, ActivityStatus.NOTIFIED]))
        .distinct().select_related("org").order_by("starts_at", "id")[:UPCOMING_LIMIT])
    mine = {a.activity_id: a for a in Attendance.objects.filter(member=member, activity__in=[a.pk for a in upcoming])}
    book = TemplateChooser([a.org for a in upcoming]) if upcoming else None
    items = []
    for a in upcoming:
        row = mine.get(a.pk)
        template = book.all_for(a.org, timezone.localtime(a.starts_at).date()).get(a.kind) if book else None
        if row is None and template is not None and template.get("expected") == "committee":
            continue  # a committee meeting this member does not sit on
        expected = row is not None or _may_be_expected(template, member)
        items.append({"activity": a, "row": row, "expected": row is not None,
                      "can_leave": expected and leave_refusal(a, expected=True, now=now) is None,
                      "started": a.starts_at <= now})
    year_start, year_end = local_range(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    record = list(Attendance.objects.filter(
        member=member, activity__starts_at__gte=year_start, activity__starts_at__lt=year_end,
        activity__status__in=[ActivityStatus.HELD, ActivityStatus.ARCHIVED],
    ).select_related("activity", "activity__org").order_by("-activity__starts_at", "-activity_id"))
    tally = {s.value: 0 for s in AttendanceStatus}
    for r in record:
        tally[r.status] += 1
    return render(request, "meetings/my_activities.html", {
        "member": member, "items": items, "record": record, "year": today.year,
        "tally": [(AttendanceStatus(s).label, s, n) for s, n in tally.items()],
        "rate": (tally[AttendanceStatus.PRESENT] / len(record)) if record else None,
        "breadcrumbs": [("我的活动", None)],
    })


class LeaveForm(forms.Form):
    reason = forms.CharField(label="请假原因", max_length=200, widget=forms.Textarea(attrs={
        "rows": 4, "class": "form-control", "placeholder": "例如：当天出差在外，无法参加"}),
        error_messages={"required": "请填写请假原因", "max_length": "请假原因不超过%(limit_value)d字"})


def _my_activity(member: Member, pk: int) -> Activity:
    """An activity of the member's own (expected at, or of their branch/group); anything else is 404."""
    activity = Activity.objects.select_related("org").filter(pk=pk).first()
    if activity is None:
        raise Http404("活动不存在或无权查看")
    own_org = activity.org_id in (member.branch_id, member.group_id)
    if not own_org and not Attendance.objects.filter(activity=activity, member=member).exists():
        raise Http404("活动不存在或无权查看")
    return activity


@login_required
def leave_request(request, pk: int):
    member = _member_of(request)
    crumbs = [("我的活动", reverse("my_activities")), ("请假", None)]
    if member is None:
        return render(request, "meetings/leave_request.html", {"member": None, "breadcrumbs": crumbs})
    activity = _my_activity(member, pk)
    row = Attendance.objects.filter(activity=activity, member=member).first()
    refusal = leave_refusal(activity, expected=row is not None or is_expected(activity, member))
    initial = {"reason": row.reason} if row is not None and row.status == AttendanceStatus.LEAVE else {}
    form = LeaveForm(request.POST or None, initial=initial)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            leave_request_submit(actor=request.user, activity=activity, member=member,
                                 reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("reason" if field == "reason" else None, errors)
        else:
            messages.success(request, f"已提交“{activity.title}”的请假，支部书记会在出勤记录中看到")
            return redirect("my_activities")
    return render(request, "meetings/leave_request.html", {
        "member": member, "activity": activity, "row": row, "refusal": refusal, "form": form, "breadcrumbs": crumbs,
    }, status=400 if request.method == "POST" and (refusal or form.errors) else 200)
