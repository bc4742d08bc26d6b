"""Benchmark: the branch secretary's month page (本月工作) of the largest branch, at reference scale.

    .venv/bin/python bench/bench_month.py [--repeat 7]

GET /meetings/month/?org=<largest branch>&month=<the last complete month of the data>, as the branch's
secretary and as 系统管理员, through django.test.Client (force_login), warm, several times: the median, the
SQL queries of one request, and the ratio to the bare SQL that fetches the same facts — the activities of
the branch and its 党小组s in that year (the page weighs the month against its quarter and year) and their
attendance counts by status.
"""

import argparse
import sys

import common
from bench_member_list import _page, _secretary_user, subtree_range


def largest_branch():
    from django.db.models import Count

    from dangjian.orgs.models import Member, Organization

    branch_id = (Member.objects.values("branch_id").annotate(n=Count("id")).order_by("-n")
                 .values_list("branch_id", flat=True).first())
    return Organization.objects.get(pk=branch_id)


def year_bounds(year: int) -> list:
    """The local calendar year as database values [start, end) for a raw cursor."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    return [connection.ops.adapt_datetimefield_value(dt.datetime(y, 1, 1, tzinfo=tz)) for y in (year, year + 1)]


def activities_where(alias: str = "a") -> str:
    """The year's activities of a subtree, written so that SQLite plans it on the (org, starts_at) index.

    (A plain JOIN on the organization's path lets SQLite start from the starts_at index and scan the whole
    year of every branch; the IN form is the fastest plan on both SQLite and PostgreSQL.)
    """
    from dangjian.orgs.models import Organization

    return (f"{alias}.org_id IN (SELECT id FROM {Organization._meta.db_table} WHERE path >= %s AND path < %s) "
            f"AND {alias}.starts_at >= %s AND {alias}.starts_at < %s")


def _bare_month(branch, year: int):
    from django.db import connection

    from dangjian.meetings.models import Activity, Attendance

    a, t = Activity._meta.db_table, Attendance._meta.db_table
    params = subtree_range(branch.path) + year_bounds(year)
    rows_sql = (f"SELECT a.id, a.kind, a.org_id, a.title, a.starts_at, a.status, a.place FROM {a} a "
                f"WHERE {activities_where()} ORDER BY a.starts_at, a.id")
    counts_sql = (f"SELECT t.activity_id, t.status, COUNT(*) FROM {t} t WHERE t.activity_id IN "
                  f"(SELECT a.id FROM {a} a WHERE {activities_where()}) GROUP BY t.activity_id, t.status")

    def run():
        with connection.cursor() as cur:
            cur.execute(rows_sql, params)
            cur.fetchall()
            cur.execute(counts_sql, params)
            cur.fetchall()

    return run


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    label = common.setup()

    from django.test import Client
    from django.urls import reverse

    from dangjian.core.treepaths import subtree_q
    from dangjian.meetings.models import Activity, Attendance
    from dangjian.orgs.models import User

    branch = largest_branch()
    year, month = common.reference_month()
    in_branch = subtree_q(branch.path, "org__path")
    activities = Activity.objects.filter(in_branch, starts_at__year=year).count()
    attendance = Attendance.objects.filter(subtree_q(branch.path, "activity__org__path"),
                                           activity__starts_at__year=year).count()
    print(f"# 数据库：{label}；最大党支部：{branch.name}（{branch.code}），{year}年{month}月；"
          f"该支部当年活动 {activities} 次、出勤 {attendance} 条；全库活动 {Activity.objects.count():,} 次")

    admin = User.objects.filter(is_superuser=True).order_by("id").first() or User.objects.create_superuser(
        "bench_admin", password=None)
    url = reverse("work_month") + f"?org={branch.code}&month={year}-{month:02d}"
    bare = common.median_time(_bare_month(branch, year), repeat=args.repeat)
    lines = []
    for who, user in [("支部书记", _secretary_user(branch)), ("系统管理员", admin)]:
        client = Client()
        client.force_login(user)
        run, queries, note = _page(client, url)
        seconds = common.median_time(run, repeat=args.repeat)
        lines.append(common.figure(f"month_page_largest_branch[{who}]", seconds, queries=queries, bare=bare,
                                   note=note))
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
