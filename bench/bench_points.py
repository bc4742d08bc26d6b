"""Benchmark: member points (党员积分) of the reference-scale group — the accrual, then the year's totals and ranks.

    .venv/bin/python bench/bench_points.py [--repeat 3]

1. Accrual: `dangjian.points.services.accrue(root=<group>, year=Y)` for each year the reference activities
   touch (the twelve months before the day of generation span two calendar years), as
   `points --org <group> --year Y --accrue` does. The first run on a fresh dataset writes the automatic
   entries (attendance, 志愿服务, 民主评议) — `points_accrue_reference_group`, the year of the table first —;
   accrual is idempotent, so it is run once more at the end (`points_accrue_unchanged`: nothing written, the
   time to check that nothing changed). The entries stay in the dataset (they are what the totals read),
   which stays reusable by every benchmark.
2. Totals and ranks: `dangjian.points.selectors.year_table(<group>, <year of the data>)` — what the ranking
   page, the Excel export, the API and the CLI compute — median of several runs, its SQL queries, and the
   ratio to the bare SQL aggregate of the same entries:
   SELECT member_id, category, SUM(points) FROM <entries> WHERE top_org_id = %s AND year = %s
   GROUP BY member_id, category.
"""

import argparse
import sys
import time

import common


def _bare_aggregate(root, year: int):
    from django.db import connection

    from dangjian.points.models import PointEntry

    table = connection.ops.quote_name(PointEntry._meta.db_table)
    sql = (f"SELECT member_id, category, SUM(points) FROM {table} WHERE top_org_id = %s AND year = %s "
           f"GROUP BY member_id, category")

    def run():
        with connection.cursor() as cur:
            cur.execute(sql, [root.pk, year])
            return cur.fetchall()

    return run


def accrual_years(today) -> list[int]:
    """The calendar years of the reference activities: the twelve months before the month of generation."""
    first_year = today.year if today.month == 12 else today.year - 1
    return list(range(first_year, today.year + 1))


def _accrue(root, years: list[int]) -> tuple[float, int, int]:
    """Accrue the years in turn; returns (seconds, entries written, entries reversed)."""
    from dangjian.points.services import accrue

    created = reversed_ = 0
    started = time.perf_counter()
    for year in years:
        report = accrue(root=root, year=year, actor=None, source="cli")
        created += report.created
        reversed_ += report.reversed
    return time.perf_counter() - started, created, reversed_


def _accrual_line(name: str, years: list[int], seconds: float, created: int, reversed_: int, note: str) -> str:
    line = (f"{name}[{'、'.join(map(str, years))}]: {seconds:.1f} s, {created:,} entries written, "
            f"{reversed_:,} reversed  [{note}]")
    print(line, flush=True)
    return line


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    label = common.setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.orgs.models import Organization
    from dangjian.points.models import PointEntry
    from dangjian.points.selectors import year_table

    root = Organization.objects.filter(depth=1).order_by("path").first()
    today = common.reference_today()
    year = today.year
    others = [y for y in accrual_years(today) if y != year]
    print(f"# 数据库：{label}；集团：{root.name}（{root.code}），积分年度 {year}，"
          f"自动积分计算 {'、'.join(map(str, [year, *others]))} 年度", flush=True)

    # The year of the table first, so that its figures come as early as they can on a fresh dataset.
    lines: list[str] = []
    for years in ([year], others):
        seconds, created, reversed_ = _accrue(root, years)
        if created or reversed_:
            lines.append(_accrual_line("points_accrue_reference_group", years, seconds, created, reversed_,
                                       "首次计算"))

    outcome = {}

    def totals():
        table = year_table(root, year)
        outcome["rows"] = len(table.rows)
        outcome["grades"] = table.grade_counts

    with CaptureQueriesContext(connection) as ctx:
        totals()
    queries = len(ctx.captured_queries)
    year_entries = PointEntry.objects.filter(top_org=root, year=year).count()
    bare = common.median_time(_bare_aggregate(root, year), repeat=args.repeat)
    seconds = common.median_time(totals, repeat=args.repeat, warmup=0)
    grades = "，".join(f"{name} {n:,}" for name, n in outcome["grades"].items())
    line = common.figure("points_year_table_reference_group", seconds, queries=queries, bare=bare,
                         note=f"{outcome['rows']:,} 名党员、{year_entries:,} 条记录；{grades}")
    print(line, flush=True)
    lines.append(line)

    years = [year, *others]
    seconds, created, reversed_ = _accrue(root, years)
    entries = PointEntry.objects.filter(top_org=root).count()
    lines.append(_accrual_line("points_accrue_unchanged", years, seconds, created, reversed_,
                               f"记录未变时重算，应写入 0 条；台账共 {entries:,} 条"))
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
