"""Selectors that load the facts of the compliance engine for a subtree and a year, in a constant number of
queries (organizations, members with their committee posts, template versions, activities, and two aggregates of
the attendance).

The attendance rows of an activity are its expected people (the web and the importer prefill 缺席 rows), so
the quorum comes from those rows: present among all rows, or for a quorum "of voting" (支部党员大会) among
the rows of members who were full members on the day (as in meetings/views/month.py).

Facts.attendance holds only the 缺席 rows of the months in which a member was absent at every held activity
expected of them: the absence rule reads any other month as a break in the run, so leaving those months out
changes no finding and spares loading one row per person per activity (millions for a large group).
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Case, Count, DateField, DateTimeField, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity, ActivityStatus, Attendance, AttendanceStatus
from dangjian.meetings.worktemplates import TemplateChooser, WorkTemplate, default_templates
from dangjian.orgs.models import COMMITTEE_POSTS, PARTY_MEMBER_CATEGORIES, Member, MemberPost, Organization

from .engine import ActivityFact, AttendanceFact, Facts, MemberFact, OrgFact, add_months, month_index

HELD_STATUSES = (ActivityStatus.HELD, ActivityStatus.ARCHIVED)


def local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def load_facts(root: Organization, year: int, lookback_months: int = 12) -> Facts:
    """The facts of `root`'s subtree for `year`, with the activities of `lookback_months` before it (for runs
    of absence that began in the year before; engine.lookback_months(pack) says how many are needed)."""
    orgs = list(Organization.objects.filter(subtree_q(root.path)).order_by("path"))
    has_post = Exists(MemberPost.objects.filter(member_id=OuterRef("pk"), post__in=COMMITTEE_POSTS))
    posts: dict[int, int] = defaultdict(int)
    members = []
    for *row, post in (Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES)
                       .annotate(post=has_post).order_by("name", "id")
                       .values_list("id", "name", "branch_id", "category", "admitted_on", "full_on", "post")):
        members.append(MemberFact(*row))
        posts[row[2]] += bool(post)
    book = TemplateChooser(orgs)
    by_id = {o.pk: o for o in orgs}
    rows = list(Activity.objects.filter(subtree_q(root.path, "org__path"),
                                        starts_at__gte=local_start(add_months(dt.date(year, 1, 1), -lookback_months)),
                                        starts_at__lt=local_start(dt.date(year + 1, 1, 1)))
                .order_by("starts_at", "id").values_list("id", "code", "org_id", "kind", "starts_at", "status"))
    tz = timezone.get_current_timezone()
    days = {r[0]: r[4].astimezone(tz).date() for r in rows}
    held_ids = [r[0] for r in rows if r[5] in HELD_STATUSES]
    known = default_templates()
    voting_kinds = {kind for kind, content in known.items() if (content.get("quorum") or {}).get("of") == "voting"}
    voting_kinds |= {kind for kind, versions in book.versions.items()
                     if any((v.content.get("quorum") or {}).get("of") == "voting" for v in versions)}
    counts, absences = _attendance([o.pk for o in orgs], held_ids, days, voting_kinds,
                                   add_months(dt.date(year, 1, 1), -lookback_months), year)
    standard: dict[str, WorkTemplate] = {}
    activities = []
    for aid, code, org_id, kind, _starts_at, status in rows:
        day = days[aid]
        if kind not in known:
            template = None
        elif book.versions.get(kind):
            template = book.choose(kind, by_id[org_id], day)
        else:
            template = standard.get(kind) or standard.setdefault(kind, book.choose(kind, by_id[org_id], day))
        rule = (template.quorum if template else None) or {}
        base = present = 0
        if rule.get("rule"):
            c = counts.get(aid, (0, 0, 0, 0))
            base, present = (c[2], c[3]) if rule.get("of") == "voting" else (c[0], c[1])
        activities.append(ActivityFact(aid, code, org_id, kind, day, status,
                                       quorum_base=base if rule.get("rule") else None, quorum_present=present))
    org_facts = [OrgFact(o.pk, o.code, o.name, o.kind, o.path, o.founded_on, o.term_ends_on, posts.get(o.pk, 0))
                 for o in orgs]
    return Facts(orgs=org_facts, members=members, activities=activities, attendance=absences)


def _attendance(org_ids: list[int], held_ids: list[int], days: dict[int, dt.date], voting_kinds: set[str],
                first: dt.date, year: int) -> tuple[dict[int, list[int]], list[AttendanceFact]]:
    """Aggregates of the attendance of the held activities (never one row per person per activity):

    - per activity [all rows, present, rows of full members, present full members]; a member counts as full
      on the activity's day (a quorum "of voting": full counts are only taken for the kinds with such a
      quorum, and are 0 for the others), so for those kinds the rows are grouped apart by the 转正 date of
      members who became full after the start of the period, and not counted as full before that date;
    - the 缺席 rows of the member-months in which the member was absent at every held activity expected of
      them (the only months that can make a run for the absence rule; any other month breaks a run).
    """
    counts: dict[int, list[int]] = {}
    if not held_ids:
        return counts, []
    held = Attendance.objects.filter(activity__org_id__in=org_ids, activity__status__in=HELD_STATUSES,
                                     activity__starts_at__gte=local_start(first),
                                     activity__starts_at__lt=local_start(dt.date(year + 1, 1, 1)))
    # Full members are counted for the kinds with a quorum "of voting" only, through IN (a subquery the
    # database reads once) rather than a join with every row's member.
    voting = Q(activity__kind__in=voting_kinds or ["-"])
    full = voting & Q(member_id__in=Member.objects.filter(category="full").values("id"))
    present = Q(status=AttendanceStatus.PRESENT)
    late_ids = Member.objects.filter(category="full", full_on__gt=first).values("id")
    late = Case(When(voting & Q(member_id__in=late_ids),
                     then=Subquery(Member.objects.filter(pk=OuterRef("member_id")).values("full_on")[:1])),
                output_field=DateField())
    for aid, late_on, n, n_present, n_full, n_full_present in (
            held.annotate(late=late).values("activity_id", "late")
            .annotate(n=Count("id"), p=Count("id", filter=present), f=Count("id", filter=full),
                      fp=Count("id", filter=full & present))
            .values_list("activity_id", "late", "n", "p", "f", "fp")):
        c = counts.setdefault(aid, [0, 0, 0, 0])
        not_yet = late_on is not None and late_on > days[aid]  # full only after the activity's day
        c[0] += n
        c[1] += n_present
        c[2] += 0 if not_yet else n_full
        c[3] += 0 if not_yet else n_full_present
    # The 缺席 rows with no other mark of the member in the same local month: the month's bounds come from a
    # CASE over the month starts (plain comparisons that every database runs fast).
    starts = [local_start(add_months(first, i)) for i in range(month_index(dt.date(year + 1, 1, 1))
                                                              - month_index(first) + 1)]
    bound = [Case(*[When(activity__starts_at__lt=b, then=Value(starts[i + k])) for i, b in enumerate(starts[1:])],
                  output_field=DateTimeField()) for k in (0, 1)]
    other = held.filter(member_id=OuterRef("member_id"), activity__starts_at__gte=OuterRef("month_start"),
                        activity__starts_at__lt=OuterRef("month_end")).exclude(status=AttendanceStatus.ABSENT)
    absences = [AttendanceFact(aid, mid, AttendanceStatus.ABSENT) for aid, mid in
                held.filter(status=AttendanceStatus.ABSENT).annotate(month_start=bound[0], month_end=bound[1])
                .filter(~Exists(other)).values_list("activity_id", "member_id")]
    return counts, absences
