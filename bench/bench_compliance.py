"""Benchmark: the whole compliance check (规范化检查) of the reference-scale group.

    .venv/bin/python bench/bench_compliance.py [--repeat 3]

What `check_compliance --org <group> --year <year of the data>` does, without printing: the facts of the
whole subtree (dangjian.compliance.facts.load_facts, with the look-back the pack needs) and the engine
(dangjian.compliance.engine.check), as of the day the data was generated. Reports the median, the SQL
queries of one run, the number of findings, and the ratio to the bare SQL aggregate of the same counts:
the activities of the subtree in the period with their attendance counts (all / present) for the quorum,
and the attendance of every member per month and status for the absence rule.
"""

import argparse
import sys

import common
from bench_member_list import subtree_range
from bench_month import activities_where


def _month_sql(column: str) -> str:
    """The calendar month of a timestamp (UTC is good enough for a lower bound)."""
    return f"to_char({column}, 'YYYY-MM')" if common.is_postgres() else f"strftime('%Y-%m', {column})"


def _bare_compliance(root, start, end):
    from django.db import connection

    from dangjian.meetings.models import Activity, Attendance
    from dangjian.orgs.models import Member, Organization

    a, t = Activity._meta.db_table, Attendance._meta.db_table
    o, m = Organization._meta.db_table, Member._meta.db_table
    params = subtree_range(root.path) + [connection.ops.adapt_datetimefield_value(x) for x in (start, end)]
    orgs_sql = f"SELECT id, code, name, kind, path, founded_on, term_started_on, term_years FROM {o} WHERE path >= %s AND path < %s"
    members_sql = (f"SELECT id, name, branch_id, category, admitted_on, full_on FROM {m} WHERE branch_id IN "
                   f"(SELECT id FROM {o} WHERE path >= %s AND path < %s)")
    activities_sql = (f"SELECT a.id, a.code, a.org_id, a.kind, a.starts_at, a.status, COUNT(t.id), "
                      f"SUM(CASE WHEN t.status = 'present' THEN 1 ELSE 0 END) FROM {a} a "
                      f"LEFT JOIN {t} t ON t.activity_id = a.id WHERE {activities_where()} GROUP BY a.id")
    attendance_sql = (f"SELECT t.member_id, {_month_sql('a.starts_at')}, t.status, COUNT(*) FROM {t} t "
                      f"JOIN {a} a ON a.id = t.activity_id WHERE {activities_where()} GROUP BY 1, 2, 3")

    def run():
        with connection.cursor() as cur:
            for sql, args in ((orgs_sql, params[:2]), (members_sql, params[:2]), (activities_sql, params),
                              (attendance_sql, params)):
                cur.execute(sql, args)
                cur.fetchall()

    return run


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    label = common.setup()

    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.compliance.engine import add_months, check, lookback_months
    from dangjian.compliance.facts import load_facts, local_start
    from dangjian.compliance.pack import load_pack
    from dangjian.meetings.models import Activity
    from dangjian.orgs.models import Organization

    root = Organization.objects.filter(depth=1).order_by("path").first()
    as_of = common.reference_today()
    year = as_of.year
    pack = load_pack()
    lookback = lookback_months(pack)
    start, end = local_start(add_months(dt.date(year, 1, 1), -lookback)), local_start(dt.date(year + 1, 1, 1))
    n_activities = Activity.objects.filter(starts_at__gte=start, starts_at__lt=end).count()
    print(f"# 数据库：{label}；集团：{root.name}（{root.code}），{year}年度，截至{as_of.isoformat()}；"
          f"检查范围内活动 {n_activities:,} 次（含此前 {lookback} 个月）", flush=True)

    outcome = {}

    def run():
        result = check(load_facts(root, year, lookback), pack, year, as_of)
        outcome["findings"] = len(result.findings)

    with CaptureQueriesContext(connection) as ctx:
        run()
    queries = len(ctx.captured_queries)
    bare = common.median_time(_bare_compliance(root, start, end), repeat=args.repeat)
    seconds = common.median_time(run, repeat=args.repeat, warmup=0)
    line = common.figure("compliance_check_reference_group", seconds, queries=queries, bare=bare,
                         note=f"{outcome['findings']:,} 项发现")
    print(line, flush=True)
    return [line]


if __name__ == "__main__":
    main(sys.argv[1:])
