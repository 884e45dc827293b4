"""What the benchmark scripts share: the figures table, percentiles, the machine, memory.

Every script (bench/e2e.py, bench/browse.py, bench/deadlines.py, bench/outbox.py) prints its
own report and ends with a table of figures; with `--json PATH` it also writes those rows, which
bench/run_all.py gathers into one table. Nothing here decides anything from a timing: a
figure is compared with its goal only to print PASS or FAIL next to it.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.core import command_line, machine_lines  # noqa: E402

__all__ = [
    "ROOT",
    "Row",
    "command_line",
    "fmt_ms",
    "machine_lines",
    "percentile",
    "print_table",
    "rss_mb",
    "summary",
    "table",
    "write_rows",
]


@dataclass
class Row:
    """One figure: what was measured, its value, the goal (if any) and whether it was met."""

    bench: str
    metric: str
    value: str
    goal: str = ""
    ok: bool | None = None  # None: no goal, only a figure

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("PASS" if self.ok else "FAIL")


def percentile(data: list[float], q: float) -> float:
    """Nearest-rank percentile (data need not be sorted); NaN for no data."""
    if not data:
        return math.nan
    ordered = sorted(data)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def summary(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds of samples in seconds."""
    return {
        "n": len(samples_s),
        "p50": percentile(samples_s, 0.50) * 1e3,
        "p95": percentile(samples_s, 0.95) * 1e3,
        "p99": percentile(samples_s, 0.99) * 1e3,
        "max": (max(samples_s) * 1e3) if samples_s else math.nan,
    }


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def table(rows: list[Row]) -> str:
    head = ("benchmark", "figure", "value", "goal", "")
    cells = [head] + [(r.bench, r.metric, r.value, r.goal, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = []
    for n, c in enumerate(cells):
        lines.append("  ".join(c[i].ljust(widths[i]) for i in range(len(head))).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def print_table(title: str, rows: list[Row]) -> None:
    print(f"== {title} ==")
    print(table(rows))


def write_rows(path: str | Path | None, rows: list[Row]) -> None:
    if path:
        Path(path).write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))


def read_rows(path: str | Path) -> list[Row]:
    return [Row(**item) for item in json.loads(Path(path).read_text())]


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS) or its peak (VmHWM), in MB, from /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan
