"""Anonymous help pages (home, articles) cached in memory and served before the app's hooks.

A reader without a session sees the same page as every other reader of that URL, so the page
is rendered once per (host, URL, store version) and then answered from memory by a WSGI layer
in front of Flask: no session, CSRF, rate-limit, locale or template work. It carries an ETag
and `Cache-Control: public, max-age=...` so that a reverse proxy or CDN can keep it too, and an
`If-None-Match` with that ETag is answered 304.

Who never gets a cached page: a request with a session or remember-me cookie (a signed-in
visitor sees their own header and gets no public Cache-Control), a request with a query
string, anything but GET and HEAD. What is never stored: a response that sets a cookie, that
is not a 200, or that the view did not mark with `mark_public()`.
"""
import threading
from dataclasses import dataclass

from flask import current_app, g, request, session
from werkzeug.http import parse_cookie

ENVIRON_KEY = "helpcenter.public_page"  # set on a response the cache may keep: (version, needs_lang)
DEFAULT_MAX_AGE = 300  # seconds a browser, proxy or CDN may reuse a page without asking again
DEFAULT_SIZE = 2000  # pages kept per process (an article page is about 11 KB)


def mark_public(needs_lang: str | None = None) -> None:
    """The view's page is the same for every anonymous reader of its URL.

    `needs_lang`: the page remembers the reader's language in a cookie (home), so a cached copy
    may only go to a reader whose cookie already says that language.
    """
    g.public_page = (current_app.extensions["help_store"].version, needs_lang)


def signed_cookie_names(config) -> tuple[str, ...]:
    """Cookies whose presence means "this visitor may be signed in": no shared page for them."""
    return (config.get("SESSION_COOKIE_NAME") or "session", config.get("REMEMBER_COOKIE_NAME") or "remember_token")


def may_share(cookie_header: str, names: tuple[str, ...]) -> bool:
    """No session or remember-me cookie in the request (a substring test errs on the safe side)."""
    return not any(name + "=" in cookie_header for name in names)


def make_public(response):
    """After every other hook: give a marked page its ETag and public caching, when it is safe."""
    marked = g.get("public_page")
    if (marked is None or request.method not in ("GET", "HEAD") or response.status_code != 200
            or "Set-Cookie" in response.headers or session
            or not may_share(request.headers.get("Cookie", ""), signed_cookie_names(current_app.config))):
        return response
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["PAGE_CACHE_MAX_AGE"]
    response.add_etag()
    response.make_conditional(request)
    request.environ[ENVIRON_KEY] = marked
    return response


@dataclass(frozen=True)
class Entry:
    version: str
    needs_lang: str | None
    etag: str
    headers: list
    body: bytes


class PageCache:
    """The WSGI layer: answers stored pages, stores marked ones. One per app (and per process)."""

    def __init__(self, wsgi_app, app):
        self.wsgi_app = wsgi_app
        self.app = app
        self.size = int(app.config["PAGE_CACHE_SIZE"])
        self.cookie_names = signed_cookie_names(app.config)
        self._entries: dict[tuple, Entry] = {}
        self._lock = threading.Lock()

    def _key(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return None
        if not may_share(environ.get("HTTP_COOKIE", ""), self.cookie_names):
            return None
        # Everything that can change the page's absolute URLs (canonical, alternates) is in the key.
        return (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("HTTP_X_FORWARDED_PROTO"),
                environ.get("HTTP_X_FORWARDED_HOST"), environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO"))

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        entry = self._entries.get(key)
        if entry is not None and self._usable(entry, environ):
            return self._answer(entry, environ, start_response)
        captured = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        marked = environ.get(ENVIRON_KEY)
        if marked is None or environ["REQUEST_METHOD"] != "GET" or not captured or not captured[0].startswith("200"):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = [(k, v) for k, v in captured[1] if k.lower() != "set-cookie"]
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        if etag is not None:
            self._store(key, Entry(marked[0], marked[1], etag, headers, data))
        return [data]

    def _usable(self, entry: Entry, environ) -> bool:
        if entry.version != self.app.extensions["help_store"].version:
            return False
        if entry.needs_lang is not None:
            return parse_cookie(environ.get("HTTP_COOKIE", "")).get("lang") == entry.needs_lang
        return True

    def _answer(self, entry: Entry, environ, start_response):
        if entry.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", [(k, v) for k, v in entry.headers
                                                if k.lower() in ("etag", "cache-control", "vary", "date")])
            return []
        start_response("200 OK", entry.headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _store(self, key, entry: Entry) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.size:  # the oldest page goes first
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """How many pages are stored."""
        return len(self._entries)

    def entries(self) -> list[Entry]:
        """A snapshot of the stored pages, oldest first."""
        with self._lock:
            return list(self._entries.values())


def init_app(app) -> None:
    app.config.setdefault("PAGE_CACHE_MAX_AGE", DEFAULT_MAX_AGE)
    app.config.setdefault("PAGE_CACHE_SIZE", DEFAULT_SIZE)
    # Registered first, so that it runs after every other after_request hook (Flask runs them in
    # reverse): it must see the language cookie and the final status.
    app.after_request_funcs.setdefault(None, []).insert(0, make_public)
    cache = PageCache(app.wsgi_app, app)
    app.extensions["page_cache"] = cache
    app.wsgi_app = cache
