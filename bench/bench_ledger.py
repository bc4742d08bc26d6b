"""Benchmark: the yearly 台账 of the largest branch as Word and as Excel, at reference scale.

    .venv/bin/python bench/bench_ledger.py [--repeat 5]

GET /meetings/orgs/<largest branch>/ledger/<year>.docx and .xlsx as the branch's secretary, through
django.test.Client (force_login), the whole file read, warm, several times: the median, the SQL queries of
one request, and the ratio to the bare SQL of its rows — the year's activities of the branch and its 党小组s
(with organization and host/recorder/lecturer names), their attendance rows with the members' names, and the
branch's roster of party members and committee posts (who was expected).
"""

import argparse
import sys

import common
from bench_member_list import _secretary_user, subtree_range
from bench_month import activities_where, largest_branch, year_bounds


def _bare_ledger(branch, year: int):
    from django.db import connection

    from dangjian.meetings.models import Activity, Attendance
    from dangjian.orgs.models import COMMITTEE_POSTS, Member, MemberPost, Organization

    a, t, o = Activity._meta.db_table, Attendance._meta.db_table, Organization._meta.db_table
    m, p = Member._meta.db_table, MemberPost._meta.db_table
    params = subtree_range(branch.path) + year_bounds(year)
    activities_sql = (
        f"SELECT a.*, o.code, o.name, h.name, r.name, l.name FROM {a} a JOIN {o} o ON o.id = a.org_id "
        f"LEFT JOIN {m} h ON h.id = a.host_id LEFT JOIN {m} r ON r.id = a.recorder_id "
        f"LEFT JOIN {m} l ON l.id = a.lecturer_id WHERE {activities_where()} ORDER BY a.starts_at, a.id")
    attendance_sql = (
        f"SELECT t.activity_id, t.member_id, mm.name, t.status, t.reason, t.requested_by_member FROM {t} t "
        f"JOIN {m} mm ON mm.id = t.member_id WHERE t.activity_id IN (SELECT a.id FROM {a} a "
        f"WHERE {activities_where()})")
    roster_sql = (
        f"SELECT mm.id, mm.name, mm.category, mm.admitted_on, mm.full_on, mm.branch_id, mm.group_id FROM {m} mm "
        f"WHERE mm.branch_id IN (SELECT id FROM {o} WHERE path >= %s AND path < %s) "
        f"AND mm.category IN ('full', 'probationary')")
    marks = ", ".join(["%s"] * len(COMMITTEE_POSTS))
    posts_sql = (f"SELECT p.member_id FROM {p} p JOIN {m} mm ON mm.id = p.member_id "
                 f"WHERE mm.branch_id = %s AND p.post IN ({marks})")

    def run():
        with connection.cursor() as cur:
            cur.execute(activities_sql, params)
            cur.fetchall()
            cur.execute(attendance_sql, params)
            cur.fetchall()
            cur.execute(roster_sql, subtree_range(branch.path))
            cur.fetchall()
            cur.execute(posts_sql, [branch.pk, *COMMITTEE_POSTS])
            cur.fetchall()

    return run


def _download(client, url: str):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run() -> bytes:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} 返回 {response.status_code}")
        return b"".join(response.streaming_content) if response.streaming else response.content

    with CaptureQueriesContext(connection) as ctx:
        body = run()
    note = "占位页面（导出尚未完成）" if len(body) < 200 and "建设中".encode() in body else ""
    return run, len(ctx.captured_queries), len(body), note


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    label = common.setup()

    from django.test import Client
    from django.urls import reverse

    from dangjian.core.treepaths import subtree_q
    from dangjian.meetings.models import Activity, Attendance

    branch = largest_branch()
    year, _ = common.reference_month()
    activities = Activity.objects.filter(subtree_q(branch.path, "org__path"), starts_at__year=year).count()
    attendance = Attendance.objects.filter(subtree_q(branch.path, "activity__org__path"),
                                           activity__starts_at__year=year).count()
    print(f"# 数据库：{label}；最大党支部：{branch.name}（{branch.code}），{year}年台账："
          f"活动 {activities} 次、出勤 {attendance} 条")

    client = Client()
    client.force_login(_secretary_user(branch))
    bare = common.median_time(_bare_ledger(branch, year), repeat=args.repeat)
    lines = []
    for name, kind in [("ledger_docx_largest_branch", "docx"), ("ledger_xlsx_largest_branch", "xlsx")]:
        run, queries, size, note = _download(client, reverse(f"ledger_{kind}", args=[branch.code, year]))
        seconds = common.median_time(run, repeat=args.repeat)
        lines.append(common.figure(f"{name}[支部书记]", seconds, queries=queries, bare=bare,
                                   note=note or f"{size / 1024:.0f} KB"))
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
