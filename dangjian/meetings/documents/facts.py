"""Activities with their template, expected people (应到), attendance and quorum, for many activities at once.

The documents (the yearly 台账) and the API list need the quorum of dozens or hundreds of activities; asking
selectors.activity_quorum for each would cost a few queries per activity. Here everything is loaded in a
constant number of queries (organizations' template versions, the rosters of the organizations involved,
committee posts, attendance rows) and the same choices are made in memory:
- the template in force is chosen like worktemplates.effective_template (nearest own version, latest date);
- the expected people like selectors.expected_people (a 党小组's members; a branch's committee; a branch's
  party members; full members only where the template says so), ordered by name;
- the quorum is rules.compute_quorum itself.
tests/test_documents.py checks that both ways agree.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from dangjian.orgs.models import (
    COMMITTEE_POSTS,
    PARTY_MEMBER_CATEGORIES,
    Member,
    MemberPost,
    Organization,
    OrgKind,
)

from ..models import Activity, ActivityKind, ActivityStatus, Attendance, AttendanceStatus
from ..rules import Person, Quorum, compute_quorum
from ..worktemplates import TemplateChooser, WorkTemplate

# The 三会一课 first, then the rest: the order of ActivityKind.
KIND_ORDER = {k.value: i for i, k in enumerate(ActivityKind)}
HELD_STATUSES = (ActivityStatus.HELD, ActivityStatus.ARCHIVED)
# Kinds whose written record is a meeting's minutes (会议记录); the others are an activity's record (…记录).
MEETING_KINDS = {ActivityKind.BRANCH_ASSEMBLY, ActivityKind.COMMITTEE_MEETING, ActivityKind.GROUP_MEETING,
                 ActivityKind.LIFE_MEETING, ActivityKind.RECRUITMENT_MEETING, ActivityKind.MEMBER_APPRAISAL}


def record_name(kind: str) -> str:
    """支部委员会 → 支部委员会会议记录, 发展党员会议 → 发展党员会议记录, 党课 → 党课记录."""
    label = ActivityKind(kind).label
    if kind in MEETING_KINDS:
        return f"{label}记录" if label.endswith("会议") else f"{label}会议记录"
    return f"{label}记录"


@dataclass(frozen=True)
class Mark:
    """One person's attendance at an activity (a recorded row, or an expected person with none)."""

    member_id: int
    name: str
    status: str  # AttendanceStatus value
    reason: str
    expected: bool
    recorded: bool
    requested_by_member: bool = False

    @property
    def status_label(self) -> str:
        return AttendanceStatus(self.status).label


@dataclass
class ActivityFacts:
    activity: Activity
    template: WorkTemplate
    expected: list[Person]
    quorum: Quorum
    marks: list[Mark] = field(default_factory=list)  # expected people first (by name), then others recorded

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.activity.starts_at).date()

    def with_status(self, status: str) -> list[Mark]:
        return [m for m in self.marks if m.status == status]

    @property
    def present(self) -> list[Mark]:
        return [m for m in self.marks if m.status == AttendanceStatus.PRESENT]

    @property
    def on_leave(self) -> list[Mark]:
        """Expected people on leave (the 请假 of the quorum sentence)."""
        return [m for m in self.marks if m.expected and m.status == AttendanceStatus.LEAVE]

    @property
    def absent(self) -> list[Mark]:
        return [m for m in self.marks if m.expected and m.status == AttendanceStatus.ABSENT]

    @property
    def guests(self) -> list[Mark]:
        """Present but not expected (列席)."""
        return [m for m in self.marks if not m.expected and m.status == AttendanceStatus.PRESENT]

    @property
    def held(self) -> bool:
        return self.activity.status in HELD_STATUSES


@dataclass(frozen=True)
class RosterEntry:
    person: Person
    branch_id: int
    group_id: int | None
    committee: bool


class Roster:
    """The party members of the organizations involved, with their committee posts (two queries)."""

    def __init__(self, orgs: Iterable[Organization]):
        branch_ids = {o.pk for o in orgs if o.kind != OrgKind.GROUP}
        group_ids = {o.pk for o in orgs if o.kind == OrgKind.GROUP}
        self.by_branch: dict[int, list[RosterEntry]] = defaultdict(list)
        self.by_group: dict[int, list[RosterEntry]] = defaultdict(list)
        if not branch_ids and not group_ids:
            return
        where = Q(branch_id__in=branch_ids) | Q(group_id__in=group_ids)
        rows = (Member.objects.filter(where, category__in=PARTY_MEMBER_CATEGORIES)
                .values_list("id", "name", "category", "admitted_on", "full_on", "branch_id", "group_id")
                .order_by("name", "id"))
        committee = set(MemberPost.objects.filter(member__branch_id__in=branch_ids, post__in=COMMITTEE_POSTS)
                        .values_list("member_id", flat=True)) if branch_ids else set()
        for pk, name, category, admitted, full, branch_id, group_id in rows:
            entry = RosterEntry(Person(id=pk, name=name, category=category, admitted_on=admitted, full_on=full),
                                branch_id, group_id, pk in committee)
            self.by_branch[branch_id].append(entry)
            if group_id is not None:
                self.by_group[group_id].append(entry)

    def expected(self, org: Organization, template: WorkTemplate, on: dt.date) -> list[Person]:
        """selectors.expected_people in memory."""
        expected = template.get("expected")
        if expected == "none":
            return []
        if org.kind == OrgKind.GROUP:
            pool = self.by_group.get(org.pk, [])
        elif expected == "committee":
            pool = [e for e in self.by_branch.get(org.pk, []) if e.committee]
        else:
            pool = self.by_branch.get(org.pk, [])
        people = [e.person for e in pool]
        if expected == "full_members":
            return [p for p in people if p.is_full_member_on(on)]
        return [p for p in people if p.is_party_member_on(on)]


def activity_facts(activities: list[Activity]) -> list[ActivityFacts]:
    """Facts for each activity (select_related("org") expected), in the order given; constant queries."""
    if not activities:
        return []
    orgs = {a.org_id: a.org for a in activities}.values()
    chooser = TemplateChooser(orgs)
    roster = Roster(orgs)
    ids = [a.pk for a in activities]
    rows_by_activity: dict[int, list[tuple]] = defaultdict(list)
    for row in (Attendance.objects.filter(activity_id__in=ids)
                .values_list("activity_id", "member_id", "member__name", "status", "reason", "requested_by_member")
                .order_by("member__name", "member_id")):
        rows_by_activity[row[0]].append(row[1:])
    out = []
    for activity in activities:
        day = timezone.localtime(activity.starts_at).date()
        template = chooser.choose(activity.kind, activity.org, day)
        expected = roster.expected(activity.org, template, day)
        rows = rows_by_activity.get(activity.pk, [])
        statuses = {member_id: status for member_id, _, status, *_ in rows}
        quorum = compute_quorum(template.quorum, expected, statuses, day)
        recorded = {r[0]: r for r in rows}
        expected_ids = {p.id for p in expected}
        marks = []
        for p in expected:
            r = recorded.get(p.id)
            if r is None:
                marks.append(Mark(p.id, p.name, AttendanceStatus.ABSENT, "", expected=True, recorded=False))
            else:
                marks.append(Mark(p.id, p.name, r[2], r[3], expected=True, recorded=True, requested_by_member=r[4]))
        marks += [Mark(r[0], r[1], r[2], r[3], expected=False, recorded=True, requested_by_member=r[4])
                  for r in rows if r[0] not in expected_ids]
        out.append(ActivityFacts(activity=activity, template=template, expected=expected, quorum=quorum,
                                 marks=marks))
    return out
