"""Run every benchmark in turn and print their figures together at the end.

    .venv/bin/python bench/run.py            (make bench)
    .venv/bin/python bench/run.py member_list import

Each benchmark runs in its own process; see bench/README.md for what each figure means.
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BENCHMARKS = {
    "generate": "bench_generate.py",
    "member_list": "bench_member_list.py",
    "import": "bench_import.py",
    "month": "bench_month.py",
    "ledger": "bench_ledger.py",
    "compliance": "bench_compliance.py",
    "points": "bench_points.py",
    "assessment": "bench_assessment.py",
}
FIGURE_PREFIXES = ("generate_", "reference_", "member_list", "org_", "export_", "import_", "month_", "ledger_",
                   "compliance_", "points_", "assessment_")


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"未知的基准：{'、'.join(unknown)}；可选：{'、'.join(BENCHMARKS)}")
        return 2
    figures: list[str] = []
    failed: list[str] = []
    started = time.perf_counter()
    for name in chosen:
        print(f"== {name}", flush=True)
        proc = subprocess.Popen([sys.executable, str(BENCH_DIR / BENCHMARKS[name])], stdout=subprocess.PIPE,
                                text=True, cwd=BENCH_DIR.parent)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith(FIGURE_PREFIXES):
                figures.append(line.rstrip())
        if proc.wait() != 0:
            failed.append(name)
    print(f"\n== 汇总（共用时 {time.perf_counter() - started:.0f} 秒）")
    print("\n".join(figures))
    if failed:
        print(f"失败：{'、'.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
