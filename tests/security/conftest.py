"""Fixtures for the security tests: rate-limited apps, Redis, snapshots of the billing tables,
signed-in clients for each demo contact, and the app's routes enumerated from its URL map."""
import hashlib
import os
import re
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from tests.conftest import skip_or_fail

REDIS_URL = os.environ.get("HELPCENTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# The billing backend's tables are the state that must never change by accident; failed
# sign-ins are counted there on purpose (throttling). Workflow runs and the help centre's
# feedback and search statistics are visitors' own state, outside the billing tables.
NOT_BILLING_STATE = {"sign_in_failures"}
# Columns that are session state, not billing state: sign-out bumps the contact's generation.
NOT_BILLING_COLUMNS = {("contacts", "session_generation")}

DEMO = {
    "dupont": ("billing@dupont.example", "demo-pass-fr"),
    "dupont_admin": ("admin@dupont.example", "demo-pass-admin"),
    "northwind": ("billing@northwind.example", "demo-pass-en"),
    "globex": ("billing@globex.example", "demo-pass-corp"),
}

FRENCH_MARKERS = ("Centre d’aide", "Centre d'aide", "Rechercher", "Aller au contenu")


def redis_reachable(url: str = REDIS_URL) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url():
    if not redis_reachable():
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def limited_config(app_config):
    """Settings with rate limiting on (the suite's default is off) and small, known limits."""
    app_config.update({
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_SIGN_IN": "5 per minute",
        "RATELIMIT_SEARCH": "6 per minute",
        "RATELIMIT_FEEDBACK": "4 per minute",
    })
    return app_config


def fresh_ip() -> str:
    """A client address no other test used, so that counters in a shared store start at zero."""
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


# --- billing state -----------------------------------------------------------

def billing_tables():
    from helpcenter.billing import models as m
    from helpcenter.db import Base
    mapped = {cls.__table__.name for cls in vars(m).values()
              if isinstance(cls, type) and issubclass(cls, Base) and hasattr(cls, "__table__")}
    return [t for t in Base.metadata.sorted_tables if t.name in mapped and t.name not in NOT_BILLING_STATE]


def snapshot(engine) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row of every billing table."""
    state = {}
    with engine.connect() as conn:
        for table in billing_tables():
            columns = [c for c in table.columns if (table.name, c.name) not in NOT_BILLING_COLUMNS]
            rows = conn.execute(select(*columns)).all()
            digest = hashlib.sha256()
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
            state[table.name] = (len(rows), digest.hexdigest())
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


@pytest.fixture
def billing_snapshot(app):
    """Call it to take a snapshot of the billing tables (counts and row hashes)."""
    engine = app.extensions["db_engine"]
    return lambda: snapshot(engine)


# --- clients -----------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_of(html: str) -> str | None:
    match = CSRF_RE.search(html)
    return match.group(1) if match else None


def sign_in(client, who: str, lang: str = "en"):
    email, password = DEMO[who]
    page = client.get(f"/{lang}/sign-in").get_data(as_text=True)
    r = client.post(f"/{lang}/sign-in", data={"email": email, "password": password, "csrf_token": csrf_of(page)})
    assert r.status_code == 303, f"sign-in as {who} failed: {r.status_code}"
    return r


@pytest.fixture
def signed_in(app, demo):
    """signed_in("northwind") -> a test client signed in as that demo contact."""
    def make(who: str, lang: str = "en"):
        client = app.test_client()
        sign_in(client, who, lang)
        return client
    return make


def session_cookie(client, app) -> str | None:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return cookie.value if cookie else None


def html_lang(body: str) -> str | None:
    match = re.search(r'<html[^>]*\blang="([a-z-]+)"', body)
    return match.group(1) if match else None


def account_ids(session):
    """{demo key: (account id, contact id, [subscription ids])} read from the database."""
    from helpcenter.billing import models as m
    out = {}
    for key, (email, _pw) in DEMO.items():
        contact = session.execute(select(m.Contact).where(m.Contact.email == email)).scalar_one()
        subs = session.execute(select(m.Subscription.id).where(m.Subscription.account_id == contact.account_id)).scalars().all()
        out[key] = (contact.account_id, contact.id, list(subs))
    return out


def execute_sql(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


@pytest.fixture(scope="session")
def sec():
    """This module's helpers (csrf_of, fresh_ip, snapshot, sign_in, ...) for the tests."""
    # globals() is this file's namespace; sys.modules["conftest"] may be another folder's conftest.
    import types
    return types.SimpleNamespace(**globals())


# --- a browser without JavaScript, for walking the workflow ------------------

def page_forms(response):
    """[(action, fields, buttons)] of the page's POST forms; buttons as (name, value, text)."""
    from bs4 import BeautifulSoup
    doc = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    out = []
    for form in doc.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        action = form.get("action") or response.request.full_path
        fields = {}
        for el in form.find_all("input"):
            kind = (el.get("type") or "text").lower()
            if kind in ("radio", "checkbox") and not el.has_attr("checked"):
                continue
            if el.get("name"):
                fields[el["name"]] = el.get("value", "")
        buttons = [(b.get("name"), b.get("value", ""), " ".join(b.get_text(" ").split()))
                   for b in form.find_all("button")]
        out.append((action, fields, buttons))
    return out


def press(client, response, button: str, fields: dict | None = None, follow=True):
    """Submit the form holding a button whose text matches `button` (regex), with `fields` changed."""
    for action, data, buttons in page_forms(response):
        if "sign-out" in action:
            continue
        for name, value, label in buttons:
            if re.search(button, label, re.I):
                if name:
                    data[name] = value
                data.update(fields or {})  # what the caller sends wins, even over the button's value
                return client.post(action, data=data, follow_redirects=follow)
    raise AssertionError(f"no button {button!r} on {response.request.path}")


def step_of(response) -> str:
    return response.request.path.rstrip("/").rsplit("/", 1)[-1]


def run_of(response) -> str | None:
    from urllib.parse import parse_qs
    values = parse_qs(urlsplit(response.request.full_path).query).get("run")
    return values[0] if values else None


def walk_to_confirm(client, quantity=8, product="gotoassist-rs5", lang="en"):
    """A signed-in billing contact goes from the start to the confirm step; returns that page."""
    page = client.get(f"/{lang}/wizard/seats/?product={product}", follow_redirects=True)
    if step_of(page) == "product":
        page = press(client, page, r".")
    assert step_of(page) == "seats", page.request.path
    page = press(client, page, r"add to cart|ajouter au panier", {"quantity": str(quantity)})
    page = press(client, page, r"^(checkout|commander)$")
    assert step_of(page) == "review", page.request.path
    page = press(client, page, r"continue|continuer")
    if step_of(page) == "payment":
        page = press(client, page, r"continue|continuer")
    assert step_of(page) == "confirm", page.request.path
    return page
