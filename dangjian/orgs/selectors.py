"""Reads of organizations, members and teams, scoped and in a constant number of queries."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Q, QuerySet

from dangjian.core.scoping import get_scope, members_for
from dangjian.core.treepaths import subtree_q, subtrees_q

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

if TYPE_CHECKING:  # django-stubs-ext is a development dependency
    from django_stubs_ext import WithAnnotations


def top_org_of(org: Organization) -> Organization:
    """The top-level organization (the group) that `org` belongs to; itself at depth 1."""
    return org if org.depth == 1 else Organization.objects.get(path=org.path[: Organization.steplen])


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

    `orgs` should be whole subtrees (as `subtree(...)` returns, or several, rooted at any depths).
    """
    today = today or dt.date.today()
    params = StructureParams.load()
    stats = {o.pk: OrgStats(org=o) for o in orgs}
    if not orgs:
        return stats
    # The roots of the given subtrees (which may start at different depths): paths whose parent is absent.
    paths = {o.path for o in orgs}
    roots = [o.path for o in orgs if o.path[: -Organization.steplen] not in paths]
    counts = (Member.objects.filter(subtrees_q(roots, "branch__path"))
              .values_list("branch_id", "category").annotate(n=Count("id")).order_by())
    for branch_id, category, n in counts:
        if branch_id in stats:
            stats[branch_id].by_category[category] = n
    posts = (MemberPost.objects.filter(subtrees_q(roots, "member__branch__path"), post__in=COMMITTEE_POSTS)
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


def subtree(org: Organization) -> list[Organization]:
    return list(Organization.objects.filter(subtree_q(org.path)).order_by("path"))


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


MASK_VISIBLE_TAIL = 4


def member_list(user, *, q: str = "", category: str = "", org: Organization | None = None,
                job_post: str = "", party_post: str = "") -> QuerySet[Member]:
    """The roster as the user may see it, filtered. Caller paginates."""
    qs = members_for(user).select_related("branch", "group", "team")
    if org is not None:
        # One condition or the other, never OR-ed: an OR would stop the path index from being used.
        qs = qs.filter(group=org) if org.kind == OrgKind.GROUP else qs.filter(subtree_q(org.path, "branch__path"))
    if category:
        qs = qs.filter(category=category)
    if job_post:
        qs = qs.filter(job_post__icontains=job_post)
    if party_post:
        qs = qs.filter(posts__post=party_post)
    if q:
        q = q.strip()
        cond = Q(name__icontains=q) | Q(admin_title__icontains=q) | Q(job_post__icontains=q)
        # Digits match the end of ID numbers and phones, but only as far as the user could read them
        # anyway: a masked value shows its last 4 characters, so longer probes need the right to see it.
        scope = get_scope(user)
        visible = len(q) <= MASK_VISIBLE_TAIL
        if q.isdigit() or (len(q) >= 4 and q[:-1].isdigit()):
            if visible or scope.sees_id_numbers():
                cond |= Q(id_number__endswith=q.upper())
            if q.isdigit() and (visible or scope.sees_phones()):
                cond |= Q(phone__endswith=q)
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
    teams = team_queryset(branch_q)
    return [TeamRow(team=t, party_members=t.party, is_red=t.party > 0) for t in teams]


def coverage_by_branch(root: Organization) -> dict[int, Coverage]:
    """Red-team coverage per branch of a subtree (one query)."""
    rows = (WorkTeam.objects.filter(subtree_q(root.path, "branch__path"))
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


def scope_roots_of(orgs: list[Organization]) -> list[Organization]:
    """The top organizations among `orgs` (sorted by path): those with no ancestor in the list."""
    roots: list[Organization] = []
    for o in orgs:
        if not roots or not o.path.startswith(roots[-1].path):
            roots.append(o)
    return roots


def scope_orgs(user) -> list[Organization]:
    """Every organization the user sees, ordered by path (one query)."""
    return list(Organization.objects.filter(get_scope(user).org_q()).order_by("path"))


def coverage_for_roots(roots: list[Organization]) -> dict[int, Coverage]:
    """Red-team coverage per branch below the given roots (one query per root)."""
    out: dict[int, Coverage] = {}
    for root in roots:
        out.update(coverage_by_branch(root))
    return out


DASHBOARD_TOP = 10
_WARNING_RANK = {"danger": 0, "warning": 1}


def warning_rows(orgs: list[Organization], stats: dict[int, OrgStats]) -> list[OrgStats]:
    """Organizations with structure warnings, the most serious first, then in tree order."""
    rows = [stats[o.pk] for o in orgs if stats[o.pk].warnings]
    return sorted(rows, key=lambda s: (min(_WARNING_RANK.get(w.level, 2) for w in s.warnings), s.org.path))


def dashboard(user, *, today: dt.date | None = None, top: int = DASHBOARD_TOP) -> dict:
    """Everything the home page shows for the user's scope, in a constant number of queries."""
    orgs = scope_orgs(user)
    stats = org_stats(orgs, today=today)
    roots = scope_roots_of(orgs)
    kinds = dict.fromkeys(OrgKind.values, 0)
    for o in orgs:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    people = dict.fromkeys(Category.values, 0)
    for r in roots:
        for cat, n in stats[r.pk].subtree_by_category.items():
            people[cat] = people.get(cat, 0) + n
    warned = warning_rows(orgs, stats)
    coverage = coverage_total(coverage_for_roots(roots))
    return {
        "roots": [stats[r.pk] for r in roots],
        "org_kinds": [(OrgKind(k).label, kinds[k]) for k in OrgKind.values],
        "org_total": len(orgs),
        "people": [(Category(c).label, people[c]) for c in Category.values],
        "people_total": sum(people.values()),
        "party_total": people[Category.FULL] + people[Category.PROBATIONARY],
        "warning_count": sum(len(s.warnings) for s in warned),
        "warned_org_count": len(warned),
        "warned": warned[:top],
        "coverage": coverage,
        "chart": {
            "people": [{"name": Category(c).label, "value": people[c]} for c in Category.values],
            "kinds": {"labels": [OrgKind(k).label for k in OrgKind.values], "values": [kinds[k] for k in OrgKind.values]},
        },
    }


def children_with_stats(org: Organization, *, today: dt.date | None = None) -> tuple[list[OrgStats], OrgStats]:
    """The direct children of an organization with their subtree stats, and the org's own (3 queries + 1)."""
    orgs = subtree(org)
    stats = org_stats(orgs, today=today)
    children = [stats[o.pk] for o in orgs if o.depth == org.depth + 1]
    fill_group_counts([*children, stats[org.pk]])
    return children, stats[org.pk]


def org_search(user, term: str, *, kind: str = "", limit: int = 30) -> list[Organization]:
    """Visible organizations whose name or code contains the term (for the tree search and pickers)."""
    qs = Organization.objects.filter(get_scope(user).org_q())
    term = (term or "").strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term))
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("path")[:limit])


def parents_by_path(orgs: list[Organization]) -> dict[str, Organization]:
    """The parents of the given organizations, by path (one query)."""
    steplen = Organization.steplen
    paths = {o.path[:-steplen] for o in orgs if o.depth > 1}
    return {p.path: p for p in Organization.objects.filter(path__in=paths)}


class TeamCounts(TypedDict):
    party: int  # party members (正式 and 预备) in the team


def team_queryset(branch_q: Q) -> "QuerySet[WithAnnotations[WorkTeam, TeamCounts]]":
    """Teams with their party-member count as `party` (for paginated lists; see team_rows)."""
    return (WorkTeam.objects.filter(branch_q).select_related("branch", "contact_member")
            .annotate(party=Count("members", filter=Q(members__category__in=[Category.FULL, Category.PROBATIONARY])))
            .order_by("branch__path", "code"))


def officers_of(org: Organization) -> list[Member]:
    """党内职务 holders: of a branch or 党小组 its own; above that, the members of the child branches' committees."""
    qs = Member.objects.filter(posts__isnull=False).select_related("branch", "group").prefetch_related("posts")
    if org.kind == OrgKind.BRANCH:
        qs = qs.filter(branch=org)
    elif org.kind == OrgKind.GROUP:
        qs = qs.filter(group=org, posts__post="党小组长")
    else:
        qs = qs.filter(subtree_q(org.path, "branch__path"), branch__depth=org.depth + 1,
                       posts__post__in=["书记", "副书记"])
    rank = {p: i for i, p in enumerate(["书记", "副书记", "组织委员", "宣传委员", "纪检委员", "青年委员", "委员", "党小组长"])}
    found = list(qs.distinct().order_by("branch__path", "name")[:200])
    return sorted(found, key=lambda m: (m.branch.path, min((rank.get(p.post, 99) for p in m.posts.all()), default=99)))


def users_for(user) -> "QuerySet":
    """Users an administrator may see: all for 系统管理员; for an 组织管理员 those whose grants or linked
    member lie in their subtrees."""
    from .models import User

    scope = get_scope(user)
    qs = User.objects.all()
    if scope.is_admin:
        return qs
    if not scope.admin_paths:
        return qs.none()
    paths = list(scope.admin_paths)
    cond = subtrees_q(paths, "roles__org__path") | subtrees_q(paths, "member__branch__path")
    return qs.filter(pk__in=User.objects.filter(cond).values("pk"))


def fill_group_counts(rows: list[OrgStats]) -> list[OrgStats]:
    """Members of a 党小组 belong to its branch; count them by group for the 党小组 rows (one query)."""
    groups = {s.org.pk: s for s in rows if s.org.kind == OrgKind.GROUP}
    if groups:
        counts = (Member.objects.filter(group_id__in=list(groups)).values_list("group_id", "category")
                  .annotate(n=Count("id")).order_by())
        for group_id, category, n in counts:
            groups[group_id].subtree_by_category[category] = n
    return rows


def find_visible_org(user, text: str) -> Organization | None:
    """A visible organization by code, or by exact name when that is unique (for filter inputs)."""
    text = (text or "").strip()
    if not text:
        return None
    visible = Organization.objects.filter(get_scope(user).org_q())
    org = visible.filter(code=text).first()
    if org is None:
        named = list(visible.filter(name=text)[:2])
        org = named[0] if len(named) == 1 else None
    return org
