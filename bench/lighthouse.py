"""Lighthouse scores (performance, accessibility, best practices, SEO) for every page.

Pages: home, search results, an article and every step of both workflows (seats, and payment
details: signed in where the step needs it, the session cookie passed as a header), in both
languages, on Lighthouse's mobile (default) and desktop (`--preset=desktop`) presets, served by
gunicorn on loopback. Lighthouse 12.2.3 comes from bench/node (npm ci) and drives Debian's
Chromium. Chromium gets a dead proxy for everything but loopback, so a page that tried to reach
another host would fail loudly, and the requests Lighthouse saw are checked too.

Pages kept out of search engines on purpose (a robots meta tag or X-Robots-Tag header saying
noindex, or a robots.txt Disallow: search results, sign-in, the workflows) fail Lighthouse's
`is-crawlable` by design; their SEO counts as passing when every other SEO audit passes, and the
raw score is printed beside it. Performance under 100 is run twice more and the median taken.
The card steps (the seat workflow's payment step, the payment-details card step) must not shift
their layout: Lighthouse's `cumulative-layout-shift` is reported for them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import urllib.robotparser
from pathlib import Path

from bs4 import BeautifulSoup

from bench.common import BENCH, DemoDatabase, Gunicorn, base_env
from bench.workflow import Browser, HttpTransport, walk, walk_payment

CASE = "lighthouse"
OUT = BENCH / "out" / "lighthouse"  # the JSON reports of the last run, one per page and run
NODE_DIR = BENCH / "node"
CLI = NODE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PRESETS = ("mobile", "desktop")
CRAWLABLE = "is-crawlable"
# Steps whose new-card fields must be laid out from the first paint (no shift when they show or hide).
CARD_STEPS = {("seats", "payment"), ("payment", "card")}
CHROME_FLAGS = " ".join([
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--no-pings", "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    # loopback is never proxied; anything else goes to a closed port and fails
    "--proxy-server=http://127.0.0.1:9",
])


def ensure_lighthouse() -> str | None:
    """None when Lighthouse is ready, else why not (installs it from the lockfile when npm exists)."""
    if not Path(CHROME).exists():
        return f"{CHROME} is missing: apt-get install -y chromium"
    if shutil.which("node") is None:
        return "node is missing: apt-get install -y nodejs npm"
    if not CLI.exists():
        if shutil.which("npm") is None:
            return "npm is missing: apt-get install -y npm"
        done = subprocess.run(["npm", "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"],
                              capture_output=True, text=True)
        if done.returncode != 0 or not CLI.exists():
            return "npm ci --prefix bench/node failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return None


def fetch(url: str, cookie: str | None = None) -> tuple[str, str, bytes]:
    """(the URL after redirects, its X-Robots-Tag header, its HTML): the page Lighthouse will see."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.geturl(), ",".join(resp.headers.get_all("X-Robots-Tag") or []), resp.read()


class Crawlability:
    """Why a page is kept out of search engines, found without Lighthouse: the page's robots meta
    tags and X-Robots-Tag header, and the site's robots.txt."""

    def __init__(self, base: str):
        self.robots = urllib.robotparser.RobotFileParser(base.rstrip("/") + "/robots.txt")
        self.robots.read()

    def blocked(self, url: str, header: str, body: bytes) -> str | None:
        """"noindex page", "robots.txt disallows" or None (the page is meant to be indexed)."""
        soup = BeautifulSoup(body, "html.parser")
        metas = [m.get("content", "") for m in soup.find_all("meta")
                 if (m.get("name") or "").lower() in ("robots", "googlebot")]
        if any(word in v.lower() for v in metas + [header] for word in ("noindex", "none")):
            return "noindex page"
        if not self.robots.can_fetch("*", url):
            return "robots.txt disallows"
        return None


def _seo_without_crawlable(data: dict) -> int:
    """The SEO category's weighted score with `is-crawlable` left out (0-100)."""
    total = weights = 0.0
    for ref in data["categories"]["seo"]["auditRefs"]:
        audit = data["audits"].get(ref["id"], {})
        if ref["id"] == CRAWLABLE or not ref.get("weight") or audit.get("score") is None:
            continue
        total += ref["weight"] * audit["score"]
        weights += ref["weight"]
    return round(total / weights * 100) if weights else 0


def _long_tasks(data: dict) -> tuple[float, float]:
    """Main-thread long tasks (ms): all of them, and those Chromium could tie to no script or URL
    of the page ("Unattributable": the renderer waiting for a core on a loaded machine, GC)."""
    items = data["audits"].get("long-tasks", {}).get("details", {}).get("items", [])
    total = sum(i.get("duration", 0) for i in items)
    return total, sum(i.get("duration", 0) for i in items if i.get("url") == "Unattributable")


def _metric(data: dict, audit_id: str) -> float | None:
    return data["audits"].get(audit_id, {}).get("numericValue")


def run_lighthouse(url: str, out: Path, cookie: str | None = None, preset: str = "mobile") -> dict:
    """The four category scores (0-100), SEO without `is-crawlable`, the failing audits, a few
    metrics, and any non-loopback request."""
    cmd = ["node", str(CLI), url, "--output=json", f"--output-path={out}", "--quiet",
           "--no-enable-error-reporting", f"--chrome-flags={CHROME_FLAGS}"]
    if preset != "mobile":  # mobile is Lighthouse's default
        cmd.append(f"--preset={preset}")
    if cookie:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    done = subprocess.run(cmd, env=dict(os.environ, CHROME_PATH=CHROME), capture_output=True,
                          text=True, timeout=240)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError("lighthouse failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
    data = json.loads(out.read_text())
    scores = {c: round((data["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
    failing = {}
    for c in CATEGORIES:
        for ref in data["categories"][c]["auditRefs"]:
            audit = data["audits"].get(ref["id"], {})
            if ref.get("weight", 0) > 0 and audit.get("score") is not None and audit["score"] < 1:
                failing.setdefault(c, []).append(ref["id"])
    requests = data["audits"].get("network-requests", {}).get("details", {}).get("items", [])
    foreign = [r["url"] for r in requests
               if urllib.parse.urlsplit(r["url"]).hostname not in (None, "127.0.0.1", "localhost")
               and not r["url"].startswith(("data:", "blob:", "chrome"))]
    return {"scores": scores, "seo_without_crawlable": _seo_without_crawlable(data),
            "failing": failing, "foreign": foreign,
            "final_url": data.get("finalDisplayedUrl") or data.get("finalUrl"),
            "warnings": data.get("runWarnings", []),
            "metrics": {"cls": _metric(data, "cumulative-layout-shift"),
                        "tbt": _metric(data, "total-blocking-time"),
                        "max_fid": _metric(data, "max-potential-fid"),
                        "lcp": _metric(data, "largest-contentful-paint"),
                        "fcp": _metric(data, "first-contentful-paint")},
            "long_tasks": _long_tasks(data),
            "benchmark_index": data.get("environment", {}).get("benchmarkIndex")}


def audit(url: str, out: Path, cookie: str | None = None, preset: str = "mobile", runs: int = 3) -> dict:
    """Lighthouse once; when performance is under 100, two more runs and the median of each category.

    Lighthouse's own advice for a machine whose load varies: the median of several runs (the
    other three categories do not depend on the machine's speed). The largest layout shift of
    all runs is kept (a shift seen once is a shift).
    """
    results = [run_lighthouse(url, out, cookie, preset)]
    if results[0]["scores"]["performance"] < 100:
        results += [run_lighthouse(url, out.with_name(f"{out.stem}-run{i}.json"), cookie, preset)
                    for i in range(2, runs + 1)]
    cls = max((r["metrics"]["cls"] or 0) for r in results)
    if len(results) == 1:
        return dict(results[0], runs=1, cls=cls)
    scores = {c: sorted(r["scores"][c] for r in results)[len(results) // 2] for c in CATEGORIES}
    seo_other = sorted(r["seo_without_crawlable"] for r in results)[len(results) // 2]
    middle = sorted(results, key=lambda r: r["scores"]["performance"])[len(results) // 2]
    failing = {}
    for r in results:
        for c, ids in r["failing"].items():
            failing[c] = sorted(set(failing.get(c, [])) | set(ids))
    foreign = sorted({u for r in results for u in r["foreign"]})
    return dict(middle, scores=scores, seo_without_crawlable=seo_other, failing=failing, foreign=foreign,
                runs=len(results), cls=cls, all_runs=results)


def measure(report, quick: bool = False) -> None:
    """Quick: English, mobile, home, an article and the two card steps; else everything."""
    why = ensure_lighthouse()
    if why:
        report.skip(CASE, why)
        return
    work = Path(tempfile.mkdtemp(prefix="hc-bench-lh-"))
    db = DemoDatabase(work).create()
    results = []  # (page label, lang, preset, result)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    try:
        with Gunicorn("helpcenter:create_app()", base_env(db.url), workers=2, log=work / "app.log") as srv:
            crawl = Crawlability(srv.url)
            langs = ("en",) if quick else ("en", "fr")
            presets = PRESETS[:1] if quick else PRESETS
            for preset in presets:
                for lang in langs:
                    def check(label, url, cookie=None, card_step=False, lang=lang, preset=preset):
                        # The page itself, not a redirect to it (/en/articles/1 -> its canonical URL).
                        url, header, body = fetch(url, cookie)
                        name = label.replace(" ", "-").replace("(", "").replace(")", "")
                        res = audit(url, OUT / f"{preset}-{lang}-{name}.json", cookie, preset)
                        res["blocked"] = crawl.blocked(url, header, body)
                        res["card_step"] = card_step
                        results.append((label, lang, preset, res))
                        print(f"   {label} ({lang}, {preset}): "
                              + "/".join(str(res["scores"][c]) for c in CATEGORIES)
                              + f" in {res['runs']} run(s)", file=sys.stderr, flush=True)

                    plain = [("home", f"/{lang}/"), ("search", f"/{lang}/search?q=seats"),
                             ("article", f"/{lang}/articles/1")]
                    for label, path in (plain[::2] if quick else plain):
                        check(label, srv.url + path)
                    # One new card per payment-details walk: 4 in a full run, under the new-card
                    # limit of 5 per 10 minutes per IP (config.py RATELIMIT_NEW_CARD).
                    for workflow, walker in (("seats", walk), ("payment", walk_payment)):
                        browser = Browser(HttpTransport(srv.url))

                        def visit(step, page, workflow=workflow, browser=browser, check=check):
                            card_step = (workflow, step) in CARD_STEPS
                            if quick and not card_step:
                                return
                            url = page.url if page.url.startswith("http") else srv.url + page.url
                            check(f"{workflow} {step}", url, browser.t.cookie_header(), card_step)

                        walker(browser, lang, visit=visit)
    finally:
        db.remove()
    _report(report, results)


def _run_figures(r: dict) -> str:
    """"perf 90 (TBT 399 ms, long tasks 1081 ms of which 993 unattributable, benchmarkIndex 2086)"."""
    total, unattributed = r["long_tasks"]
    tbt = r["metrics"]["tbt"] or 0
    return (f"perf {r['scores']['performance']} (TBT {tbt:.0f} ms, long tasks {total:.0f} ms of which "
            f"{unattributed:.0f} unattributable, benchmarkIndex {r['benchmark_index'] or 0:.0f})")


def _report(report, results) -> None:
    misses = 0
    foreign = []
    load_only = []
    for label, lang, preset, res in results:
        s = res["scores"]
        seo_ok = s["seo"] == 100 or (res["blocked"] is not None and res["seo_without_crawlable"] == 100)
        ok = seo_ok and all(s[c] == 100 for c in CATEGORIES if c != "seo")
        misses += not ok
        foreign += res["foreign"]
        value = "/".join(str(s[c]) for c in CATEGORIES)
        if s["seo"] < 100 and res["blocked"]:
            value += (f" (SEO {res['seo_without_crawlable']} without {CRAWLABLE}: "
                      f"{res['blocked']})")
        shown = {c: ids for c, ids in res["failing"].items()
                 if s[c] < 100 and not (c == "seo" and seo_ok)}
        if "seo" in res["failing"] and seo_ok and s["seo"] < 100:
            others = [i for i in res["failing"]["seo"] if i != CRAWLABLE]
            if others:  # failed in a run that was not the median
                shown["seo"] = others
        notes = []
        if res["runs"] > 1:  # every run: its performance score, what moved it, the machine's speed
            notes.append(f"median of {res['runs']} runs: " + ", ".join(_run_figures(r) for r in res["all_runs"]))
        elif res.get("benchmark_index"):
            notes.append(f"benchmarkIndex {res['benchmark_index']:.0f}")
        if s["performance"] < 100:
            perf_ids = set(res["failing"].get("performance", []))
            if perf_ids and perf_ids <= {"total-blocking-time", "max-potential-fid"}:
                load_only.append(f"{label} ({lang}, {preset})")
        if res["card_step"] or res["cls"]:
            notes.append(f"CLS {res['cls']:.3f}")
        notes += [f"{c}: {', '.join(ids)}" for c, ids in shown.items()]
        report.add(CASE, f"{label} ({lang}, {preset}) perf/a11y/bp/seo", value, "100/100/100/100", ok,
                   "; ".join(notes)[:600])
    total = len(results)
    report.add(CASE, "pages with every score 100", f"{total - misses} of {total}", f"{total} of {total}",
               misses == 0)
    for preset in dict.fromkeys(p for _, _, p, _ in results):
        mine = [(label, res) for label, _, p, res in results if p == preset]
        good = sum(1 for label, res in mine if all(res["scores"][c] == 100 for c in CATEGORIES if c != "seo"))
        report.add(CASE, f"{preset}: pages with performance, accessibility, best practices 100",
                   f"{good} of {len(mine)}")
    if load_only:
        report.add(CASE, "performance under 100 only on total-blocking-time (machine load)",
                   str(len(load_only)), "", None, ", ".join(load_only)[:300])
    card = [res["cls"] for _, _, _, res in results if res["card_step"]]
    if card:
        report.add(CASE, "layout shift on the card steps (largest cumulative-layout-shift, any run)",
                   f"{max(card):.3f} over {len(card)} pages", "0", max(card) == 0)
    report.add(CASE, "requests to another host seen by Lighthouse", str(len(foreign)), "0", not foreign,
               ", ".join(sorted(set(foreign)))[:200])
