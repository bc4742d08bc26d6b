"""Shared set-up of the benchmarks: Django on a benchmark database holding the reference dataset.

Database (chosen before django.setup()):
- default: the SQLite file bench/data/bench.sqlite3 (BENCH_SQLITE_PATH to change it; the project's own
  SQLITE_PATH is overridden so that a benchmark never touches the working database);
- PostgreSQL: DATABASE_URL=postgres://… (a database for benchmarks only: if it holds other data, the
  benchmark refuses to clear it unless BENCH_RESET=1).

The reference dataset (DESIGN.md §5: 2,000 branches, 60,000 members, seed 1, and a year of activities —
≈150,000 — with their attendance — ≈2.5 million rows — ending on the day it was generated) is generated once
and recognised afterwards by a marker row in the table `bench_reference` (sizes, seed, generator version,
the day of generation, the number of activities) and by its counts.
"""

import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
REFERENCE = {"branches": 2000, "members": 60000, "seed": 1}
MARKER_TABLE = "bench_reference"


def configure(sqlite_path: Path | str | None = None, database_url: str | None = None) -> str:
    """Point Django at a benchmark database and set it up; returns a label of the database."""
    if str(ROOT_DIR) not in sys.path:
        sys.path.insert(0, str(ROOT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ["STATIC_MANIFEST"] = "0"  # render pages without collectstatic
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if os.environ.get("DATABASE_URL"):
        label = "PostgreSQL " + os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path = Path(sqlite_path or os.environ.get("BENCH_SQLITE_PATH") or DATA_DIR / "bench.sqlite3")
        os.environ["SQLITE_PATH"] = str(path)
        label = f"SQLite {path}"
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic needed
    django.setup()
    return label


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _read_marker() -> dict | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name VARCHAR(40) PRIMARY KEY, value TEXT)")
        cur.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", ["reference"])
        row = cur.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(value: dict) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", ["reference"])
        cur.execute(f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)", ["reference", json.dumps(value)])


def reference_present() -> bool:
    from dangjian.demo.generator import VERSION
    from dangjian.meetings.models import Activity
    from dangjian.orgs.models import Member, Organization, OrgKind

    marker = _read_marker()
    if not marker or any(marker.get(k) != v for k, v in REFERENCE.items()) or marker.get("generator") != VERSION:
        return False
    return (Organization.objects.filter(kind=OrgKind.BRANCH).count() == REFERENCE["branches"]
            and Member.objects.count() == REFERENCE["members"]
            and Activity.objects.count() == marker.get("activities"))


def reference_today() -> dt.date:
    """The day the reference dataset was generated: its year of activities ends there."""
    marker = _read_marker() or {}
    return dt.date.fromisoformat(marker["today"]) if marker.get("today") else dt.date.today()


def reference_month() -> tuple[int, int]:
    """The last complete month of the reference dataset's activities (all of it held and recorded)."""
    today = reference_today()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def ensure_reference_dataset(*, quiet: bool = False) -> float | None:
    """Generate the reference dataset unless it is there; returns the seconds it took (None if cached)."""
    from dangjian.demo.generator import VERSION, generate, reset_demo_data
    from dangjian.orgs.models import Organization

    if reference_present():
        return None
    if Organization.objects.exists():
        if is_postgres() and os.environ.get("BENCH_RESET") != "1":
            raise SystemExit("基准数据库中已有其他数据；确认可清空后设置 BENCH_RESET=1 再运行")
        reset_demo_data()
    if not quiet:
        print(f"正在生成参考数据集（{REFERENCE['branches']} 个党支部，{REFERENCE['members']} 人）…", flush=True)
    today = dt.date.today()
    summary = generate(**REFERENCE, with_users=True, today=today)
    activities = summary.activities.total if summary.activities else 0
    _write_marker({**REFERENCE, "generator": VERSION, "seconds": round(summary.seconds, 1), "today": today.isoformat(),
                   "activities": activities})
    if not quiet:
        attendance = summary.activities.attendance if summary.activities else 0
        print(f"reference_dataset_generate: {summary.seconds:.1f} s ({activities:,} activities, "
              f"{attendance:,} attendance rows)", flush=True)
    return summary.seconds


def setup(*, quiet: bool = False) -> str:
    """Configure, migrate and make sure the reference dataset is present; returns the database label."""
    label = configure()
    migrate()
    ensure_reference_dataset(quiet=quiet)
    return label


def median_time(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def figure(name: str, seconds: float, *, queries: int | None = None, bare: float | None = None,
           note: str = "") -> str:
    """One result line: `name: 0.042 s median, 9 queries, 3.1× bare SQL`."""
    parts = [f"{seconds:.3f} s median"]
    if queries is not None:
        parts.append(f"{queries} queries")
    if bare:
        parts.append(f"{seconds / bare:.1f}× bare SQL ({bare * 1000:.1f} ms)")
    line = f"{name}: " + ", ".join(parts)
    return line + (f"  [{note}]" if note else "")
