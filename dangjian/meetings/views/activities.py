"""Activity records: the list, planning one from its template, the record page (lifecycle, 五定 and steps,
minutes, attendance with the live quorum, evidence, 民主评议 grades, 整改清单), editing, evidence download.

Who may do what: anyone who may see the activity (selectors.activities_for) reads it; officers whose scope
covers its organization (scope.sees_org) change it; an archived record is read-only.
"""

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.pagination import paginate
from dangjian.core.scoping import Scope, get_org_for_user, get_scope, members_for, require
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import Member, Organization, OrgKind, PartyPost
from dangjian.orgs.selectors import find_visible_org
from dangjian.orgs.views.common import htmx_target, officer_scope

from .. import records, services
from ..forms import (
    ActivityBasicsForm,
    ActivityCreateForm,
    ChooseForm,
    EvidenceForm,
    RecordForm,
    apply_errors,
    record_initial,
)
from ..models import (
    NEXT_STATUS,
    Activity,
    ActivityKind,
    ActivityStatus,
    Appraisal,
    AppraisalGrade,
    Attendance,
    AttendanceStatus,
    Evidence,
    FollowUpItem,
)
from ..rules import Person, compute_quorum
from ..selectors import activities_for, branch_of, expected_people, local_date
from ..worktemplates import (
    EVIDENCE,
    EXPECTED,
    FIVE_DING,
    HOLDERS,
    ROLES,
    WorkTemplate,
    default_templates,
    effective_template,
)

HOLDER_KINDS = {"branch": OrgKind.BRANCH, "group": OrgKind.GROUP}
ADVANCE_LABEL: dict[str, str] = {ActivityStatus.NOTIFIED: "发出通知", ActivityStatus.HELD: "标记为已召开",
                 ActivityStatus.ARCHIVED: "归档"}
STATUS_CLASS: dict[str, str] = {ActivityStatus.PLANNED: "text-bg-light border", ActivityStatus.NOTIFIED: "text-bg-info",
                ActivityStatus.HELD: "text-bg-success", ActivityStatus.ARCHIVED: "text-bg-secondary"}


# --- access ---------------------------------------------------------------------------------------


def get_activity_for_user(user, pk: int) -> Activity:
    """The activity if the user may see it, else 404."""
    try:
        return (activities_for(user).select_related("org", "top_org", "host", "recorder", "lecturer")
                .get(pk=pk))
    except Activity.DoesNotExist:
        raise Http404("活动不存在或无权查看")


def require_manage(scope: Scope, activity: Activity) -> None:
    require(scope.sees_org(activity.org), "只有本组织的党务工作者可以修改活动记录")


# --- the list -------------------------------------------------------------------------------------


def month_range(text: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The local-time bounds of a month given as YYYY-MM (None if not such a month)."""
    try:
        first = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return None
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(dt.datetime.combine(first, dt.time()), tz),
            timezone.make_aware(dt.datetime.combine(nxt, dt.time()), tz))


def attendance_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    """{activity_id: {status: n}} for a page of activities (one query)."""
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    rows = (Attendance.objects.filter(activity_id__in=ids).values_list("activity_id", "status")
            .annotate(n=Count("id")).order_by())
    for activity_id, status, n in rows:
        counts[activity_id][status] = n
    return counts


@login_required
def activity_list(request):
    scope = get_scope(request.user)
    g = request.GET
    f = {"org": g.get("org", "").strip(), "kind": g.get("kind", ""), "status": g.get("status", ""),
         "month": g.get("month", "").strip(), "late": g.get("late", "")}
    qs = activities_for(request.user).select_related("org")
    org, problems = None, []
    if f["org"]:
        org = find_visible_org(request.user, f["org"])
        if org is None:
            problems.append(f"未找到组织“{f['org']}”")
            qs = qs.none()
        else:
            qs = qs.filter(subtree_q(org.path, "org__path"))
    if f["kind"] in ActivityKind.values:
        qs = qs.filter(kind=f["kind"])
    if f["status"] in ActivityStatus.values:
        qs = qs.filter(status=f["status"])
    if f["month"]:
        bounds = month_range(f["month"])
        if bounds is None:
            problems.append(f"月份“{f['month']}”格式应为 年-月，如 2025-09")
            qs = qs.none()
        else:
            qs = qs.filter(starts_at__gte=bounds[0], starts_at__lt=bounds[1])
    if f["late"]:
        qs = qs.filter(late_entry=True)
    page, querystring = paginate(request, qs.order_by("-starts_at", "-id"))
    counts = attendance_counts([a.pk for a in page.object_list])
    for a in page.object_list:
        c = counts[a.pk]
        a.n_present, a.n_leave, a.n_expected = c.get("present", 0), c.get("leave", 0), sum(c.values())
        a.status_class = STATUS_CLASS.get(a.status, "")
    context = {
        "page": page, "querystring": querystring, "f": f, "filter_org": org, "problems": problems,
        "scope": scope, "kinds": ActivityKind.choices, "statuses": ActivityStatus.choices,
        "filtered": any(f.values()), "page_url": reverse("activity_list"), "target_id": "activity-results",
    }
    if htmx_target(request) == "activity-results":
        return render(request, "meetings/activity_table.html", context)
    context["breadcrumbs"] = [("活动记录", None)]
    return render(request, "meetings/activity_list.html", context)


# --- planning -------------------------------------------------------------------------------------


def plannable_orgs(scope: Scope, kind: str):
    """Organizations in scope that hold this kind of work (by the standard template's holder)."""
    holders = default_templates()[kind].get("holder") or []
    kinds = [HOLDER_KINDS[h] for h in holders]
    return Organization.objects.filter(scope.org_q(), kind__in=kinds)


def parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def suggested_title(template: WorkTemplate, day: dt.date) -> str:
    return f"{day.year}年{day.month}月{template.name}"


def create_initial(template: WorkTemplate, org: Organization, day: dt.date) -> dict:
    steps = [s["title"] for s in template.get("steps") or []]
    initial = {"title": suggested_title(template, day), "day": day, "start_time": dt.time(9, 0),
               "agenda": "\n".join(f"{i}. {s}" for i, s in enumerate(steps, start=1)),
               "record_as": ActivityStatus.PLANNED if day >= timezone.localdate() else ActivityStatus.HELD}
    if "host" in (template.get("roles") or []):
        # The branch's 书记 (of a 党小组, its 党小组长) usually presides.
        post = PartyPost.GROUP_LEADER if org.kind == OrgKind.GROUP else PartyPost.SECRETARY
        holders = Member.objects.filter(posts__post=post, **({"group": org} if org.kind == OrgKind.GROUP
                                                              else {"branch": org}))
        initial["host"] = holders.order_by("id").values_list("id", flat=True).first()
    return initial


@login_required
def activity_create(request):
    scope = officer_scope(request)
    kind = request.GET.get("kind", "")
    code = request.GET.get("org", "").strip()
    day = parse_day(request.GET.get("date", "")) or timezone.localdate()
    org = get_org_for_user(request.user, code) if code else None
    problem = ""
    if kind in ActivityKind.values:
        candidates = plannable_orgs(scope, kind)
        if org is None:
            two = list(candidates.order_by("path")[:2])
            org = two[0] if len(two) == 1 else None
        elif not candidates.filter(pk=org.pk).exists():
            holders = "或".join(HOLDERS[h] for h in default_templates()[kind].get("holder") or [])
            problem = f"{ActivityKind(kind).label}应由{holders}开展，“{org.name}”是{org.get_kind_display()}"
            org = None
    if kind not in ActivityKind.values or org is None:
        orgs = plannable_orgs(scope, kind) if kind in ActivityKind.values else \
            Organization.objects.filter(scope.org_q(), kind__in=list(HOLDER_KINDS.values()))
        data = request.GET if "kind" in request.GET else None
        form = ChooseForm(data, initial={"kind": kind, "org": org.code if org else code, "date": day}, orgs=orgs)
        if form.is_bound and form.is_valid() and problem:
            form.add_error("org", problem)
        elif form.is_bound and problem:
            form.errors.setdefault("org", form.error_class()).append(problem)
        return render(request, "meetings/activity_choose.html", {
            "form": form, "kinds": [(k, label, default_templates()[k]) for k, label in ActivityKind.choices],
            "org": org, "day": day, "breadcrumbs": [("活动记录", reverse("activity_list")), ("计划活动", None)],
        })

    template = effective_template(kind, org, day)
    form = ActivityCreateForm(request.POST or None, template=template, org=org,
                              initial=create_initial(template, org, day))
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(actor=request.user, org=org, kind=kind, **form.service_values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            what = "记录" if activity.status == ActivityStatus.HELD else "计划"
            late = "（超过规定期限录入，已标为补录）" if activity.late_entry else ""
            messages.success(request, f"已{what}“{activity.title}”{late}")
            return redirect("activity_detail", pk=activity.pk)
    return render(request, "meetings/activity_form.html", {
        "form": form, "template": template, "org": org, "kind": kind, "day": day,
        "change_url": f"{reverse('activity_create')}?kind={kind}&date={day:%Y-%m-%d}",
        "breadcrumbs": [("活动记录", reverse("activity_list")), (f"计划{template.name}", None)],
    })


@login_required
def activity_edit(request, pk: int):
    activity = get_activity_for_user(request.user, pk)
    scope = get_scope(request.user)
    require_manage(scope, activity)
    if activity.status == ActivityStatus.ARCHIVED:
        messages.info(request, "已归档的记录不能再修改")
        return redirect("activity_detail", pk=activity.pk)
    template = effective_template(activity.kind, activity.org, local_date(activity))
    start = timezone.localtime(activity.starts_at)
    initial = {"title": activity.title, "day": start.date(), "start_time": start.time().replace(second=0),
               "end_time": timezone.localtime(activity.ends_at).time().replace(second=0) if activity.ends_at else None,
               "place": activity.place, "online": activity.online, "host": activity.host_id,
               "recorder": activity.recorder_id, "lecturer": activity.lecturer_id, "tags": activity.tags}
    form = ActivityBasicsForm(request.POST or None, template=template, org=activity.org, activity=activity,
                              initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, **form.service_values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("activity_detail", pk=activity.pk)
    return render(request, "meetings/activity_edit.html", {
        "form": form, "activity": activity, "template": template,
        "breadcrumbs": [("活动记录", reverse("activity_list")),
                        (activity.title, reverse("activity_detail", args=[activity.pk])), ("修改", None)],
    })


# --- the record page ------------------------------------------------------------------------------


def stages(activity: Activity) -> list[dict]:
    order = list(ActivityStatus)
    current = order.index(ActivityStatus(activity.status))
    return [{"label": s.label, "reached": i <= current, "current": i == current} for i, s in enumerate(order)]


def next_step(activity: Activity) -> dict | None:
    to = NEXT_STATUS.get(ActivityStatus(activity.status))
    if to is None:
        return None
    blocked = ""
    if to == ActivityStatus.HELD and activity.starts_at > timezone.now():
        blocked = "活动尚未开始，开始后才能标记为已召开"
    elif to == ActivityStatus.ARCHIVED and not activity.minutes.strip():
        blocked = "须先填写并保存会议记录，才能归档"
    return {"to": to.value, "label": ADVANCE_LABEL[to], "blocked": blocked}


def attendance_rows(activity: Activity, expected: list[Person], day: dt.date,
                    submitted: dict[int, tuple[str, str]] | None = None) -> list[dict]:
    """Everyone expected (with or without a row; none = 缺席), then anyone else recorded (列席)."""
    rows = {a.member_id: a for a in Attendance.objects.filter(activity=activity)
            .select_related("member").order_by("member__name", "member_id")}
    expected_ids = {p.id for p in expected}
    out = []

    def row(member_id, name, category, is_expected, voting, a):
        status, reason = (a.status, a.reason) if a else (AttendanceStatus.ABSENT.value, "")
        if submitted and member_id in submitted:
            status, reason = submitted[member_id]
        return {"id": member_id, "name": name, "category": category, "expected": is_expected, "voting": voting,
                "status": status, "reason": reason, "self_leave": bool(a and a.requested_by_member
                                                                     and a.status == AttendanceStatus.LEAVE)}

    for p in expected:
        out.append(row(p.id, p.name, p.category, True, p.is_full_member_on(day), rows.get(p.id)))
    for member_id, a in rows.items():
        if member_id not in expected_ids:
            out.append(row(member_id, a.member.name, a.member.category, False, False, a))
    return out


def attendance_context(request, activity: Activity, template: WorkTemplate, *, submitted=None, errors=None,
                       saved: bool = False) -> dict:
    day = local_date(activity)
    expected = expected_people(activity.org, template, day)
    rows = attendance_rows(activity, expected, day, submitted)
    statuses = {r["id"]: r["status"] for r in rows}
    scope = get_scope(request.user)
    return {
        "activity": activity, "rows": rows, "quorum": compute_quorum(template.quorum, expected, statuses, day),
        "can_manage": scope.sees_org(activity.org) and activity.status != ActivityStatus.ARCHIVED,
        "own_member_id": scope.member_id, "sees_reasons": scope.sees_org(activity.org),
        "statuses": AttendanceStatus.choices, "errors": errors or [], "saved": saved,
        "unsaved": submitted is not None and not saved, "voting_rule": (template.quorum or {}).get("of") == "voting",
    }


def evidence_context(activity: Activity, template: WorkTemplate, items: list[Evidence] | None = None) -> dict:
    items = items if items is not None else list(activity.evidence.select_related("uploaded_by"))
    have = {e.kind for e in items}
    if activity.minutes.strip():
        have.add("minutes")
    wanted = [{"key": k, "label": EVIDENCE.get(k, k), "done": k in have} for k in template.get("evidence") or []]
    return {"evidence_items": items, "evidence_wanted": wanted, "max_upload_mb": settings.MAX_UPLOAD_MB}


def appraisal_rows(activity: Activity, template: WorkTemplate, submitted: dict | None = None) -> list[dict]:
    ids = records.gradable_ids(activity, template)
    grades = {a.member_id: a for a in Appraisal.objects.filter(activity=activity)}
    people = Member.objects.filter(pk__in=ids).order_by("name", "id")
    out = []
    for m in people:
        a = grades.get(m.pk)
        grade, note = (a.grade, a.note) if a else ("", "")
        if submitted and m.pk in submitted:
            grade, note = submitted[m.pk]
        out.append({"id": m.pk, "name": m.name, "category": m.get_category_display(), "grade": grade, "note": note})
    return out


def follow_up_rows(activity: Activity, submitted: list[records.FollowUpInput] | None = None) -> list:
    if submitted is not None:
        return submitted
    items = [records.FollowUpInput(id=i.pk, content=i.content, owner_id=i.owner_id, due_on=i.due_on, done=i.done)
             for i in FollowUpItem.objects.filter(activity=activity)]
    if activity.status != ActivityStatus.ARCHIVED:
        items += [records.FollowUpInput(id=None, content="") for _ in range(2)]
    return items


def detail_context(request, activity: Activity, **parts) -> dict:
    scope = get_scope(request.user)
    template = effective_template(activity.kind, activity.org, local_date(activity))
    can_manage = scope.sees_org(activity.org)
    editable = can_manage and activity.status != ActivityStatus.ARCHIVED
    record_form = parts.get("record_form") or RecordForm(template=template, initial=record_initial(activity))
    context = {
        "activity": activity, "template": template, "tpl": template.content, "scope": scope,
        "expected_label": EXPECTED.get(template.get("expected"), ""), "can_manage": can_manage, "editable": editable,
        "status_class": STATUS_CLASS.get(activity.status, ""), "stages": stages(activity),
        "next_step": next_step(activity) if can_manage else None, "record_form": record_form,
        "five_ding_labels": FIVE_DING, "roles": [(ROLES[r], getattr(activity, r)) for r in ROLES
                                                   if r in (template.get("roles") or []) or getattr(activity, r)],
        "evidence_form": EvidenceForm(), "can_audit": scope.is_admin or scope.in_paths(activity.org.path,
                                                                                        scope.admin_paths),
        "grades": AppraisalGrade.choices, "section_errors": parts.get("section_errors", {}),
    }
    context |= attendance_context(request, activity, template)
    context |= evidence_context(activity, template)
    own = next((r for r in context["rows"] if r["id"] == scope.member_id and r["expected"]), None)
    context["may_request_leave"] = (own is not None and activity.starts_at > timezone.now()
                                    and activity.status in (ActivityStatus.PLANNED, ActivityStatus.NOTIFIED))
    if template.get("follow_up") == "appraisal":
        ratio = records.excellent_ratio(template)
        rows = appraisal_rows(activity, template, parts.get("appraisal_submitted"))
        if not can_manage:  # a member sees their own grade, not everyone's
            rows = [r for r in rows if r["id"] == scope.member_id]
        context |= {"appraisal_rows": rows, "excellent_ratio_text": records.ratio_text(ratio)}
    if template.get("follow_up") == "rectification":
        context |= {"follow_up_rows": follow_up_rows(activity, parts.get("follow_up_submitted")),
                    "owner_choices": list(Member.objects.filter(branch=branch_of(activity.org))
                                          .order_by("name").values_list("id", "name"))}
    context["breadcrumbs"] = [("活动记录", reverse("activity_list")), (activity.title, None)]
    return context


@login_required
def activity_detail(request, pk: int):
    activity = get_activity_for_user(request.user, pk)
    if request.method == "POST":
        scope = get_scope(request.user)
        require_manage(scope, activity)
        section = request.POST.get("section", "")
        handler = {"record": _save_record, "appraisal": _save_appraisal, "follow_up": _save_follow_up}.get(section)
        if handler is None:
            return HttpResponse("未知的操作", status=400)
        return handler(request, activity)
    return render(request, "meetings/activity_detail.html", detail_context(request, activity))


def _rerender(request, activity: Activity, **parts):
    return render(request, "meetings/activity_detail.html", detail_context(request, activity, **parts), status=400)


def _save_record(request, activity: Activity):
    template = effective_template(activity.kind, activity.org, local_date(activity))
    form = RecordForm(request.POST, template=template, initial=record_initial(activity))
    if form.is_valid():
        try:
            services.activity_update(actor=request.user, activity=activity, **form.service_values(activity))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存会议记录、五定和流程")
            return redirect(reverse("activity_detail", args=[activity.pk]) + "#record")
    return _rerender(request, activity, record_form=form)


def _save_appraisal(request, activity: Activity):
    submitted: dict[int, tuple[str, str]] = {}
    for raw in request.POST.getlist("member"):
        if raw.isdigit():
            m = int(raw)
            submitted[m] = (request.POST.get(f"grade_{m}", ""), request.POST.get(f"note_{m}", "").strip())
    try:
        n = records.appraisal_save(actor=request.user, activity=activity, grades=submitted)
    except ValidationError as exc:
        return _rerender(request, activity, appraisal_submitted=submitted,
                         section_errors={"appraisal": exc.messages})
    messages.success(request, f"已保存评议等次（{n}处变动）" if n else "评议等次没有变动")
    return redirect(reverse("activity_detail", args=[activity.pk]) + "#appraisal")


def _follow_up_inputs(post) -> tuple[list[records.FollowUpInput], list[str]]:
    items, problems = [], []
    count = int(post.get("fu_count", "0")) if post.get("fu_count", "0").isdigit() else 0
    for i in range(min(count, 200)):
        raw_id = post.get(f"fu-{i}-id", "")
        content = post.get(f"fu-{i}-content", "").strip()
        if not raw_id and not content:
            continue  # an unused blank row
        owner = post.get(f"fu-{i}-owner", "")
        due_text = post.get(f"fu-{i}-due", "").strip()
        due = parse_day(due_text)
        if due_text and due is None:
            problems.append(f"第{i + 1}项：整改时限“{due_text}”不是有效日期")
        items.append(records.FollowUpInput(
            id=int(raw_id) if raw_id.isdigit() else None, content=content,
            owner_id=int(owner) if owner.isdigit() else None, due_on=due,
            done=bool(post.get(f"fu-{i}-done")), delete=bool(post.get(f"fu-{i}-delete"))))
    return items, problems


def _save_follow_up(request, activity: Activity):
    items, problems = _follow_up_inputs(request.POST)
    if problems:
        return _rerender(request, activity, follow_up_submitted=items, section_errors={"follow_up": problems})
    try:
        n = records.follow_up_save(actor=request.user, activity=activity, items=items)
    except ValidationError as exc:
        return _rerender(request, activity, follow_up_submitted=items, section_errors={"follow_up": exc.messages})
    messages.success(request, f"已保存整改清单（{n}处变动）" if n else "整改清单没有变动")
    return redirect(reverse("activity_detail", args=[activity.pk]) + "#follow-up")


@login_required
@require_POST
def activity_advance(request, pk: int):
    activity = get_activity_for_user(request.user, pk)
    require_manage(get_scope(request.user), activity)
    to = request.POST.get("to", "")
    if to not in ActivityStatus.values:
        messages.error(request, "未知的状态")
        return redirect("activity_detail", pk=activity.pk)
    try:
        activity = services.activity_advance(actor=request.user, activity=activity, to=to)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        late = "（超过规定期限录入，已标为补录）" if activity.late_entry and to == ActivityStatus.HELD else ""
        messages.success(request, f"状态已改为“{activity.get_status_display()}”{late}")
    return redirect("activity_detail", pk=activity.pk)


# --- attendance (htmx) ----------------------------------------------------------------------------


def _marks_from(post) -> dict[int, tuple[str, str]]:
    marks: dict[int, tuple[str, str]] = {}
    for raw in post.getlist("member"):
        if raw.isdigit():
            m = int(raw)
            marks[m] = (post.get(f"status_{m}", AttendanceStatus.ABSENT), post.get(f"reason_{m}", "").strip())
    return marks


def _attendance_response(request, activity: Activity, **kw):
    template = effective_template(activity.kind, activity.org, local_date(activity))
    context = attendance_context(request, activity, template, **kw)
    if request.htmx:
        return render(request, "meetings/_attendance.html", context, status=400 if kw.get("errors") else 200)
    if kw.get("errors"):
        messages.error(request, "；".join(kw["errors"]))
    return redirect(reverse("activity_detail", args=[activity.pk]) + "#attendance")


@login_required
def activity_attendance(request, pk: int):
    """POST: save the attendance table (or preview its quorum, or add a guest). GET ?guest_q=: candidates."""
    activity = get_activity_for_user(request.user, pk)
    scope = get_scope(request.user)
    require_manage(scope, activity)
    if request.method != "POST":
        q = request.GET.get("guest_q", "").strip()
        if not request.htmx:
            return redirect(reverse("activity_detail", args=[activity.pk]) + "#attendance")
        people = []
        if q:
            taken = Attendance.objects.filter(activity=activity).values("member_id")
            people = list(members_for(request.user).filter(subtree_q(activity.top_org.path, "branch__path"),
                                                           name__icontains=q)
                          .exclude(pk__in=taken).select_related("branch").order_by("name")[:20])
        return render(request, "meetings/_attendance_pick.html", {"people": people, "q": q, "activity": activity})

    if request.POST.get("preview"):
        # The live quorum while ticking: computed from the form as it stands, nothing saved.
        template = effective_template(activity.kind, activity.org, local_date(activity))
        context = attendance_context(request, activity, template, submitted=_marks_from(request.POST))
        return render(request, "meetings/_quorum.html", context)

    guest = request.POST.get("add_guest", "")
    if guest:
        member = members_for(request.user).filter(pk=int(guest)).first() if guest.isdigit() else None
        if member is None:
            return _attendance_response(request, activity, errors=["人员不存在或不在您的权限范围内"])
        marks = {member.pk: (AttendanceStatus.PRESENT.value, "")}
    else:
        marks = _marks_from(request.POST)
    try:
        services.attendance_save(actor=request.user, activity=activity, marks=marks)
    except ValidationError as exc:
        return _attendance_response(request, activity, submitted=None if guest else marks, errors=exc.messages)
    activity.refresh_from_db()
    return _attendance_response(request, activity, saved=True)


# --- evidence -------------------------------------------------------------------------------------


@login_required
@require_POST
def evidence_upload(request, pk: int):
    """Upload a file (multipart), or with action=delete remove one."""
    activity = get_activity_for_user(request.user, pk)
    require_manage(get_scope(request.user), activity)
    back = redirect(reverse("activity_detail", args=[activity.pk]) + "#evidence")
    if request.POST.get("action") == "delete":
        raw = request.POST.get("evidence", "")
        item = Evidence.objects.filter(activity=activity, pk=int(raw)).first() if raw.isdigit() else None
        if item is None:
            raise Http404("材料不存在")
        try:
            records.evidence_delete(actor=request.user, evidence=item)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已删除“{item.original_name}”")
        return back
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return back
    try:
        item = records.evidence_add(actor=request.user, activity=activity, upload=request.FILES.get("file"),
                                    kind=form.cleaned_data["kind"])
    except ValidationError as exc:
        messages.error(request, "未能上传：" + "；".join(exc.messages))
    else:
        messages.success(request, f"已上传“{item.original_name}”")
    return back


def content_disposition(item: Evidence) -> str:
    """attachment with an ASCII fallback name and the real (sanitized) name per RFC 5987."""
    ext = "." + item.file.name.rsplit(".", 1)[-1] if "." in item.file.name else ""
    return f"attachment; filename=\"evidence-{item.pk}{ext}\"; filename*=UTF-8''{quote(item.original_name, safe='')}"


@login_required
def evidence_download(request, pk: int):
    item = Evidence.objects.filter(pk=pk).first()
    if item is None or not activities_for(request.user).filter(pk=item.activity_id).exists():
        raise Http404("材料不存在或无权查看")
    try:
        handle = item.file.storage.open(item.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件已不存在")
    response = FileResponse(handle, content_type=item.content_type)
    response["Content-Disposition"] = content_disposition(item)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
