"""Start-up: time and peak resident memory to load, render and index 1,000 and 10,000 articles
per language, each size in a fresh process (so the figures do not leak into each other).

"Ready" means every body rendered to HTML and the search index built, as the issue defines
start-up. The goal figure is the warm start (the renderings read back from the on-disk render
cache, as every start but the first); the cold start (an empty cache, rendered in parallel across
the cores) is shown beside it.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import corpus
from bench.common import ROOT, fmt_bytes

CASE = "startup"
TIME_GOAL = 5.0
RSS_GOAL = 300 * 1024 * 1024


_RESULTS: dict = {}


_CACHES: dict[int, Path] = {}


def measured(count: int, mode: str, quick: bool) -> dict:
    """The child's figures for `count` articles per language (once per run: search reuses them).

    mode "cold" empties the render cache first; "warm" (which times the queries) runs after it.
    """
    key = (count, mode)
    if mode == "warm" and (count, "cold") not in _RESULTS:
        measured(count, "cold", quick)
    if key not in _RESULTS:
        n_queries = (200 if quick else 400) if mode == "warm" else 0
        cache = _CACHES.setdefault(count, Path(tempfile.mkdtemp(prefix=f"hc-bench-cache-{count}-")))
        _RESULTS[key] = child(corpus.folder(count), mode, n_queries, cache)
    return _RESULTS[key]


def child(folder, mode: str, n_queries: int, cache: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.store_child", str(folder), mode, str(n_queries), str(cache)],
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
        for mode in ("cold", "warm"):
            results[n, mode] = measured(n, mode, quick)
    for n in (small, large):
        cold, warm = results[n, "cold"], results[n, "warm"]
        is_goal = n == large
        report.add(CASE, f"{n} articles/lang: warm start, ready (read+validate+index, renderings from the cache)",
                   f"{warm['seconds']:.2f} s", "< 5 s" if is_goal else "",
                   warm["seconds"] < TIME_GOAL if is_goal else None, f"{warm['articles']} files")
        report.add(CASE, f"{n} articles/lang: warm start, peak RSS",
                   fmt_bytes(warm["peak_rss"]), "< 300 MB" if is_goal else "",
                   warm["peak_rss"] < RSS_GOAL if is_goal else None,
                   f"after imports {fmt_bytes(warm['baseline_rss'])}; resident when ready {fmt_bytes(warm['rss_after'])}")
        report.add(CASE, f"{n} articles/lang: cold start (empty cache, parallel render)",
                   f"{cold['seconds']:.2f} s, {fmt_bytes(cold['peak_rss'])}", note="first start only")
    a, b = results[small, "warm"], results[large, "warm"]
    report.add(CASE, f"warm time growth {small} -> {large} (x{large // small} articles)",
               f"x{b['seconds'] / a['seconds']:.1f}")
