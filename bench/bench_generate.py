"""Benchmark: the demo generator itself — the default demo and the reference dataset, each into a new database.

    .venv/bin/python bench/bench_generate.py

No ratio here: the generator is set-up, not a user-facing path; what matters is that the reference scale
stays well under a minute on SQLite, so that benchmarks and demos can be rebuilt at will.
"""

import json
import subprocess
import sys
import time

import common

RESULT = "RESULT "


def phase(database: str, branches: int | None, members: int | None, seed: int) -> None:
    common.configure(**({"database_url": database} if database.startswith("postgres") else
                        {"sqlite_path": database}))
    common.migrate()
    from dangjian.demo.generator import generate

    started = time.perf_counter()
    summary = generate(branches=branches, members=members, seed=seed, with_users=True)
    seconds = time.perf_counter() - started
    print(RESULT + json.dumps({"seconds": seconds, "members": sum(summary.members_by_category.values()),
                               "orgs": sum(summary.orgs_by_kind.values()), "teams": summary.teams}), flush=True)


def main() -> list[str]:
    from bench_import import fresh_database

    common.DATA_DIR.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, branches, members, seed in [("generate_default_demo", None, None, 2024),
                                          ("generate_reference_dataset", 2000, 60000, 1)]:
        database = fresh_database("generate")
        args = [database, str(branches or ""), str(members or ""), str(seed)]
        proc = subprocess.run([sys.executable, __file__, "--phase", *args], stdout=subprocess.PIPE, text=True,
                              cwd=common.ROOT_DIR)
        found = [json.loads(x[len(RESULT):]) for x in proc.stdout.splitlines() if x.startswith(RESULT)]
        if proc.returncode != 0 or not found:
            print(proc.stdout)
            raise SystemExit(f"{name} 失败（退出码 {proc.returncode}）")
        r = found[0]
        lines.append(f"{name}: {r['seconds']:.1f} s ({r['orgs']:,} organizations, {r['teams']:,} teams, "
                     f"{r['members']:,} members, {r['members'] / r['seconds']:,.0f} members/s)")
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--phase":
        db, b, m, s = sys.argv[2:6]
        phase(db, int(b) if b else None, int(m) if m else None, int(s))
    else:
        main()
