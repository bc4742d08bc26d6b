"""Benchmark: export the reference dataset to the standard workbook, then import it into an empty database.

    .venv/bin/python bench/bench_import.py

Three phases, each in its own process and database:
1. export  — on the benchmark database (reference dataset, see common.py): write bench/data/ref.xlsx with
             dangjian.imports.exporter.write_workbook, timed; keep the raw rows for phase 3;
2. import  — on a new, empty database: dangjian.imports.importer.import_workbook(path, actor=None,
             dry_run=False), timed (reading, checking and writing the whole workbook);
3. floor   — on another new database holding the same organizations and teams: one bare executemany
             INSERT of the same member rows, timed (median of three). No importer can write the members faster than that.
SQLite: the databases are files in bench/data/. PostgreSQL (DATABASE_URL): databases <name>_import and
<name>_floor are dropped and created on the same server.
"""

import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common

WORKBOOK = common.DATA_DIR / "ref.xlsx"
ROWS = common.DATA_DIR / "ref_rows.pickle"
RESULT = "RESULT "


def _emit(value: dict) -> None:
    print(RESULT + json.dumps(value, ensure_ascii=False), flush=True)


# --- phase 1: export -----------------------------------------------------------------------------


def phase_export() -> None:
    common.setup()
    from dangjian.orgs.models import Member, Organization, WorkTeam

    try:
        from dangjian.imports.exporter import write_workbook
    except ImportError as exc:
        raise SystemExit(f"dangjian.imports.exporter.write_workbook 尚不可用：{exc}")
    rows = {}
    for model in (Organization, WorkTeam, Member):
        fields = [f.attname for f in model._meta.concrete_fields]
        rows[model._meta.model_name] = (fields, list(model.objects.order_by("pk").values_list(*fields)))
    # Phase 3 inserts teams before members: the contact member is left out there.
    with ROWS.open("wb") as fh:
        pickle.dump(rows, fh)
    started = time.perf_counter()
    # The roster workbook (组织、班组、党员) of the reference group: the 60,000-member import of issue 2.
    write_workbook(WORKBOOK, sheets=("组织", "班组", "党员"))
    seconds = time.perf_counter() - started
    _emit({"seconds": seconds, "orgs": len(rows["organization"][1]), "teams": len(rows["workteam"][1]),
           "members": len(rows["member"][1]), "bytes": WORKBOOK.stat().st_size})


# --- phase 2: import -----------------------------------------------------------------------------


def phase_import(database: str) -> None:
    common.configure(**_target(database))
    common.migrate()
    from dangjian.orgs.models import Member, Organization

    if Organization.objects.exists() or Member.objects.exists():
        raise SystemExit("导入目标数据库不是空的")
    try:
        from dangjian.imports.importer import import_workbook
    except ImportError as exc:
        raise SystemExit(f"dangjian.imports.importer.import_workbook 尚不可用：{exc}")
    started = time.perf_counter()
    result = import_workbook(str(WORKBOOK), actor=None, dry_run=False)
    seconds = time.perf_counter() - started
    if not result.ok:
        for issue in result.errors[:20]:
            print("  " + str(issue))
        raise SystemExit(f"导入失败：{len(result.errors)} 个错误（以上为前20个）")
    _emit({"seconds": seconds, "summary": result.summary, "members": Member.objects.count(),
           "orgs": Organization.objects.count()})


# --- phase 3: the floor --------------------------------------------------------------------------


def phase_floor(database: str) -> None:
    common.configure(**_target(database))
    common.migrate()
    from django.db import connection, transaction

    from dangjian.orgs.models import Member, Organization, WorkTeam

    with ROWS.open("rb") as fh:
        rows = pickle.load(fh)

    def prepared(model, skip=()):
        names, values = rows[model._meta.model_name]
        fields = [model._meta.get_field(n) for n in names]  # get_field knows attnames too
        keep = [i for i, f in enumerate(fields) if f.attname not in skip]
        sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(fields[i].column for i in keep)}) "
               f"VALUES ({', '.join(['%s'] * len(keep))})")
        data = [tuple(fields[i].get_db_prep_save(row[i], connection) for i in keep) for row in values]
        return sql, data

    with transaction.atomic(), connection.cursor() as cur:  # the organizations and teams: not timed
        for model, skip in ((Organization, ()), (WorkTeam, ("contact_member_id",))):
            sql, data = prepared(model, skip)
            cur.executemany(sql, data)
    sql, data = prepared(Member, ("id",))
    times = []
    for _ in range(3):  # median of three: one bulk insert is short enough to be noisy
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, data)
        times.append(time.perf_counter() - started)
        Member.objects.all().delete()
    seconds = statistics.median(times)
    _emit({"seconds": seconds, "members": len(data)})


# --- databases and the driver --------------------------------------------------------------------


def _target(database: str) -> dict:
    return {"database_url": database} if database.startswith("postgres") else {"sqlite_path": database}


def fresh_database(suffix: str) -> str:
    """A new empty database for a phase: a deleted SQLite file, or a re-created PostgreSQL database."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = common.DATA_DIR / f"bench_{suffix}.sqlite3"
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return str(path)
    import psycopg

    base, name = url.rsplit("/", 1)
    name = name.split("?", 1)[0]
    target = f"{name}_{suffix}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
        conn.execute(f'CREATE DATABASE "{target}"')
    return f"{base}/{target}"


def _run(phase: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--phase", phase, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=common.ROOT_DIR)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT):])
        else:
            print(line, flush=True)
    if proc.returncode != 0 or result is None:
        raise SystemExit(f"阶段 {phase} 失败（退出码 {proc.returncode}）")
    return result


def main() -> list[str]:
    common.DATA_DIR.mkdir(parents=True, exist_ok=True)
    lines = []
    exported = _run("export")
    rows = exported["orgs"] + exported["teams"] + exported["members"]
    lines.append(f"export_reference_workbook: {exported['seconds']:.1f} s, {rows / exported['seconds']:,.0f} rows/s "
                 f"({exported['members']:,} members, {exported['bytes'] / 1e6:.1f} MB)")
    print(lines[-1], flush=True)
    imported = _run("import", fresh_database("import"))
    floor = _run("floor", fresh_database("floor"))
    lines.append(
        f"import_reference_workbook: {imported['seconds']:.1f} s, {rows / imported['seconds']:,.0f} rows/s, "
        f"{imported['seconds'] / floor['seconds']:.1f}× bare executemany INSERT of the member rows "
        f"({floor['seconds']:.2f} s)")
    print(lines[-1], flush=True)
    if imported["members"] != exported["members"]:
        lines.append(f"import_reference_workbook: 警告：导入后人员 {imported['members']} 人，导出 {exported['members']} 人")
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--phase":
        phase, rest = sys.argv[2], sys.argv[3:]
        {"export": lambda: phase_export(), "import": lambda: phase_import(rest[0]),
         "floor": lambda: phase_floor(rest[0])}[phase]()
    else:
        main()
