"""Reads of organizations, members and teams, scoped and in a constant number of queries."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from dangjian.core.scoping import get_scope, members_for

from .models import (
    COMMITTEE_POSTS,
    Category,
    Member,
    MemberPost,
    Organization,
    OrgKind,
    WorkTeam,
)
from .structure import OrgFacts, StructureParams, Warning, structure_warnings


@dataclass
class OrgStats:
    """Counts of one organization, with its subtree's totals."""

    org: Organization
    by_category: dict[str, int] = field(default_factory=dict)  # direct (branch members)
    committee_posts: int = 0
    subtree_by_category: dict[str, int] = field(default_factory=dict)
    subtree_branches: int = 0
    warnings: list[Warning] = field(default_factory=list)
    subtree_warning_count: int = 0

    @property
    def full_members(self) -> int:
        return self.by_category.get(Category.FULL, 0)

    @property
    def party_members(self) -> int:
        return self.by_category.get(Category.FULL, 0) + self.by_category.get(Category.PROBATIONARY, 0)

    @property
    def subtree_party_members(self) -> int:
        return self.subtree_by_category.get(Category.FULL, 0) + self.subtree_by_category.get(Category.PROBATIONARY, 0)

    @property
    def subtree_total(self) -> int:
        return sum(self.subtree_by_category.values())


def org_stats(orgs: list[Organization], *, today: dt.date | None = None) -> dict[int, OrgStats]:
    """Stats for the given organizations and subtree totals over them (3 queries, any size).

    `orgs` should be a whole subtree (or several) ordered by path, as `subtree(...)` returns.
    """
    today = today or dt.date.today()
    params = StructureParams.load()
    stats = {o.pk: OrgStats(org=o) for o in orgs}
    if not orgs:
        return stats
    min_depth = min(o.depth for o in orgs)
    roots = [o.path for o in orgs if o.depth == min_depth]
    counts = (Member.objects.filter(_in_subtrees_q(roots, "branch__"))
              .values_list("branch_id", "category").annotate(n=Count("id")).order_by())
    for branch_id, category, n in counts:
        if branch_id in stats:
            stats[branch_id].by_category[category] = n
    posts = (MemberPost.objects.filter(_in_subtrees_q(roots, "member__branch__"), post__in=COMMITTEE_POSTS)
             .values_list("member__branch_id").annotate(n=Count("member_id", distinct=True)).order_by())
    for branch_id, n in posts:
        if branch_id in stats:
            stats[branch_id].committee_posts = n
    by_path = {o.path: stats[o.pk] for o in orgs}
    steplen = Organization.steplen
    for o in sorted(orgs, key=lambda x: -x.depth):
        s = stats[o.pk]
        term_ends = o.term_ends_on
        s.warnings = structure_warnings(
            OrgFacts(kind=o.kind, full_members=s.full_members, party_members=s.party_members,
                     committee_posts=s.committee_posts, term_ends_on=term_ends), params, today)
        for cat, n in s.by_category.items():
            s.subtree_by_category[cat] = s.subtree_by_category.get(cat, 0) + n
        if o.kind == OrgKind.BRANCH:
            s.subtree_branches += 1
        s.subtree_warning_count += len(s.warnings)
        parent = by_path.get(o.path[:-steplen]) if o.depth > 1 else None
        if parent is not None:
            for cat, n in s.subtree_by_category.items():
                parent.subtree_by_category[cat] = parent.subtree_by_category.get(cat, 0) + n
            parent.subtree_branches += s.subtree_branches
            parent.subtree_warning_count += s.subtree_warning_count
    return stats


def _in_subtrees_q(paths: list[str], prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{prefix}path__startswith": p})
    return q


def subtree(org: Organization) -> list[Organization]:
    return list(Organization.objects.filter(path__startswith=org.path).order_by("path"))


def visible_roots(user) -> list[Organization]:
    """The top organizations of the user's scope (the roots of the tree they see)."""
    scope = get_scope(user)
    if scope.is_admin:
        return list(Organization.objects.get_root_nodes())
    return list(Organization.objects.filter(path__in=scope.manage_paths).order_by("path"))


def ancestors(org: Organization, user) -> list[Organization]:
    """Breadcrumb ancestors the user may see."""
    scope = get_scope(user)
    steplen = Organization.steplen
    paths = [org.path[: steplen * i] for i in range(1, org.depth)]
    found = Organization.objects.filter(path__in=paths).order_by("depth")
    return [a for a in found if scope.sees_org(a)]


def member_list(user, *, q: str = "", category: str = "", org: Organization | None = None,
                job_post: str = "", party_post: str = "") -> QuerySet[Member]:
    """The roster as the user may see it, filtered. Caller paginates."""
    qs = members_for(user).select_related("branch", "group", "team")
    if org is not None:
        qs = qs.filter(Q(branch__path__startswith=org.path) | Q(group=org))
    if category:
        qs = qs.filter(category=category)
    if job_post:
        qs = qs.filter(job_post__icontains=job_post)
    if party_post:
        qs = qs.filter(posts__post=party_post)
    if q:
        q = q.strip()
        cond = Q(name__icontains=q) | Q(admin_title__icontains=q) | Q(job_post__icontains=q)
        if q.isdigit() or (len(q) >= 4 and q[:-1].isdigit()):
            cond |= Q(id_number__endswith=q.upper()) | Q(phone__endswith=q)
        qs = qs.filter(cond)
    return qs.order_by("branch__path", "name", "id")


@dataclass
class TeamRow:
    team: WorkTeam
    party_members: int
    is_red: bool


@dataclass
class Coverage:
    teams: int
    red_teams: int

    @property
    def ratio(self) -> float | None:
        return None if self.teams == 0 else self.red_teams / self.teams

    @property
    def percent(self) -> str:
        return "—" if self.ratio is None else f"{self.ratio * 100:.1f}%"


def team_rows(branch_q: Q) -> list[TeamRow]:
    """Teams with their party-member counts; `branch_q` filters teams (prefix 'branch__')."""
    teams = (WorkTeam.objects.filter(branch_q).select_related("branch", "contact_member")
             .annotate(party=Count("members", filter=Q(members__category__in=[Category.FULL, Category.PROBATIONARY])))
             .order_by("branch__path", "code"))
    return [TeamRow(team=t, party_members=t.party, is_red=t.party > 0) for t in teams]


def coverage_by_branch(root: Organization) -> dict[int, Coverage]:
    """Red-team coverage per branch of a subtree (one query)."""
    rows = (WorkTeam.objects.filter(branch__path__startswith=root.path)
            .annotate(party=Count("members", filter=Q(members__category__in=[Category.FULL, Category.PROBATIONARY])))
            .values_list("branch_id", "party"))
    out: dict[int, Coverage] = defaultdict(lambda: Coverage(0, 0))
    for branch_id, party in rows:
        c = out[branch_id]
        c.teams += 1
        c.red_teams += 1 if party else 0
    return dict(out)


def coverage_total(by_branch: dict[int, Coverage]) -> Coverage:
    return Coverage(sum(c.teams for c in by_branch.values()), sum(c.red_teams for c in by_branch.values()))


def dashboard(user) -> dict:
    """Placeholder: the UI work fills the home dashboard."""
    return {}
