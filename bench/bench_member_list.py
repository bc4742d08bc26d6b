"""Benchmark: the member list of the largest branch, its org detail page and the org tree, at reference scale.

    .venv/bin/python bench/bench_member_list.py [--repeat 7]

Each page is fetched through django.test.Client as a logged-in user (force_login), warm, several times;
the figure is the median, with the number of SQL queries of one request and the ratio to the bare SQL
(raw cursor) that fetches the same rows and counts: the floor for any implementation on this database.
"""

import argparse
import sys

import common


def subtree_range(path: str) -> list[str]:
    """The subtree of a path as an index-friendly range: paths use 0-9A-Z only, and "a" sorts after them.

    (SQLite cannot use an index for Django's `path LIKE 'x%' ESCAPE '\\'`; the floor is the best SQL.)
    """
    return [path, path + "a"]


def _bare_member_page(path: str, page_size: int):
    from django.db import connection

    from dangjian.orgs.models import Member, Organization, WorkTeam

    m, o, t = Member._meta.db_table, Organization._meta.db_table, WorkTeam._meta.db_table
    rows_sql = (
        f"SELECT m.*, b.code, b.name, g.code, g.name, t.code, t.name FROM {m} m "
        f"JOIN {o} b ON b.id = m.branch_id LEFT JOIN {o} g ON g.id = m.group_id "
        f"LEFT JOIN {t} t ON t.id = m.team_id "
        f"WHERE b.path >= %s AND b.path < %s ORDER BY b.path, m.name, m.id LIMIT {page_size}"
    )
    count_sql = f"SELECT COUNT(*) FROM {m} m JOIN {o} b ON b.id = m.branch_id WHERE b.path >= %s AND b.path < %s"

    def run():
        with connection.cursor() as cur:
            cur.execute(count_sql, subtree_range(path))
            cur.fetchone()
            cur.execute(rows_sql, subtree_range(path))
            cur.fetchall()

    return run


def _bare_org_detail(org):
    """The branch row, its counts by category, committee posts and teams with their party members."""
    from django.db import connection

    from dangjian.orgs.models import COMMITTEE_POSTS, Member, MemberPost, Organization, WorkTeam

    m, o, t, p = (Member._meta.db_table, Organization._meta.db_table, WorkTeam._meta.db_table,
                  MemberPost._meta.db_table)
    marks = ", ".join(["%s"] * len(COMMITTEE_POSTS))

    def run():
        with connection.cursor() as cur:
            cur.execute(f"SELECT * FROM {o} WHERE code = %s", [org.code])
            cur.fetchall()
            cur.execute(f"SELECT m.category, COUNT(*) FROM {m} m JOIN {o} b ON b.id = m.branch_id "
                        f"WHERE b.path >= %s AND b.path < %s GROUP BY m.category", subtree_range(org.path))
            cur.fetchall()
            cur.execute(f"SELECT COUNT(DISTINCT p.member_id) FROM {p} p JOIN {m} m ON m.id = p.member_id "
                        f"WHERE m.branch_id = %s AND p.post IN ({marks})", [org.pk, *COMMITTEE_POSTS])
            cur.fetchall()
            cur.execute(f"SELECT t.id, t.code, t.name, COUNT(m.id) FROM {t} t LEFT JOIN {m} m ON m.team_id = t.id "
                        f"AND m.category IN ('full', 'probationary') WHERE t.branch_id = %s GROUP BY t.id, t.code, "
                        f"t.name", [org.pk])
            cur.fetchall()

    return run


def _bare_tree():
    """Every organization with the member counts by branch and category (what a counted tree needs)."""
    from django.db import connection

    from dangjian.orgs.models import Member, Organization

    m, o = Member._meta.db_table, Organization._meta.db_table

    def run():
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, path, depth, code, name, kind, term_started_on, term_years FROM {o} "
                        f"ORDER BY path")
            cur.fetchall()
            cur.execute(f"SELECT branch_id, category, COUNT(*) FROM {m} GROUP BY branch_id, category")
            cur.fetchall()

    return run


def _page(client, url: str):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} 返回 {response.status_code}")
        return response

    with CaptureQueriesContext(connection) as ctx:
        response = run()
    body = response.content.decode("utf-8", "replace")
    note = "占位页面（界面尚未完成）" if len(body) < 200 and "建设中" in body else ""
    return run, len(ctx.captured_queries), note


def _secretary_user(branch):
    """The user holding 支部书记 of the branch (the demo's shuji1); one is made if the dataset has none."""
    from dangjian.orgs.models import MemberPost, PartyPost, Role, RoleGrant, User

    grant = RoleGrant.objects.filter(org=branch, role=Role.BRANCH_SECRETARY).select_related("user").first()
    if grant:
        return grant.user
    member = MemberPost.objects.get(member__branch=branch, post=PartyPost.SECRETARY).member
    user = User.objects.create_user("bench_secretary", member=member)
    RoleGrant.objects.create(user=user, role=Role.BRANCH_SECRETARY, org=branch)
    return user


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    label = common.setup()

    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from dangjian.orgs.models import Member, Organization, User

    branch_id = (Member.objects.values("branch_id").annotate(n=Count("id")).order_by("-n")
                 .values_list("branch_id", flat=True).first())
    branch = Organization.objects.get(pk=branch_id)
    size = Member.objects.filter(branch=branch).count()
    admin = User.objects.filter(is_superuser=True).order_by("id").first() or User.objects.create_superuser(
        "bench_admin", password=None)
    print(f"# 数据库：{label}；最大党支部：{branch.name}（{branch.code}，{size} 人）")

    lines = []
    bare_list = common.median_time(_bare_member_page(branch.path, settings.PAGE_SIZE), repeat=args.repeat)
    url = reverse("member_list") + f"?org={branch.code}"
    for who, user in [("系统管理员", admin), ("支部书记", _secretary_user(branch))]:
        client = Client()
        client.force_login(user)
        run, queries, note = _page(client, url)
        seconds = common.median_time(run, repeat=args.repeat)
        lines.append(common.figure(f"member_list_largest_branch[{who}]", seconds, queries=queries,
                                   bare=bare_list, note=note))
        print(lines[-1], flush=True)

    client = Client()
    client.force_login(admin)
    for name, url, bare in [
        ("org_detail_largest_branch", reverse("org_detail", args=[branch.code]), _bare_org_detail(branch)),
        ("org_tree", reverse("org_tree"), _bare_tree()),
    ]:
        run, queries, note = _page(client, url)
        seconds = common.median_time(run, repeat=args.repeat)
        lines.append(common.figure(f"{name}[系统管理员]", seconds, queries=queries,
                                   bare=common.median_time(bare, repeat=args.repeat), note=note))
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
