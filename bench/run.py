#!/usr/bin/env python3
"""Measure the project and print one table of figures, each beside its goal.

Usage: .venv/bin/python bench/run.py [CASE ...] [--quick]
Cases: serving search startup sql contention weight lighthouse insights (default: all).
Every figure is a ratio or a count measured in one run beside its reference, so it holds on
a noisy shared machine. Exit code 0 even when a goal is missed: this is a measurement.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Report, machine, table  # noqa: E402

CASES = {
    "serving": "bench.serving",
    "search": "bench.search",
    "startup": "bench.startup",
    "sql": "bench.sql",
    "contention": "bench.contention",
    "weight": "bench.weight",
    "lighthouse": "bench.lighthouse",
    "insights": "bench.insights",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", metavar="CASE",
                        help=f"cases to run, among: {', '.join(CASES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter loads (smoke test)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    args = parser.parse_args(argv)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)} (choose from {', '.join(CASES)})")
    chosen = args.cases or list(CASES)
    report = Report()
    started = time.monotonic()
    load_before = os.getloadavg()
    print(f"machine: {machine()}", file=sys.stderr)
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            module = importlib.import_module(CASES[name])
            module.measure(report, quick=args.quick)
        except Exception as error:  # one broken case must not hide the others
            traceback.print_exc()
            last = (str(error).strip().splitlines() or [""])[-1]
            report.add(name, "(case failed)", type(error).__name__, "", False, last[:160])
        print(f"   {name} took {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    print()
    print(f"Machine: {machine()}")
    print(f"Load average (1 min) at start / end: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} "
          f"(other work on the machine; the figures are ratios and counts for that reason)")
    print(f"Mode: {'quick (smoke test, reduced sizes)' if args.quick else 'full'}; "
          f"cases: {', '.join(chosen)}; {time.monotonic() - started:.0f} s")
    print()
    print(table(report.rows))
    misses = [r for r in report.rows if r.ok is False]
    print()
    print(f"{len(misses)} MISS" + (": " + "; ".join(f"{r.case} {r.figure}" for r in misses) if misses else ""))
    for text in report.notes:
        print(f"note: {text}")
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in report.rows], indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
