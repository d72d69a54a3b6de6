"""One measurement in a fresh process: load, render and index a folder of articles, then search.

Run as `python -m bench.store_child DIR MODE QUERIES CACHE_DIR` (MODE: cold = the first start,
every body rendered (in parallel) into an empty render cache, then indexed; warm = a later start
with that cache, as create_app does on every start but the first). Prints one JSON line:
seconds to ready, peak resident memory (VmHWM) and the baseline after imports, and, when
QUERIES > 0, the time of each query (store.search: the index query plus highlighted snippets).
"""
import json
import sys
import time
from pathlib import Path


def vm(field: str) -> int:
    """A /proc/self/status figure in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    folder, mode, n_queries, cache_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    from helpcenter.help.store import load_store  # imports are not part of the figure
    from bench.articles import queries
    baseline = vm("VmRSS")
    t0 = time.perf_counter()
    if mode == "cold":
        import shutil
        shutil.rmtree(cache_dir, ignore_errors=True)
    store = load_store(folder, cache_dir=cache_dir)
    ready = time.perf_counter() - t0
    out = {"mode": mode, "articles": store.count(), "seconds": ready, "peak_rss": vm("VmHWM"),
           "baseline_rss": baseline, "rss_after": vm("VmRSS")}
    if n_queries:
        mixed = queries(n_queries)
        for _kind, lang, text in mixed[:50]:  # warm-up: caches of the analyzers, SQLite pages
            store.search(lang, text)
        # The index keeps recent results: clear them before each timed query, so that the
        # figure is the search itself, not a repeated query served from memory.
        cache = getattr(store.index, "_cache", None)
        timings, hits, cached = [], [], []
        for kind, lang, text in mixed:
            if cache is not None:
                cache.clear()
            t = time.perf_counter()
            results = store.search(lang, text)
            timings.append((kind, time.perf_counter() - t))
            hits.append(results.total)
        for kind, lang, text in mixed:  # as served: repeated queries come from the cache
            t = time.perf_counter()
            store.search(lang, text)
            cached.append((kind, time.perf_counter() - t))
        out["queries"] = timings
        out["queries_as_served"] = cached
        out["hits"] = hits
        out["result_cache"] = cache is not None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
