"""Every benchmark, one after another, each in a process of its own, then one table.

    python bench/run_all.py            the full sizes (about 10 minutes on 2 cores)
    python bench/run_all.py --quick    small sizes, to see that everything runs (about 2 min)
    python bench/run_all.py --only browse,deadlines   a subset

Each script prints its own report as it goes (bench/core.py, bench/e2e.py, bench/browse.py,
bench/deadlines.py, bench/outbox.py); they run as separate processes so that one's memory
and caches do not colour the next one's figures (the deadline benchmark reads its own
resident memory).
Extra sizes: --due 10000 for the deadline work-off, --jobs for browsing, --clients,
--freelancers and --lifecycles for the end-to-end run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, command_line, machine_lines, read_rows, table  # noqa: E402

BENCHES = ("core", "e2e", "browse", "deadlines", "outbox")


def plan(args: argparse.Namespace) -> dict[str, list[str]]:
    quick = args.quick
    e2e = ["--clients", str(args.clients or (20 if quick else 200))]
    e2e += ["--freelancers", str(args.freelancers or (100 if quick else 1000))]
    e2e += ["--lifecycles", str(args.lifecycles or (60 if quick else 400))]
    e2e += [
        "--paced-seconds",
        "5" if quick else "20",
        "--production-seconds",
        "2" if quick else "5",
    ]
    return {
        "core": ["--lifecycles", "100" if quick else "500"],
        "e2e": e2e,
        "browse": [
            *("--jobs", str(args.jobs or (100_000 if quick else 1_000_000))),
            *("--queries", "500" if quick else "2000"),
        ],
        "deadlines": [
            *("--pending", "20000" if quick else "100000"),
            *("--due", str(args.due or (300 if quick else 1000))),
        ],
        # Full size: its defaults (100 / 10,000 / 100,000, 20,000 backlog, 30 s, 10,000 due).
        "outbox": [
            *("--sizes", "100,1000,10000", "--claims", "300", "--backlog", "2000"),
            *("--seconds", "5", "--deadlines", "1000"),
        ]
        if quick
        else [],
    }


def core_rows(output: str, seconds: float, code: int) -> list[Row]:
    """bench/core.py prints its own report: pick its two throughputs and its book check."""
    rows: list[Row] = []
    phase = 0
    for line in output.splitlines():
        if line.startswith("== phase"):
            phase += 1
        if line.startswith("throughput:") and phase:
            label = "sequential" if phase == 1 else "concurrent"
            value = line.split(":", 1)[1].strip().split("  ")[0]
            rows.append(Row("core", f"service lifecycles, {label}", value))
    rows.append(
        Row("core", "books balance after the run", "yes" if code == 0 else "no", "yes", code == 0)
    )
    rows.append(Row("core", "run time", f"{seconds:.0f} s"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset")
    parser.add_argument("--due", type=int, default=None, help="deadlines due at once")
    parser.add_argument("--jobs", type=int, default=None, help="jobs to browse")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--freelancers", type=int, default=None)
    parser.add_argument("--lifecycles", type=int, default=None)
    args = parser.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    steps = plan(args)
    rows: list[Row] = []
    failed: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        for name in chosen:
            command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *steps[name]]
            print(f"\n######## {name}: {' '.join(command[1:])}", flush=True)
            begin = time.perf_counter()
            if name == "core":
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
                print(done.stdout, end="")
                print(done.stderr, end="", file=sys.stderr)
                rows += core_rows(done.stdout, time.perf_counter() - begin, done.returncode)
                code = done.returncode
            else:
                out = Path(tmp) / f"{name}.json"
                code = subprocess.run([*command, "--json", str(out)], cwd=ROOT).returncode
                if out.exists():
                    rows += read_rows(out)
                else:
                    rows.append(Row(name, "run", f"crashed (exit {code})", "runs", False))
            if code != 0:
                failed.append(name)
    print()
    print("######## all figures")
    print(f"command:   {command_line()}")
    print(*machine_lines(), sep="\n")
    print(f"took:      {time.perf_counter() - started:.0f} s")
    print()
    print(table(rows))
    if failed:
        print(f"\ngoals missed or errors in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
