"""Start-up: time and peak resident memory to load, render and index 1,000 and 10,000 articles
per language, each size in a fresh process (so the figures do not leak into each other).

The goal figure is "eager": every body rendered to HTML and the search index built, as the
issue defines start-up. "as create_app" is what the app does by default (the store renders
lazily above a size), shown beside it for information.
"""
from __future__ import annotations

import json
import subprocess
import sys

from bench import corpus
from bench.common import ROOT, fmt_bytes

CASE = "startup"
TIME_GOAL = 5.0
RSS_GOAL = 300 * 1024 * 1024


_RESULTS: dict = {}


def measured(count: int, mode: str, quick: bool) -> dict:
    """The child's figures for `count` articles per language (once per run: search reuses them)."""
    key = (count, mode)
    if key not in _RESULTS:
        n_queries = (200 if quick else 400) if mode == "default" else 0
        _RESULTS[key] = child(corpus.folder(count), mode, n_queries)
    return _RESULTS[key]


def child(folder, mode: str, n_queries: int = 0) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.store_child", str(folder), mode, str(n_queries)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError("store_child failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def sizes(quick: bool) -> tuple[int, int]:
    return (100, 1000) if quick else (1000, 10000)


def measure(report, quick: bool = False) -> None:
    small, large = sizes(quick)
    results = {}
    for n in (small, large):
        for mode in ("eager", "default"):
            results[n, mode] = measured(n, mode, quick)
    for n in (small, large):
        eager, lazy = results[n, "eager"], results[n, "default"]
        is_goal = n == large
        report.add(CASE, f"{n} articles/lang: load+render+index time",
                   f"{eager['seconds']:.2f} s", "< 5 s" if is_goal else "",
                   eager["seconds"] < TIME_GOAL if is_goal else None,
                   f"{eager['articles']} files")
        report.add(CASE, f"{n} articles/lang: peak RSS",
                   fmt_bytes(eager["peak_rss"]), "< 300 MB" if is_goal else "",
                   eager["peak_rss"] < RSS_GOAL if is_goal else None,
                   f"after imports {fmt_bytes(eager['baseline_rss'])}")
        report.add(CASE, f"{n} articles/lang: as create_app (lazy render)",
                   f"{lazy['seconds']:.2f} s, {fmt_bytes(lazy['peak_rss'])}")
    a, b = results[small, "eager"], results[large, "eager"]
    report.add(CASE, f"time growth {small} -> {large} (x{large // small} articles)",
               f"x{b['seconds'] / a['seconds']:.1f}")
