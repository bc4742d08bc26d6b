"""Generate the demo group straight into the database: organizations, teams, members, posts and demo logins.

    generate(branches=None, members=None, seed=2024)          # the default demo: ~24 branches, ~600 people
    generate(branches=2000, members=60000, seed=1)           # the reference scale of the benchmarks

With activities (the default), a year of organizational life follows: see dangjian/demo/activities.py.

Deterministic for a seed (and the day it runs: terms and recent dates are placed relative to today).
Rows go in with bulk_create; tree paths are computed here as treebeard would (steplen 4), so that
`Organization.objects.find_problems()` finds nothing. There is no audit entry per row: this is seed data.
"""

import datetime as dt
import random
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Count, Q

from dangjian.core.models import AuditEntry, LoginFailure
from dangjian.orgs.models import (
    Category,
    Member,
    MemberPost,
    Organization,
    OrgKind,
    PartyPost,
    Role,
    RoleGrant,
    User,
    WorkStatus,
    WorkTeam,
)

from .activities import ActivitySummary, delete_activities, generate_activities
from .assessment import delete_assessment, generate_assessment
from .people import PARTY, BranchBuild, People
from .plan import (
    ALPHABET,
    LARGEST,
    ROOT_CODE,
    TINY,
    OrgPlan,
    assign_paths,
    assign_sizes,
    minimum_members,
    plan_tree,
)
from .points import PointsSummary, delete_points, generate_points

VERSION = 4  # bump when a seed would give different data (the benchmarks regenerate their dataset)
DEFAULT_BRANCHES = 24
DEFAULT_MEMBERS = 600
DEFAULT_SEED = 2024
BATCH_SIZE = 2000
DEMO_PASSWORD = "demo12345"
POINTS_MAX_MEMBERS = 20000  # larger groups (the benchmarks' reference scale) get no demo points: bench_points accrues
DEMO_USERNAMES = ["admin", "zuzhibu", "zongzhi", "shuji1", "shuji2", "weiyuan", "dangyuan1", "dangyuan2"]

Login = tuple[str, str, str, str]  # username, password, role, scope


@dataclass
class DemoSummary:
    seed: int
    branches: int
    members: int
    orgs_by_kind: dict[str, int] = field(default_factory=dict)  # Chinese label → count
    members_by_category: dict[str, int] = field(default_factory=dict)
    teams: int = 0
    red_teams: int = 0
    seconds: float = 0.0
    logins: list[Login] = field(default_factory=list)
    activities: ActivitySummary | None = None  # the year of organizational life, if generated
    points: PointsSummary | None = None  # the year of member points, if generated

    @property
    def gaps(self) -> list[str]:
        """The deliberate gaps in the activity records, as Chinese sentences."""
        return self.activities.gaps if self.activities else []

    def lines(self) -> list[str]:
        out = [f"已生成演示数据（随机种子 {self.seed}），用时 {self.seconds:.1f} 秒："]
        out += count_lines(self.orgs_by_kind, self.members_by_category, self.teams, self.red_teams)
        if self.activities is not None:
            out += self.activities.lines()
        if self.points is not None:
            out += self.points.lines()
        return out


def count_lines(orgs_by_kind: dict[str, int], members_by_category: dict[str, int], teams: int,
                red_teams: int) -> list[str]:
    total = sum(members_by_category.values())
    return [
        "  党组织：" + "，".join(f"{label} {n} 个" for label, n in orgs_by_kind.items()),
        f"  人员：共 {total} 人（" + "，".join(f"{label} {n}" for label, n in members_by_category.items()) + "）",
        f"  班组：{teams} 个，其中红色班组（有党员）{red_teams} 个",
    ]


def database_counts() -> tuple[dict[str, int], dict[str, int], int, int]:
    """Counts of what is in the database now, by kind and category (4 queries)."""
    kinds = dict(Organization.objects.values_list("kind").annotate(n=Count("id")).order_by())
    cats = dict(Member.objects.values_list("category").annotate(n=Count("id")).order_by())
    teams = WorkTeam.objects.count()
    red = (WorkTeam.objects.filter(members__category__in=PARTY).values("id").distinct().count())
    return ({k.label: kinds.get(k.value, 0) for k in OrgKind},
            {c.label: cats.get(c.value, 0) for c in Category}, teams, red)


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def generate(*, branches: int | None = None, members: int | None = None, seed: int = DEFAULT_SEED,
             with_users: bool = True, stdout=None, today: dt.date | None = None,
             with_activities: bool = True, with_points: bool | None = None) -> DemoSummary:
    """Write a demo group into the current database and return what was made.

    Raises ValueError (Chinese message) for sizes that cannot hold the deliberate gaps, or when the demo
    group already exists; nothing is written then. A demo login whose username is taken is left alone.
    """
    started = time.perf_counter()
    branches, members = check_sizes(branches, members)
    today = today or dt.date.today()
    if Organization.objects.filter(code=ROOT_CODE).exists():
        raise ValueError(f"组织编码“{ROOT_CODE}”已存在：数据库中已有演示数据")

    rng = random.Random(seed)
    _say(stdout, f"正在规划组织结构（{branches} 个党支部，{members} 人，随机种子 {seed}）…")
    root, branch_plans = plan_tree(rng, branches=branches, today=today)
    assign_sizes(rng, branch_plans, members)
    people = People(rng, today)
    builds = [people.build_branch(b) for b in branch_plans]
    _mark_teams_without_party_members(rng, builds)
    for build in builds:
        people.staff_teams(build)
    ordered = assign_paths(root, _next_root_position())

    summary = DemoSummary(seed=seed, branches=branches, members=members)
    with transaction.atomic():
        _say(stdout, f"正在写入党组织 {len(ordered)} 个…")
        _write_orgs(ordered)
        teams = [t for b in builds for t in b.teams]
        _say(stdout, f"正在写入班组 {len(teams)} 个、人员 {members} 人…")
        _write_rows(builds, teams)
        if with_users:
            taken = _create_users(root, builds)
            if taken:
                _say(stdout, f"已有同名账号，未作改动：{'、'.join(taken)}")
            summary.logins = existing_logins()
        if with_activities:
            assert root.instance is not None
            summary.activities = generate_activities(builds, root.instance, seed=seed, today=today, stdout=stdout)
            if with_points if with_points is not None else members <= POINTS_MAX_MEMBERS:
                summary.points = generate_points(root.instance, seed=seed, today=today, stdout=stdout)
            if summary.points is not None:  # after the points: the assessment schemes read the members' points
                generate_assessment(root.instance, seed=seed, today=today, stdout=stdout)
    kinds = Counter(node.kind for node in ordered)
    cats = Counter(m.category for b in builds for m in b.members)
    summary.orgs_by_kind = {k.label: kinds.get(k.value, 0) for k in OrgKind}
    summary.members_by_category = {c.label: cats.get(c.value, 0) for c in Category}
    summary.teams = len(teams)
    summary.red_teams = sum(1 for b in builds for t in b.teams
                            if any(m._demo_team is t and m.category in PARTY for m in b.members))
    summary.seconds = time.perf_counter() - started
    return summary


def check_sizes(branches: int | None, members: int | None) -> tuple[int, int]:
    """The sizes to use (defaults filled in); ValueError with a Chinese message if they cannot work."""
    branches = DEFAULT_BRANCHES if branches is None else branches
    members = DEFAULT_MEMBERS if members is None else members
    if branches < 5:
        raise ValueError("党支部数至少为5个")
    if branches > 20000:
        raise ValueError("党支部数不能超过20000个")
    if members < minimum_members(branches):
        raise ValueError(f"人数太少：{branches}个党支部至少需要{minimum_members(branches)}人")
    if members > 200 * branches:
        raise ValueError(f"人数太多：{branches}个党支部最多{200 * branches}人")
    return branches, members


def _next_root_position() -> int:
    last = Organization.objects.filter(depth=1).order_by("-path").values_list("path", flat=True).first()
    return 1 if last is None else int(last, len(ALPHABET)) + 1


def _mark_teams_without_party_members(rng: random.Random, builds: list[BranchBuild]) -> None:
    """A few teams (about 2%, at least 3) have no party member yet: the red-team coverage is not 100%."""
    eligible = [t for b in builds if len(b.teams) >= 2 and TINY not in b.plan.tags for t in b.teams[1:]]
    for team in rng.sample(eligible, min(len(eligible), max(3, round(0.02 * len(eligible))))):
        team._demo_red = False


def _write_orgs(ordered: list[OrgPlan]) -> None:
    rows = []
    for node in ordered:
        node.instance = Organization(
            code=node.code, name=node.name, kind=node.kind, founded_on=node.founded_on,
            term_started_on=node.term_started_on, term_years=node.term_years,
            path=node.path, depth=node.depth, numchild=len(node.children))
        rows.append(node.instance)
    Organization.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _write_rows(builds: list[BranchBuild], teams: list[WorkTeam]) -> None:
    for b in builds:
        for team in b.teams:
            team.branch = b.plan.instance
    WorkTeam.objects.bulk_create(teams, batch_size=BATCH_SIZE)
    rows = []
    for b in builds:
        for m in b.members:
            m.branch = b.plan.instance
            m.group = m._demo_group.instance if m._demo_group is not None else None
            m.team = m._demo_team
            rows.append(m)
    Member.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    MemberPost.objects.bulk_create(
        [MemberPost(member_id=m.pk, post=post) for b in builds for m, post in b.posts], batch_size=BATCH_SIZE)
    linked = []
    for team in teams:
        if team._demo_contact is not None:
            team.contact_member_id = team._demo_contact.pk
            linked.append(team)
    WorkTeam.objects.bulk_update(linked, ["contact_member"], batch_size=BATCH_SIZE)


# --- demo logins ---------------------------------------------------------------------------------


def _plain_member(build: BranchBuild) -> Member | None:
    for m in build.members:
        if m.category == Category.FULL and m.work_status == WorkStatus.WORKING and not build.has_post(m):
            return m
    return None


def _create_users(root: OrgPlan, builds: list[BranchBuild]) -> list[str]:
    """Create the demo logins; returns the usernames that were already taken (and left as they are)."""
    largest = next(b for b in builds if LARGEST in b.plan.tags)
    division = largest.plan.parent if largest.plan.parent is not root else None
    divisions = [c for c in root.children if c.kind == OrgKind.GENERAL_BRANCH]
    division = division or (divisions[0] if divisions else root)
    others = [b for b in builds if b is not largest and b.plan.profile != "retiree" and TINY not in b.plan.tags]
    direct = [b for b in others if b.plan.parent is root]
    second = direct[0] if direct else others[0]
    elsewhere = [b for b in others if b is not second and b.plan.parent is not division] or \
        [b for b in others if b is not second]
    plain_elsewhere = next((m for b in elsewhere if (m := _plain_member(b)) is not None), None)

    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the same demo password for every login
    specs: list[tuple[str, str, Member | None, bool, list[tuple[str, OrgPlan]]]] = [
        ("admin", "系统管理员", None, True, []),
        ("zuzhibu", f"{root.name}组织部", None, False, [(Role.ORG_ADMIN, root)]),
        ("zongzhi", f"{division.name}", None, False, [(Role.ORG_ADMIN, division)]),
        ("shuji1", "", largest.holders[PartyPost.SECRETARY], False, [(Role.BRANCH_SECRETARY, largest.plan)]),
        ("shuji2", "", second.holders[PartyPost.SECRETARY], False, [(Role.BRANCH_SECRETARY, second.plan)]),
        ("weiyuan", "", largest.holders.get(PartyPost.ORGANIZATION), False,
         [(Role.BRANCH_COMMITTEE, largest.plan)]),
        ("dangyuan1", "", _plain_member(largest), False, []),
        ("dangyuan2", "", plain_elsewhere, False, []),
    ]
    taken = set(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
    users, grants = [], []
    for username, display, member, superuser, roles in specs:
        if username in taken or (member is None and not superuser and not roles):
            continue
        user = User(username=username, password=password_hash, display_name=display or (member.name if member
                    else username), member=member, is_superuser=superuser, is_staff=superuser)
        users.append(user)
        grants += [(user, role, org) for role, org in roles]
    User.objects.bulk_create(users)
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role=role, org=org.instance) for u, role, org in grants])
    return [name for name in DEMO_USERNAMES if name in taken]


def existing_logins() -> list[Login]:
    """The demo logins that exist now, with their role and scope; the password if it is still the demo one."""
    users = (User.objects.filter(username__in=DEMO_USERNAMES).select_related("member__branch")
             .prefetch_related("roles__org"))
    by_name = {u.username: u for u in users}
    checked: dict[str, bool] = {}
    out: list[Login] = []
    for username in DEMO_USERNAMES:
        user = by_name.get(username)
        if user is None:
            continue
        if user.password not in checked:
            checked[user.password] = check_password(DEMO_PASSWORD, user.password)
        password = DEMO_PASSWORD if checked[user.password] else "（非演示密码）"
        grants = list(user.roles.all())
        if user.is_superuser:
            role, scope = "系统管理员", "全部组织"
        elif grants:
            role = "、".join(dict.fromkeys(g.get_role_display() for g in grants))
            scope = "、".join(g.org.name + ("及下级组织" if g.role == Role.ORG_ADMIN else "") for g in grants)
        elif user.member_id:
            role, scope = "党员", "本人"
        else:
            role, scope = "无角色", "—"
        if user.member_id:
            scope += f"（{user.member.name}，{user.member.branch.name}）" if not grants else f"（{user.member.name}）"
        out.append((username, password, role, scope))
    return out


def reset_demo_data() -> None:
    """Delete every activity, organization, member, team, login and audit entry (the `demo --reset` command)."""
    with transaction.atomic():
        delete_assessment()
        delete_points()
        delete_activities()
        AuditEntry.objects.all().delete()
        LoginFailure.objects.all().delete()
        User.objects.all().delete()
        WorkTeam.objects.update(contact_member=None)
        Member.objects.filter(Q(team__isnull=False) | Q(group__isnull=False)).update(team=None, group=None)
        WorkTeam.objects.all().delete()
        MemberPost.objects.all().delete()
        Member.objects.all().delete()
        Organization.objects.all().delete()


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def logins_table(logins: list[Login]) -> list[str]:
    """The logins as aligned lines of text for the terminal."""
    header = ("用户名", "密码", "角色", "范围")
    rows = [header, *logins]
    widths = [max(display_width(r[i]) for r in rows) for i in range(3)]
    lines = []
    for r in rows:
        cells = [r[i] + " " * (widths[i] - display_width(r[i])) for i in range(3)]
        lines.append("  " + "  ".join(cells) + "  " + r[3])
    return lines
