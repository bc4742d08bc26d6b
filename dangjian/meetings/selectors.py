"""Reads of activities, scoped like everything else, and the facts the rules need."""

import datetime as dt

from django.db.models import Q, QuerySet

from dangjian.core.scoping import get_scope
from dangjian.core.treepaths import subtree_q
from dangjian.orgs.models import COMMITTEE_POSTS, PARTY_MEMBER_CATEGORIES, Member, Organization, OrgKind

from .models import Activity, Attendance
from .rules import Person, Quorum, compute_quorum
from .worktemplates import WorkTemplate, effective_template


def activities_for(user) -> QuerySet[Activity]:
    """Activities the user may see: those of organizations in scope, and for a member those they were
    expected at or attended (they have an attendance row: expected people are prefilled).

    A subquery rather than a join keeps the rows distinct without DISTINCT, so that callers may annotate
    counts of attendance without the filter's join narrowing them.
    """
    scope = get_scope(user)
    q = scope.org_q("org__")
    if scope.member_id is not None and not scope.is_admin:
        q |= Q(pk__in=Attendance.objects.filter(member_id=scope.member_id).values("activity_id"))
    return Activity.objects.filter(q)


def branch_of(org: Organization) -> Organization:
    """The 党支部 of an organization that holds activities (itself, or the parent of a 党小组)."""
    if org.kind == OrgKind.GROUP:
        return Organization.objects.get(path=org.path[: -Organization.steplen])
    return org


def people_of(qs: QuerySet[Member]) -> list[Person]:
    return [Person(id=i, name=n, category=c, admitted_on=a, full_on=f)
            for i, n, c, a, f in qs.values_list("id", "name", "category", "admitted_on", "full_on").order_by("name", "id")]


def expected_people(org: Organization, template: WorkTemplate, on: dt.date) -> list[Person]:
    """Who is expected (应到) at an activity of this template held by `org` on a date."""
    expected = template.get("expected")
    if expected == "none":
        return []
    members = Member.objects.filter(category__in=PARTY_MEMBER_CATEGORIES)
    if org.kind == OrgKind.GROUP:
        members = members.filter(group=org)
    elif expected == "committee":
        members = members.filter(branch=org, posts__post__in=COMMITTEE_POSTS).distinct()
    else:
        members = members.filter(subtree_q(org.path, "branch__path"))
    people = people_of(members)
    if expected == "full_members":
        return [p for p in people if p.is_full_member_on(on)]
    return [p for p in people if p.is_party_member_on(on)]


def local_date(activity: Activity) -> dt.date:
    from django.utils import timezone

    return timezone.localtime(activity.starts_at).date()


def activity_quorum(activity: Activity, template: WorkTemplate | None = None) -> tuple[Quorum, list[Person]]:
    """The quorum of an activity, over the people expected on its date."""
    day = local_date(activity)
    template = template or effective_template(activity.kind, activity.org, day)
    expected = expected_people(activity.org, template, day)
    statuses = dict(Attendance.objects.filter(activity=activity).values_list("member_id", "status"))
    return compute_quorum(template.quorum, expected, statuses, day), expected
