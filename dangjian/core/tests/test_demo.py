"""The demo generator and the `demo` command: valid data, a sound tree, the deliberate gaps, the logins."""

import datetime as dt
import hashlib
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from dangjian.core.idcard import parse_id_number
from dangjian.core.scoping import get_scope
from dangjian.demo.generator import DEMO_PASSWORD, DEMO_USERNAMES, generate, reset_demo_data
from dangjian.orgs import rules, services
from dangjian.orgs.models import (
    COMMITTEE_POSTS,
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
from dangjian.orgs.selectors import coverage_by_branch, org_stats, subtree
from dangjian.orgs.services import org_ref

SMALL = {"branches": 6, "members": 200}


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """The default demo's organizations, people and activities, as `manage.py demo` makes them (its points and
    assessments are tested in their own apps; the demo command test below runs the whole of it)."""
    return generate(seed=2024, with_points=False)


def root() -> Organization:
    return Organization.objects.get(depth=1)


def digest() -> str:
    """A fingerprint of every generated row, by natural keys (not database ids or timestamps)."""
    h = hashlib.sha256()
    queries = [
        Organization.objects.order_by("path").values_list(
            "code", "name", "kind", "path", "depth", "numchild", "founded_on", "term_started_on", "term_years"),
        WorkTeam.objects.order_by("code").values_list(
            "code", "name", "branch__code", "staff_count", "contact_member__id_number"),
        Member.objects.order_by("id_number").values_list(
            "id_number", "name", "gender", "birth_date", "category", "branch__code", "group__code", "team__code",
            *rules.MEMBER_DATE_FIELDS, "ethnicity", "education", "job_post", "admin_title", "phone", "work_status"),
        MemberPost.objects.order_by("member__id_number", "post").values_list("member__id_number", "post"),
        User.objects.order_by("username").values_list("username", "display_name", "is_superuser",
                                                      "member__id_number"),
        RoleGrant.objects.order_by("user__username", "role").values_list("user__username", "role", "org__code"),
    ]
    for qs in queries:
        for row in qs:
            h.update(repr(row).encode())
    return h.hexdigest()


def test_default_demo_passes_the_shared_rules(demo) -> None:
    orgs = {o.pk: o for o in Organization.objects.all()}
    teams = {t.pk: t for t in WorkTeam.objects.all()}
    posts: dict[int, list[str]] = {}
    for member_id, post in MemberPost.objects.values_list("member_id", "post"):
        posts.setdefault(member_id, []).append(post)
    members = list(Member.objects.all())
    assert len(members) == 600
    for m in members:
        data = rules.MemberData(
            id_number=m.id_number, name=m.name, category=m.category, branch=org_ref(orgs[m.branch_id]),
            group=org_ref(orgs.get(m.group_id)),
            team_branch_code=orgs[teams[m.team_id].branch_id].code if m.team_id else None,
            posts=posts.get(m.pk, []), phone=m.phone, work_status=m.work_status,
            **{f: getattr(m, f) for f in rules.MEMBER_DATE_FIELDS})
        assert rules.check_member(data) == [], (m.name, m.id_number)
        info = parse_id_number(m.id_number)
        assert (info.birth_date, info.gender) == (m.birth_date, m.gender)
        assert dt.date(1962, 1, 1) <= m.birth_date <= dt.date(2004, 12, 31)
    assert Counter(m.id_number[:4] for m in members).most_common(1)[0][0] == "3501"  # mostly Fuzhou

    by_path = {o.path: o for o in orgs.values()}
    for o in orgs.values():
        parent = by_path.get(o.path[:-4]) if o.depth > 1 else None
        assert rules.check_org(code=o.code, name=o.name, kind=o.kind, parent=org_ref(parent),
                               founded_on=o.founded_on, term_started_on=o.term_started_on,
                               term_years=o.term_years) == [], o.code
    members_by_pk = {m.pk: m for m in members}
    for t in teams.values():
        contact = members_by_pk.get(t.contact_member_id) if t.contact_member_id is not None else None
        assert rules.check_team(
            code=t.code, name=t.name, branch=org_ref(orgs[t.branch_id]), staff_count=t.staff_count,
            contact_category=contact.category if contact else None,
            contact_branch_code=orgs[contact.branch_id].code if contact else None) == [], t.code
        assert t.staff_count is not None and t.staff_count >= sum(1 for m in members if m.team_id == t.pk)

    # One 书记 per branch, one 党小组长 per group, posts only for full members.
    secretaries = Counter(MemberPost.objects.filter(post=PartyPost.SECRETARY).values_list("member__branch_id",
                                                                                          flat=True))
    branches = [o for o in orgs.values() if o.kind == OrgKind.BRANCH]
    assert all(secretaries[b.pk] == 1 for b in branches)
    leaders = Counter(MemberPost.objects.filter(post=PartyPost.GROUP_LEADER).values_list("member__group_id",
                                                                                        flat=True))
    assert all(leaders[o.pk] == 1 for o in orgs.values() if o.kind == OrgKind.GROUP)


def test_default_demo_looks_like_a_port_group(demo):
    kinds = Counter(Organization.objects.values_list("kind", flat=True))
    assert kinds[OrgKind.COMMITTEE] == 1 and kinds[OrgKind.GENERAL_BRANCH] >= 3
    assert kinds[OrgKind.BRANCH] == 24 and kinds[OrgKind.GROUP] > 0
    assert root().name == "榕港物流集团党委"
    names = set(Organization.objects.values_list("name", flat=True))
    assert {"码头作业党总支", "集装箱码头党支部", "装卸一队党支部", "理货公司党支部", "机关第一党支部"} <= names
    # Some branches sit straight under the 党委.
    assert Organization.objects.filter(kind=OrgKind.BRANCH, depth=2).exists()

    cats = Counter(Member.objects.values_list("category", flat=True))
    assert set(cats) == set(Category.values)
    assert cats[Category.FULL] > sum(cats.values()) / 2
    assert cats[Category.PROBATIONARY] > cats[Category.APPLICANT] / 2
    assert Member.objects.filter(work_status=WorkStatus.RETIRED).exists()
    assert Member.objects.exclude(ethnicity="汉族").count() < Member.objects.filter(ethnicity="汉族").count() / 10
    # 双向进入、交叉任职: several secretaries hold an admin post too.
    assert Member.objects.filter(posts__post=PartyPost.SECRETARY).exclude(admin_title="").count() >= 3
    # Larger branches have a committee; most teams have a "1+1" contact member.
    committee_sizes = Counter(MemberPost.objects.filter(post__in=COMMITTEE_POSTS)
                              .values_list("member__branch_id", flat=True))
    assert max(committee_sizes.values()) >= 4
    teams = WorkTeam.objects.count()
    assert WorkTeam.objects.filter(contact_member__isnull=False).count() > teams * 0.6
    assert set(WorkTeam.objects.values_list("name", flat=True)) & {"装卸一班", "龙门吊班", "理货一班", "机修班"}


def test_generated_tree_is_sound_for_treebeard(demo):
    assert all(problems == [] for problems in Organization.objects.find_problems())
    branch = Organization.objects.get(name="集装箱码头党支部")
    children = list(Organization.objects.get_children(branch))
    assert children and all(c.kind == OrgKind.GROUP for c in children)
    assert Organization.objects.get_parent(branch).name == "码头作业党总支"
    # The manager API keeps working on the bulk-written tree.
    group = services.org_create(actor=None, parent=branch, code="RG-NEW", name="新党小组", kind=OrgKind.GROUP)
    assert group.path.startswith(branch.path) and group.depth == branch.depth + 1
    assert all(problems == [] for problems in Organization.objects.find_problems())


def test_default_demo_has_the_deliberate_structure_gaps(demo):
    stats = org_stats(subtree(root()))
    codes = Counter(w.code for s in stats.values() for w in s.warnings)
    for code in ("ORG-SIZE-MIN", "ORG-COMMITTEE", "ORG-SIZE-MAX", "ORG-TERM-OVERDUE", "ORG-TERM-DUE"):
        assert codes[code] >= 1, code
    # …but they are the exception, not the rule.
    branches = [s for s in stats.values() if s.org.kind == OrgKind.BRANCH]
    assert sum(1 for s in branches if s.warnings) <= 6
    largest = max(branches, key=lambda s: sum(s.by_category.values()))
    assert [w.code for w in largest.warnings] == ["ORG-SIZE-MAX"]
    sizes = sorted(sum(s.by_category.values()) for s in branches)
    assert sizes[-1] > sizes[-2] + 10  # one clearly largest branch
    tiny = next(s for s in branches if any(w.code == "ORG-SIZE-MIN" for w in s.warnings))
    assert tiny.full_members == 2
    coverage = coverage_by_branch(root())
    not_red = sum(c.teams - c.red_teams for c in coverage.values())
    assert 1 <= not_red <= 5


def test_demo_logins_have_their_roles(demo):
    logins = {username: (password, role, scope) for username, password, role, scope in demo.logins}
    assert list(logins) == DEMO_USERNAMES
    assert all(password == DEMO_PASSWORD for password, _, _ in logins.values())
    users = {u.username: u for u in User.objects.select_related("member__branch")}
    assert all(users[name].check_password(DEMO_PASSWORD) for name in DEMO_USERNAMES)

    def grants(name):
        return [(g.role, g.org) for g in RoleGrant.objects.filter(user=users[name]).select_related("org")]

    assert users["admin"].is_superuser and grants("admin") == []
    assert grants("zuzhibu") == [(Role.ORG_ADMIN, root())]
    [(role, division)] = grants("zongzhi")
    assert role == Role.ORG_ADMIN and division.kind == OrgKind.GENERAL_BRANCH
    branches = {}
    for name, role, post in [("shuji1", Role.BRANCH_SECRETARY, PartyPost.SECRETARY),
                             ("shuji2", Role.BRANCH_SECRETARY, PartyPost.SECRETARY),
                             ("weiyuan", Role.BRANCH_COMMITTEE, PartyPost.ORGANIZATION)]:
        [(granted, branch)] = grants(name)
        member = users[name].member
        assert granted == role and branch.kind == OrgKind.BRANCH
        assert member.branch == branch and member.posts.filter(post=post).exists()
        branches[name] = branch
    assert branches["shuji1"] == branches["weiyuan"] != branches["shuji2"]
    assert get_scope(users["zongzhi"]).sees_org(branches["shuji1"])
    assert not get_scope(users["zongzhi"]).sees_org(branches["shuji2"])
    for name in ("dangyuan1", "dangyuan2"):
        member = users[name].member
        assert grants(name) == [] and member.category == Category.FULL and not member.posts.exists()
    assert users["dangyuan1"].member.branch != users["dangyuan2"].member.branch
    assert logins["shuji1"][1:] == ("支部书记", f"{branches['shuji1'].name}（{users['shuji1'].member.name}）")


@pytest.mark.django_db
def test_a_taken_demo_username_is_left_alone():
    mine = User.objects.create_superuser("admin", password="my-own-pass-1")
    summary = generate(**SMALL, seed=5, with_points=False)
    mine.refresh_from_db()
    assert mine.check_password("my-own-pass-1")
    logins = {username: password for username, password, _, _ in summary.logins}
    assert logins["admin"] == "（非演示密码）" and logins["shuji1"] == DEMO_PASSWORD
    assert User.objects.count() == len(DEMO_USERNAMES)


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    today = dt.date(2026, 6, 30)
    generate(**SMALL, seed=7, today=today, with_points=False)
    first = digest()
    reset_demo_data()
    assert not Organization.objects.exists() and not User.objects.exists()
    generate(**SMALL, seed=7, today=today, with_points=False)
    assert digest() == first
    reset_demo_data()
    generate(**SMALL, seed=8, today=today, with_points=False)
    assert digest() != first


@pytest.mark.django_db
def test_scale_mode_keeps_the_shape():
    generate(branches=100, members=2600, seed=1, with_users=False, with_points=False)
    assert not User.objects.exists()
    divisions = Organization.objects.filter(kind=OrgKind.GENERAL_BRANCH)
    assert all(20 <= d.numchild <= 60 for d in divisions)
    sizes = sorted(Counter(Member.objects.values_list("branch_id", flat=True)).values())
    assert sizes[0] >= 4 and sizes[-1] > sizes[-2] + 40 and sizes[-2] <= 80
    assert Member.objects.count() == 2600 and Organization.objects.filter(kind=OrgKind.BRANCH).count() == 100
    assert all(problems == [] for problems in Organization.objects.find_problems())


@pytest.mark.django_db
def test_generate_refuses_sizes_that_cannot_hold_the_demo():
    with pytest.raises(ValueError, match="党支部数至少为5个"):
        generate(branches=3, members=500)
    with pytest.raises(ValueError, match="人数太少"):
        generate(branches=50, members=100)
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_demo_command_generates_skips_and_rebuilds():
    out = io.StringIO()
    call_command("demo", **SMALL, seed=3, stdout=out)
    text = out.getvalue()
    assert "已生成演示数据" in text and "党支部 6 个" in text and "共 200 人" in text
    assert "shuji1" in text and DEMO_PASSWORD in text
    first_ids = set(Member.objects.values_list("id", flat=True))

    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "数据库中已有数据，跳过生成（如需重建请加 --reset）" in text
    assert "zuzhibu" in text and "组织管理员" in text and DEMO_PASSWORD in text
    assert set(Member.objects.values_list("id", flat=True)) == first_ids

    out = io.StringIO()
    call_command("demo", branches=7, members=260, seed=4, reset=True, stdout=out)
    assert "已清空原有数据" in out.getvalue()
    assert Member.objects.count() == 260 and not first_ids & set(Member.objects.values_list("id", flat=True))
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() == 7
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERNAMES)


@pytest.mark.django_db
def test_demo_command_bad_sizes_keep_the_data_and_no_users_means_none(world):
    before = Member.objects.count()
    with pytest.raises(CommandError, match="党支部数至少为5个"):
        call_command("demo", branches=2, reset=True, stdout=io.StringIO())
    assert Member.objects.count() == before and User.objects.filter(username="orgadmin").exists()

    call_command("demo", **SMALL, reset=True, no_users=True, stdout=io.StringIO())
    assert not User.objects.exists()
    assert not Organization.objects.filter(code="ROOT").exists() and Member.objects.count() == 200
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "没有演示账号" in out.getvalue()
