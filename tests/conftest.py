"""Shared fixtures: app, client, runner, a migrated database (SQLite, or PostgreSQL when
HELPCENTER_TEST_DATABASE_URL is set), a live server, Chromium through Playwright, and a
real SMTP server (aiosmtpd) on loopback."""
import functools
import os
import re
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from helpcenter import create_app
from helpcenter.db import Base
from helpcenter.migrate import upgrade

TODAY = "2026-11-26"
# What production insists on (helpcenter/config.py): a random secret, the real hash profile, the
# site's address, and the vendor's real addresses (corporate contacts, email sender) instead of the
# shipped examples.
PRODUCTION = {"ENV": "production", "SECRET_KEY": "Vq3xY8p_Lr2mZ0tK9wHs4bNc7dJf1gAe6uQiXoTy5vRk",
              "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY", "BASE_URL": "https://help.example.com",
              "CORPORATE_PORTAL_URL": "https://corporate.help.example.com/",
              "CORPORATE_SERVICES_EMAIL": "corporate@help.example.com", "CORPORATE_SERVICES_PHONE": "+353 1 555 0100",
              "MAIL_DEFAULT_SENDER": "Help Centre <billing@help.example.com>"}
TEST_DATABASE_URL = os.environ.get("HELPCENTER_TEST_DATABASE_URL")
CHROMIUM = os.environ.get("HELPCENTER_CHROMIUM", "/usr/bin/chromium")
# In CI (CI=1, set by .ci/run) a missing service the spec requires fails the run instead of skipping.
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")


def skip_or_fail(reason: str):
    """Skip on a developer's machine; fail in CI, where nothing the spec requires may be missing."""
    if IN_CI:
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Browser tests get their marker; a test about one database's behaviour (row locks, the
    server pool; SQLite's writer lock) runs in that database's tier only, deselected in the
    other, so that no tier ever skips."""
    tier = "postgresql" if TEST_DATABASE_URL else "sqlite"
    kept, deselected = [], []
    for item in items:
        if "/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
        only = {name for name in ("postgresql", "sqlite") if item.get_closest_marker(name)}
        (deselected if only and tier not in only else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# --- database ---------------------------------------------------------------

def _reset_schema(url: str) -> None:
    """Drop everything so that the migrations run from an empty database."""
    import helpcenter.models  # noqa: F401  (complete metadata)
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database migrated once per test session with Alembic (the real upgrade path)."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if TEST_DATABASE_URL and worker:
        url = _worker_database(url, worker)
    _reset_schema(url)
    upgrade(url)
    return url


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database of the test tier's kind, for tests that run the migrations themselves:
    a SQLite file, or (PostgreSQL tier) a database of its own per xdist worker, emptied."""
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path / 'empty.db'}"
    url = _worker_database(TEST_DATABASE_URL, os.environ.get("PYTEST_XDIST_WORKER", "main") + "_empty")
    _reset_schema(url)
    return url


def _worker_database(url: str, worker: str) -> str:
    """A PostgreSQL database of its own for each xdist worker (test_gw0, test_gw1, ...)."""
    from sqlalchemy.engine import make_url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _empty_tables(url: str) -> None:
    import helpcenter.models  # noqa: F401
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def app_config(database_url, tmp_path):
    """Settings for one test; a test may change them before asking for `app`."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-0123456789",
        "TODAY": TODAY,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",  # fast tests; production refuses it (tests/security)
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    yield app
    app.extensions["db_engine"].dispose()
    _empty_tables(app_config["DATABASE_URL"])


class MovingClock:
    """The app's clock for a test: the pinned day, and a time of day that only the test moves."""

    def __init__(self, today, now):
        self._today, self._now = today, now

    def today(self):
        return self._today

    def now(self):
        return self._now

    def advance(self, delta) -> None:
        self._now += delta


@pytest.fixture
def app_clock(app):
    """Replace the app's clock with one the test moves (session timeouts without sleep())."""
    from datetime import datetime, timezone
    clock = MovingClock(app.extensions["clock"].today(), datetime.now(timezone.utc))
    app.extensions["clock"] = clock
    return clock


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session on the test database, for arranging and checking state."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def demo(app, db_session):
    """The spec's demo data, placed relative to TODAY."""
    from helpcenter.billing.demo import seed_demo
    seed_demo(db_session, app.extensions["clock"].today(), app.extensions["passwords"])
    db_session.commit()
    return app


# --- translations -----------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _compiled_catalog(path: str, _mtime: float):
    """The compiled catalog as Babel reads it (public API; re-read when the file changes)."""
    from babel.messages.mofile import read_mo
    with open(path, "rb") as mo:
        return read_mo(mo)


def translated_in_catalog(app, msgid) -> bool:
    """The French catalog the app loads has a translation for msgid (which may read the same,
    like "Agents"); for a plural, msgid is its singular."""
    directory = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0]
    path = os.path.join(directory, "fr", "LC_MESSAGES", "messages.mo")
    entry = _compiled_catalog(path, os.path.getmtime(path)).get(msgid)
    if entry is None:
        return False
    return any(entry.string) if isinstance(entry.string, (list, tuple)) else bool(entry.string)


@pytest.fixture
def translate(app):
    """The app's translation of a msgid in a language (and proof that French is really translated)."""
    from flask_babel import force_locale, gettext, ngettext

    def translate(lang, msgid, plural=None, num=None, **params):
        with app.test_request_context(f"/{lang}/"), force_locale(lang):
            text = ngettext(msgid, plural, num, **params) if plural else gettext(msgid, **params)
        if lang == "fr":
            assert translated_in_catalog(app, msgid), f"not translated: {msgid}"
        return text
    return translate


@pytest.fixture
def in_locale(app):
    """Run a callable (a message function of helpcenter.messages) in a language."""
    from flask_babel import force_locale

    def run(lang, func, *args, **kwargs):
        with app.test_request_context(f"/{lang}/"), force_locale(lang):
            result = func(*args, **kwargs)
            return result if isinstance(result, dict) else str(result)
    return run


# --- forms ------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


class FormClient:
    """Posts forms the way a browser does: GET the page, take its CSRF token, POST."""

    def __init__(self, client):
        self.client = client

    def token(self, page_url: str) -> str:
        return csrf_token_from(self.client.get(page_url).get_data(as_text=True))

    def post(self, page_url: str, data: dict, action: str | None = None, **kwargs):
        data = dict(data)
        data.setdefault("csrf_token", self.token(page_url))
        return self.client.post(action or page_url, data=data, **kwargs)


@pytest.fixture
def forms(client):
    return FormClient(client)


class AuthActions:
    """Signs a contact in and out through the real sign-in page."""

    def __init__(self, client):
        self.client = client
        self.forms = FormClient(client)

    def sign_in(self, email="billing@dupont.example", password="demo-pass-fr", lang="en"):
        url = f"/{lang}/sign-in"
        return self.forms.post(url, {"email": email, "password": password})

    def sign_out(self, lang="en"):
        return self.forms.post(f"/{lang}/account/", {}, action=f"/{lang}/sign-out")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- live server, browser, SMTP --------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The app served over HTTP on loopback in a thread."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is not installed (scripts/test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    # Any request to another host is a failure: pages load nothing from elsewhere.
    foreign = []
    page.on("request", lambda r: foreign.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "about:")) else None)
    yield page
    context.close()
    assert not foreign, f"requests to other hosts: {foreign}"


def assert_accessible(page) -> None:
    """axe-core (WCAG 2.x A/AA rules) finds no violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe
    # A click on a link returns once the navigation has started: wait for the new document to
    # be parsed and loaded, or axe audits an empty <html> (no main, no h1) half the time in CI.
    page.wait_for_load_state("load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
    violations = results.response["violations"]
    assert not violations, "\n".join(
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in violations)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from email.message import EmailMessage  # noqa: F401

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.received = received
    yield controller
    controller.stop()


# The billing operations only flush: the caller owns the transaction. A test that calls them
# directly is that caller, and commits as a request does (helpcenter/db.py): after success and
# after a refusal (a refused sign-in keeps its failure, a stale quote its replacement), and
# rolls back on any other error.
_BILLING_OPERATIONS = ("quote_seat_change", "update_payment_details", "save_payment_details", "place_order",
                       "assign_seat", "unassign_seat", "add_user", "authenticate")
# The operations the views call that may write, where the views find them: a view that catches
# a refusal shows a page, and the request then commits whatever was written.
_VIEWS_OPERATIONS = {"identity": ("authenticate",), "orders": ("place_order",),
                     "payment_methods": ("check_vat_number", "save_payment_details", "update_payment_details",
                                         "verify_card"),
                     "quotes": ("quote_seat_change",), "seats": ("assign_seat", "unassign_seat"),
                     "users": ("add_user",), "corporate": ("request_seat_quote",)}

WRITE_RE = re.compile(r'\s*(?:INSERT\s+INTO\s+(\S+)|UPDATE\s+(\S+)|DELETE\s+FROM\s+(\S+))', re.I)
# A refusal changes nothing: no row may be written but what the refusal itself is about (a
# failed sign-in, the quote that replaces a stale one). A statement that matched no row (taking
# back a seat nobody had) wrote nothing.
WRITTEN_BY_REFUSAL = {"SignInFailed": {"sign_in_failures"}, "SignInThrottled": {"sign_in_failures"},
                      "QuoteStale": {"quotes"}}
# SQLite's account lock (billing/common.py lock_account) is an UPDATE that sets a column to itself.
NO_OP_UPDATE_RE = re.compile(r"\bSET\s+(\w+)\s*=\s*\w+\.\1\s+WHERE\b", re.I)


def _checked_operation(operation, commit: bool):
    """The operation, failing the test if a refusal wrote anything; committing like a request if asked."""
    import functools
    import threading

    from sqlalchemy import event

    from helpcenter import transaction
    from helpcenter.billing.errors import BillingError

    @functools.wraps(operation)
    def call(session, *args, **kwargs):
        writes, me = [], threading.get_ident()

        def record(conn, cursor, statement, parameters, context, executemany):
            match = WRITE_RE.match(statement)
            if (match and threading.get_ident() == me and cursor.rowcount != 0
                    and not NO_OP_UPDATE_RE.search(statement)):
                writes.append(next(name for name in match.groups() if name).strip('"').lower())

        if session.new or session.dirty or session.deleted:
            session.flush()  # the caller's own changes (a workflow run just started), not the operation's
        engine = session.get_bind()
        event.listen(engine, "after_cursor_execute", record)
        try:
            result = operation(session, *args, **kwargs)
        except BillingError as refusal:
            unexpected = sorted(set(writes) - WRITTEN_BY_REFUSAL.get(type(refusal).__name__, set()))
            unflushed = session.new or session.dirty or session.deleted
            assert not unexpected and not unflushed, (
                f"{operation.__name__} refused ({type(refusal).__name__}) after writing "
                f"{unexpected or 'nothing'}; unflushed: {unflushed or 'nothing'}")
            if commit:
                transaction.commit(session)
            raise
        except Exception:
            if commit:
                session.rollback()
            raise
        finally:
            event.remove(engine, "after_cursor_execute", record)
        if commit:
            transaction.commit(session)
        return result
    return call


@pytest.fixture(autouse=True)
def _tests_commit_like_a_request(monkeypatch):
    import importlib

    from helpcenter.billing import service

    for name in _BILLING_OPERATIONS:
        monkeypatch.setattr(service, name, _checked_operation(getattr(service, name), commit=True))
    for module_name, names in _VIEWS_OPERATIONS.items():
        module = importlib.import_module(f"helpcenter.billing.{module_name}")
        for name in names:
            monkeypatch.setattr(module, name, _checked_operation(getattr(module, name), commit=False))
