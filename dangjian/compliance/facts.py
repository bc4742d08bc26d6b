"""Selectors that load the facts of the compliance engine for a subtree and a year, in a constant number of
queries (organizations, committee posts, members, template versions, activities, attendance).

The attendance rows of an activity are its expected people (the web and the importer prefill 缺席 rows), so
the quorum comes from those rows: present among all rows, or for a quorum "of voting" (支部党员大会) among
the rows of members who were full members on the day (as in meetings/views/month.py).
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Count
from django.utils import timezone

from dangjian.core.treepaths import subtree_q
from dangjian.meetings.models import Activity, ActivityStatus, Attendance, AttendanceStatus
from dangjian.meetings.worktemplates import TemplateChooser
from dangjian.orgs.models import COMMITTEE_POSTS, PARTY_MEMBER_CATEGORIES, Member, MemberPost, Organization

from .engine import ActivityFact, AttendanceFact, Facts, MemberFact, OrgFact, add_months

HELD_STATUSES = (ActivityStatus.HELD, ActivityStatus.ARCHIVED)


def local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def load_facts(root: Organization, year: int, lookback_months: int = 12) -> Facts:
    """The facts of `root`'s subtree for `year`, with the activities of `lookback_months` before it (for runs
    of absence that began in the year before; engine.lookback_months(pack) says how many are needed)."""
    orgs = list(Organization.objects.filter(subtree_q(root.path)).order_by("path"))
    posts = dict(MemberPost.objects.filter(subtree_q(root.path, "member__branch__path"), post__in=COMMITTEE_POSTS,
                                           member__category__in=PARTY_MEMBER_CATEGORIES)
                 .values("member__branch_id").annotate(n=Count("member_id", distinct=True))
                 .values_list("member__branch_id", "n"))
    members = [MemberFact(*row) for row in
               Member.objects.filter(subtree_q(root.path, "branch__path"), category__in=PARTY_MEMBER_CATEGORIES)
               .order_by("name", "id")
               .values_list("id", "name", "branch_id", "category", "admitted_on", "full_on")]
    book = TemplateChooser(orgs)
    by_id = {o.pk: o for o in orgs}
    rows = list(Activity.objects.filter(subtree_q(root.path, "org__path"),
                                        starts_at__gte=local_start(add_months(dt.date(year, 1, 1), -lookback_months)),
                                        starts_at__lt=local_start(dt.date(year + 1, 1, 1)))
                .order_by("starts_at", "id").values_list("id", "code", "org_id", "kind", "starts_at", "status"))
    held_ids = [r[0] for r in rows if r[5] in HELD_STATUSES]
    attendance: list[AttendanceFact] = []
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # all rows, present
    full_rows: dict[int, list[tuple[str, dt.date | None, str]]] = defaultdict(list)
    if held_ids:
        for aid, mid, status, category, full_on in (
                Attendance.objects.filter(activity_id__in=held_ids)
                .values_list("activity_id", "member_id", "status", "member__category", "member__full_on")):
            attendance.append(AttendanceFact(aid, mid, status))
            counts[aid][0] += 1
            counts[aid][1] += status == AttendanceStatus.PRESENT
            if category == "full":
                full_rows[aid].append((status, full_on, category))
    activities = []
    for aid, code, org_id, kind, starts_at, status in rows:
        day = timezone.localtime(starts_at).date()
        template = book.all_for(by_id[org_id], day).get(kind)
        rule = (template.quorum if template else None) or {}
        base = present = 0
        if rule.get("rule"):
            if rule.get("of") == "voting":
                voting = [s for s, full_on, _ in full_rows.get(aid, ()) if full_on is None or full_on <= day]
                base, present = len(voting), sum(1 for s in voting if s == AttendanceStatus.PRESENT)
            else:
                base, present = counts.get(aid, (0, 0))
        activities.append(ActivityFact(aid, code, org_id, kind, day, status,
                                       quorum_base=base if rule.get("rule") else None, quorum_present=present))
    org_facts = [OrgFact(o.pk, o.code, o.name, o.kind, o.path, o.founded_on, o.term_ends_on, posts.get(o.pk, 0))
                 for o in orgs]
    return Facts(orgs=org_facts, members=members, activities=activities, attendance=attendance)
