"""Benchmark: 党支部达标创星 for every branch of the reference-scale group.

    .venv/bin/python bench/bench_assessment.py [--repeat 3]

1. `assessment_dabiao_reference_group`: `dangjian.assessment.selectors.evaluate_subtree("dabiao-chuangxing",
   <group>, <year>)` — the facts of the whole subtree (dangjian.assessment.facts: the compliance engine run once
   for the group, members, pipeline, teams, points, appraisals, rectification tasks, checklists, the reviewer
   scores and veto marks of the current evaluations) and the pure engine, as of the day the data was generated.
2. `assessment_results_json_reference_group`: what `evaluate --scheme dabiao-chuangxing --org <group> --json`, the
   overview page, the Excel export and GET /api/assessment compute: `selectors.results` (frozen results of the
   confirmed evaluations, live ones for the rest) and `selectors.to_json`.
Each is the median of several runs, with its SQL queries and the ratio to the bare SQL that fetches the same
facts (the rows and counts the loader needs, with no Python work on them).

The reference dataset has no assessment records of its own (the generator writes the demo's assessment records
only where it writes the demo points, not at the reference scale): the first run writes them once with the demo
generator's `generate_assessment` (creation lists, posts, every branch's self-assessment, some confirmed, a veto,
…), so that the reviewer scores are read as in real use; later runs find them and reuse them.
"""

import argparse
import sys
import time
from collections import Counter

import common
from bench_member_list import subtree_range
from bench_month import activities_where

SCHEME = "dabiao-chuangxing"


def _bare_facts(root, year: int):
    """The facts of 达标创星 for the subtree, fetched with plain cursors (the floor of any implementation)."""
    import datetime as dt

    from django.db import connection

    from dangjian.assessment.models import ChecklistItem, Evaluation, ItemScore, VetoMark
    from dangjian.compliance.facts import local_start
    from dangjian.compliance.models import RectificationTask
    from dangjian.meetings.models import Activity, Appraisal, Attendance
    from dangjian.orgs.models import COMMITTEE_POSTS, Member, MemberPost, Organization, WorkTeam

    q = connection.ops.quote_name
    o, m, mp, tm = (q(x._meta.db_table) for x in (Organization, Member, MemberPost, WorkTeam))
    a, t, ap = (q(x._meta.db_table) for x in (Activity, Attendance, Appraisal))
    task, check, ev, score, veto = (q(x._meta.db_table) for x in (RectificationTask, ChecklistItem, Evaluation,
                                                                  ItemScore, VetoMark))
    subtree = f"(SELECT id FROM {o} WHERE path >= %s AND path < %s)"
    rng = subtree_range(root.path)
    start, end = (connection.ops.adapt_datetimefield_value(local_start(d))
                  for d in (dt.date(year, 1, 1), dt.date(year + 1, 1, 1)))
    posts = ", ".join(f"'{p}'" for p in COMMITTEE_POSTS)
    statements = [
        (f"SELECT id, code, name, kind, path, founded_on, term_started_on, term_years FROM {o} "
         f"WHERE path >= %s AND path < %s", rng),
        (f"SELECT m.id, m.name, m.branch_id, m.category, m.admitted_on, m.full_on, m.team_id, "
         f"EXISTS (SELECT 1 FROM {mp} p WHERE p.member_id = m.id AND p.post IN ({posts})) FROM {m} m "
         f"WHERE m.branch_id IN {subtree} AND m.category IN ('probationary', 'full')", rng),
        (f"SELECT branch_id, category, COUNT(*) FROM {m} WHERE branch_id IN {subtree} "
         f"AND category IN ('activist', 'candidate') GROUP BY branch_id, category", rng),
        (f"SELECT id, code, name, branch_id FROM {tm} WHERE branch_id IN {subtree}", rng),
        (f"SELECT a.id, a.code, a.org_id, a.kind, a.starts_at, a.status, COUNT(t.id), "
         f"SUM(CASE WHEN t.status = 'present' THEN 1 ELSE 0 END) FROM {a} a "
         f"LEFT JOIN {t} t ON t.activity_id = a.id WHERE {activities_where()} GROUP BY a.id", [*rng, start, end]),
        (f"SELECT p.member_id, p.grade, a.code FROM {ap} p JOIN {a} a ON a.id = p.activity_id "
         f"WHERE {activities_where()}", [*rng, start, end]),
        (f"SELECT id, title, org_id, deadline, status, closed_at FROM {task} WHERE org_id IN {subtree} "
         f"AND year = %s", [*rng, year]),
        (f"SELECT id, title, org_id, member_id, due_on, done_on FROM {check} WHERE org_id IN {subtree} "
         f"AND year = %s", [*rng, year]),
        (f"SELECT e.subject_key, s.item, s.stage, s.points FROM {score} s JOIN {ev} e ON e.id = s.evaluation_id "
         f"WHERE e.scheme = %s AND e.period = %s AND e.status <> 'superseded' AND e.org_id IN {subtree}",
         [SCHEME, str(year), *rng]),
        (f"SELECT e.subject_key, v.veto, v.reason FROM {veto} v JOIN {ev} e ON e.id = v.evaluation_id "
         f"WHERE e.scheme = %s AND e.period = %s AND e.status <> 'superseded' AND e.org_id IN {subtree}",
         [SCHEME, str(year), *rng]),
    ]
    try:
        from dangjian.points.models import PointEntry

        statements.append((f"SELECT member_id, category, SUM(points) FROM {q(PointEntry._meta.db_table)} "
                           f"WHERE top_org_id = %s AND year = %s GROUP BY member_id, category", [root.pk, year]))
    except ImportError:  # the points app is not there: the evaluation reads no points either
        pass

    def run():
        with connection.cursor() as cur:
            for sql, args in statements:
                cur.execute(sql, args)
                cur.fetchall()

    return run


def _ensure_records(root, as_of) -> float | None:
    """Write the demo's assessment records into the reference dataset once; the seconds it took (None if there)."""
    from django.db import transaction

    from dangjian.assessment.models import Evaluation
    from dangjian.demo.assessment import assessment_year, generate_assessment

    if Evaluation.objects.filter(scheme=SCHEME, period=str(assessment_year(as_of))).exists():
        return None
    print("正在为参考数据集写入考核评价记录（创建清单、岗位、各党支部自评等，只需一次）…", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        generate_assessment(root, seed=common.REFERENCE["seed"], today=as_of)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    label = common.setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.assessment import selectors
    from dangjian.demo.assessment import assessment_year
    from dangjian.orgs.models import Organization, OrgKind

    root = Organization.objects.filter(depth=1).order_by("path").first()
    as_of = common.reference_today()
    year = assessment_year(as_of)
    seeded = _ensure_records(root, as_of)
    lines = []
    if seeded is not None:
        lines.append(f"reference_assessment_records_generate: {seeded:.1f} s")
        print(lines[-1], flush=True)
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    print(f"# 数据库：{label}；集团：{root.name}（{root.code}），{year}年度达标创星，截至{as_of.isoformat()}；"
          f"党支部 {branches:,} 个", flush=True)

    outcome: dict = {}

    def evaluate():
        outcome["levels"] = [r.level for r in selectors.evaluate_subtree(SCHEME, root, str(year), as_of=as_of)]

    def results_json():
        rows = selectors.results(SCHEME, root, str(year), as_of=as_of)
        outcome["levels"] = [r["level"] for r in selectors.to_json(SCHEME, root, year, rows)["results"]]

    bare = common.median_time(_bare_facts(root, year), repeat=args.repeat)
    for name, fn in (("assessment_dabiao_reference_group", evaluate),
                     ("assessment_results_json_reference_group", results_json)):
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries = len(ctx.captured_queries)
        seconds = common.median_time(fn, repeat=args.repeat, warmup=0)
        levels = Counter(outcome["levels"])
        order = [b["name"] for b in selectors.load_scheme(SCHEME)["levels"]]
        note = f"{len(outcome['levels']):,} 个党支部：" + "，".join(f"{k} {levels[k]}" for k in order if levels[k])
        lines.append(common.figure(name, seconds, queries=queries, bare=bare, note=note))
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main(sys.argv[1:])
