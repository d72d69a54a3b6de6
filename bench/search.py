"""Search latency in-process over a few hundred mixed queries (one word, two words, accented,
prefix, no match; English and French) at 1,000 and 10,000 generated articles per language.

Each size is loaded in a fresh process (bench.store_child); a query is timed through
store.search(), i.e. the index query plus the highlighted titles and snippets a results page shows.
"""
from __future__ import annotations

import json
import subprocess
import sys

from bench import corpus
from bench.articles import QUERY_KINDS
from bench.common import ROOT, fmt_ms, median, percentile
from bench.startup import _CACHES, measured, sizes

CASE = "search"


def measure(report, quick: bool = False) -> None:
    small, large = sizes(quick)
    res = {n: measured(n, "warm", quick) for n in (small, large)}
    n_queries = len(res[large]["queries"])
    stats = {}
    for n, r in res.items():
        times = [t for _, t in r["queries"]]
        stats[n] = (median(times), percentile(times, 95))
        kinds = {k: median([t for kk, t in r["queries"] if kk == k]) for k in QUERY_KINDS}
        report.add(CASE, f"{n} articles/lang: median by kind", ", ".join(f"{k} {v * 1000:.1f}" for k, v in kinds.items()) + " ms")
    m_small, _ = stats[small]
    m_large, p95_large = stats[large]
    report.add(CASE, f"median query at {large} ({n_queries} queries)", fmt_ms(m_large), "< 2 ms", m_large < 0.002,
               f"at {small}: {fmt_ms(m_small)}")
    report.add(CASE, f"p95 query at {large}", fmt_ms(p95_large), "< 10 ms", p95_large < 0.010,
               f"at {small}: {fmt_ms(stats[small][1])}")
    served = [t for _, t in res[large].get("queries_as_served", [])]
    if served and res[large].get("result_cache"):
        report.add(CASE, f"at {large}, as served (the index's result cache on, queries repeating)",
                   f"median {fmt_ms(median(served))}, p95 {fmt_ms(percentile(served, 95))}")
    growth = m_large / m_small
    report.add(CASE, f"median growth {small} -> {large}", f"x{growth:.2f}", "<= x2", growth <= 2)
    compare_engines(report, large, len(res[large]["queries"]), m_large, p95_large)


def compare_engines(report, count: int, n_queries: int, fts_median: float, fts_p95: float) -> None:
    """The same queries on tantivy (bench/tantivy_child.py) over the same articles, in this run."""
    try:
        import tantivy  # noqa: F401
    except ImportError:
        report.skip(CASE, "tantivy is not installed (pip install -c constraints.txt '.[bench]')")
        return
    done = subprocess.run([sys.executable, "-m", "bench.tantivy_child", str(corpus.folder(count)),
                           str(_CACHES[count]), str(n_queries)], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError("tantivy_child failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    times = [t for _, t in out["queries"]]
    t_median, t_p95 = median(times), percentile(times, 95)
    kinds = {k: median([t for kk, t in out["queries"] if kk == k]) for k in QUERY_KINDS}
    report.add(CASE, f"tantivy at {count}: median by kind", ", ".join(f"{k} {v * 1000:.1f}" for k, v in kinds.items()) + " ms")
    report.add(CASE, f"tantivy at {count}: median / p95 (same queries, count + 20 highlighted hits)",
               f"{fmt_ms(t_median)} / {fmt_ms(t_p95)}", note=f"index built in {out['build_seconds']:.1f} s (FTS5 index: kept on disk)")
    faster = "FTS5" if fts_median <= t_median else "tantivy"
    report.add(CASE, f"engine kept: median FTS5 / tantivy at {count}",
               f"{fts_median / t_median:.2f} ({fmt_ms(fts_median)} / {fmt_ms(t_median)}); p95 {fmt_ms(fts_p95)} / {fmt_ms(t_p95)}",
               note=f"faster: {faster}")
