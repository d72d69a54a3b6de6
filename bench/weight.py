"""Page weight: bytes of HTML, CSS, JavaScript (and any other subresource) per page.

Pages: home, search results, an article and each workflow step, in both languages, fetched
through the Flask test client (uncompressed bytes, as the app sends them). Any subresource
URL on another host (scripts, styles, images, fonts, CSS url()/@import) is counted.
"""
from __future__ import annotations

import re
import tempfile
import urllib.parse
from pathlib import Path

from bs4 import BeautifulSoup

from bench.common import DemoDatabase, app_config, fmt_bytes
from bench.workflow import Browser, FlaskTransport, walk

CASE = "weight"
LIMIT = 50 * 1024
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def subresources(html: bytes) -> list[tuple[str, str]]:
    """(kind, url) of everything a browser loads for this HTML (not links a reader may follow)."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for link in soup.find_all("link", href=True):
        rel = {r.lower() for r in (link.get("rel") or [])}
        if rel & {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"}:
            found.append(("css" if "stylesheet" in rel else "other", link["href"]))
    for tag in soup.find_all(["script", "img", "iframe", "source", "video", "audio", "embed"]):
        src = tag.get("src")
        if src:
            found.append(("js" if tag.name == "script" else "other", src))
    for tag in soup.find_all(style=True):
        found += [("other", a or b) for a, b in CSS_URL.findall(tag["style"])]
    return found


def is_foreign(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "about", "blob"):
        return False
    return bool(parts.netloc) and parts.hostname not in ("127.0.0.1", "localhost")


def page_weight(client, html: bytes) -> dict:
    sizes = {"html": len(html), "css": 0, "js": 0, "other": 0}
    foreign = []
    seen = set()
    queue = subresources(html)
    while queue:
        kind, url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        if url.startswith("data:"):
            continue
        if is_foreign(url):
            foreign.append(url)
            continue
        path = urllib.parse.urlsplit(url).path
        resp = client.get(path)
        body = resp.get_data()
        resp.close()
        if resp.status_code != 200:
            foreign.append(f"{url} (HTTP {resp.status_code})")
            continue
        sizes[kind] += len(body)
        if kind == "css":
            for a, b in CSS_URL.findall(body.decode("utf-8", "replace")):
                ref = urllib.parse.urljoin(path, a or b)
                queue.append(("other", ref))
    sizes["total"] = sizes["html"] + sizes["css"] + sizes["js"] + sizes["other"]
    sizes["foreign"] = foreign
    return sizes


def collect_pages(app, lang: str) -> dict[str, bytes]:
    """HTML of home, search, article 1 and every workflow step, in `lang`."""
    pages = {}
    client = app.test_client()
    browser = Browser(FlaskTransport(client))
    for name, url in (("home", f"/{lang}/"), ("search", f"/{lang}/search?q=seats"),
                      ("article", f"/{lang}/articles/1")):
        page = browser.get(url)
        if page.status == 200:
            pages[name] = page.body
    walk(browser, lang, visit=lambda step, page: pages.__setitem__(f"step {step}", page.body))
    return pages


def measure(report, quick: bool = False) -> None:
    from helpcenter import create_app
    db = DemoDatabase(Path(tempfile.mkdtemp(prefix="hc-bench-weight-"))).create()
    try:
        app = create_app(app_config(db.url))
        langs = ("en",) if quick else ("en", "fr")
        worst = {}
        foreign_total = []
        for lang in langs:
            client = app.test_client()
            for name, html in collect_pages(app, lang).items():
                w = page_weight(client, html)
                foreign_total += w["foreign"]
                key = name
                if key not in worst or w["total"] > worst[key]["total"]:
                    worst[key] = dict(w, lang=lang)
        for name, w in worst.items():
            report.add(CASE, f"page {name} ({'/'.join(langs)}: heavier is {w['lang']})",
                       f"{fmt_bytes(w['total'])} (html {fmt_bytes(w['html'])}, css {fmt_bytes(w['css'])}, "
                       f"js {fmt_bytes(w['js'])}, other {fmt_bytes(w['other'])})",
                       "< 50 KB", w["total"] < LIMIT)
        report.add(CASE, "requests to another host (all pages)", str(len(foreign_total)), "0",
                   not foreign_total, ", ".join(sorted(set(foreign_total)))[:200])
        app.extensions["db_engine"].dispose()
    finally:
        db.remove()
