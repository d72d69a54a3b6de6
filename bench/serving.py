"""Article page throughput and latency under load: the real app against a bare Flask app.

Both run under gunicorn with the same settings (sync workers, one per core) on loopback, and
wrk drives them in alternating rounds within the same run, so that a noisy machine affects
both alike. Figures are ratios: article req/s over bare req/s, and p99 over p50.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import DemoDatabase, Gunicorn, base_env, median

CASE = "serving"


def wrk_available() -> str | None:
    return shutil.which("wrk")


def _latency_ms(token: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", token)
    if not m:
        raise ValueError(token)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict:
    """Requests per second, p50, p99 (ms), non-2xx count and socket errors from `wrk --latency`."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _latency_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _latency_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    total = int(re.search(r"(\d+) requests in", output).group(1))
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}


def run_wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr.strip()}")
    return parse_wrk(out.stdout)


def article_url(base: str) -> str | None:
    """The canonical URL of article 1 in English (following the id-only redirect)."""
    try:
        with urllib.request.urlopen(f"{base}/en/articles/1", timeout=10) as resp:
            if resp.status == 200:
                return resp.geturl()
    except urllib.error.HTTPError:
        return None
    return None


def measure(report, quick: bool = False) -> None:
    if not wrk_available():
        report.skip(CASE, "wrk is not installed: apt-get install -y wrk")
        return
    workers = max(2, os.cpu_count() or 2)
    seconds, rounds, connections = (2, 1, 4) if quick else (8, 3, 4)
    work = Path(tempfile.mkdtemp(prefix="hc-bench-serve-"))
    db = DemoDatabase(work).create()
    try:
        env = base_env(db.url)
        with Gunicorn("helpcenter:create_app()", env, workers=workers, log=work / "app.log") as app_srv:
            url = article_url(app_srv.url)
            if url is None:
                report.skip(CASE, "no article page at /en/articles/1 yet")
                return
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = resp.read()
            html = work / "article.html"
            html.write_bytes(body)
            bare_env = dict(env, BENCH_BARE_HTML=str(html))
            with Gunicorn("bench.bare_app:create_app()", bare_env, workers=workers, log=work / "bare.log") as bare:
                path = url.split(app_srv.url, 1)[1]
                run_wrk(bare.url + path, 1, connections)  # warm-up both
                run_wrk(url, 1, connections)
                results = {"bare": [], "article": []}
                for _ in range(rounds):
                    results["bare"].append(run_wrk(bare.url + path, seconds, connections))
                    results["article"].append(run_wrk(url, seconds, connections))
    finally:
        db.remove()
    art, ref = results["article"], results["bare"]
    rps_art = sum(r["requests"] for r in art) / (seconds * rounds)
    rps_ref = sum(r["requests"] for r in ref) / (seconds * rounds)
    p50 = median([r["p50"] for r in art])
    p99 = median([r["p99"] for r in art])
    ref_p50 = median([r["p50"] for r in ref])
    ref_p99 = median([r["p99"] for r in ref])
    setup = f"gunicorn -w {workers} sync, wrk -t1 -c{connections}, {rounds}x{seconds}s alternating"
    report.add(CASE, "article page size", f"{len(body)} B", note=path)
    report.add(CASE, "article req/s / bare req/s", f"{rps_art / rps_ref:.2f} ({rps_art:.0f} / {rps_ref:.0f})",
               ">= 0.80", rps_art / rps_ref >= 0.8, setup)
    report.add(CASE, "article p99 / p50", f"{p99 / p50:.2f} ({p99:.2f} / {p50:.2f} ms)", "<= 3",
               p99 / p50 <= 3)
    report.add(CASE, "bare p99 / p50 (reference)", f"{ref_p99 / ref_p50:.2f} ({ref_p99:.2f} / {ref_p50:.2f} ms)")
    bad = sum(r["non2xx"] + r["socket_errors"] for r in art + ref)
    report.add(CASE, "non-2xx responses + socket errors", str(bad), "0", bad == 0)
