"""Load and fault run: many concurrent sign-ins and orders against gunicorn on PostgreSQL,
with double submits, stale quotes, a worker killed mid-run and the SMTP server stopped for
part of the run; then a reconciliation of the database that fails on any mismatch.

    scripts/load-test [--accounts 100] [--clients 240] [--workers 4] [--quick]

Everything runs on loopback: gunicorn (the app, several worker processes), an aiosmtpd SMTP
server in this process, HTTP clients as threads (urllib, one cookie jar each, CSRF tokens
read from the pages). See SECURITY.md, "Load and fault run".
"""
import argparse
import collections
import html.parser
import http.client
import http.cookiejar
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = "2026-11-26"
PASSWORD = "load-pass-0123"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/hc_load"

PLACE = r"place order|passer la commande"
CONTINUE = r"^(continue|continuer)"
CHECKOUT = r"^(checkout|commander)$"
ADD_TO_CART = r"add to cart|ajouter au panier"
# An order number is HC- and at least six digits; a run's reference code (HC- and six capitals
# or digits, on the same pages) can look like one, so the done page is read where it names the order.
ORDER_NUMBER = re.compile(r"HC-\d{6,}(?![0-9A-Z])")
DONE_NUMBER = re.compile(r'class="confirmation-number">[^<]*?(HC-\d{6,})')


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- database: reset, migrate, seed -------------------------------------------

def reset_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    from helpcenter.migrate import upgrade
    upgrade(url)


ACCOUNT_KINDS = [  # country, currency, locale, product code
    ("FR", "EUR", "fr", "gotoassist-rs5"),
    ("US", "USD", "en", "gotoassist-rs5"),
    ("IE", "EUR", "en", "gotoassist-rs5"),
    ("DE", "EUR", "en", "gotoassist-seeit"),
    ("US", "USD", "en", "gotomeeting-business"),
]


def seed(url: str, accounts: int) -> list[dict]:
    """The catalogue (through the demo seed) and `accounts` self-service accounts, each with a
    billing contact, a saved sandbox card, one subscription; every third has a credit balance,
    some others a debt (each with its opening ledger entry)."""
    from argon2 import PasswordHasher
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from helpcenter.billing import models as m
    from helpcenter.billing.demo import seed_demo
    from helpcenter.billing.pricing import period_end

    today = date.fromisoformat(TODAY)
    now = datetime.now(timezone.utc)
    # A cheaper Argon2 cost than production's default, so that the run measures the workflow
    # rather than password hashing; the hash carries its parameters, verification is unchanged.
    password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    engine = create_engine(url)
    out = []
    with Session(engine) as session:
        seed_demo(session, today)
        session.flush()
        products = {p.code: p for p in session.scalars(select(m.Product))}
        prices = {(p.product_id, p.currency): p.unit_price for p in session.scalars(select(m.ProductPrice))}
        for i in range(accounts):
            country, currency, locale, code = ACCOUNT_KINDS[i % len(ACCOUNT_KINDS)]
            # Every third account has a credit; some others owe (a negative balance the order pays off).
            balance = Decimal("15.00") if i % 3 == 0 else Decimal("-12.00") if i % 5 == 1 else Decimal("0.00")
            account = m.Account(name=f"Load Test {i:03d}", country=country, currency=currency, locale=locale,
                                corporate=False, advisor_name=None, advisor_email=None, advisor_phone=None,
                                vat_number=None, balance=balance)
            session.add(account)
            session.flush()
            if balance:
                session.add(m.LedgerEntry(account_id=account.id, kind="opening", amount=balance, currency=currency,
                                          balance_after=balance, created_at=now))
            email = f"billing{i:03d}@load.example"
            session.add(m.Contact(account_id=account.id, email=email, name=f"Load Contact {i:03d}",
                                  password_hash=password_hash, role="billing_contact"))
            session.add(m.PaymentMethod(account_id=account.id, brand="Visa", last4="4242", exp_month=12,
                                        exp_year=2030, gateway_token=f"tok_sbx_ok_load_{i:03d}", updated_at=now))
            product = products[code]
            start = today - timedelta(days=5 + i % 20)
            session.add(m.Subscription(account_id=account.id, product_id=product.id, seats=5 + i % 7,
                                       unit_price=prices[(product.id, currency)], currency=currency,
                                       term=product.term, period_start=start,
                                       period_end=period_end(start, product.term), version=1))
            out.append({"email": email, "product": code, "lang": "fr" if locale == "fr" else "en"})
        session.commit()
    engine.dispose()
    return out


# --- SMTP server that can be stopped and started again --------------------------

class Mailbox:
    def __init__(self, port: int):
        self.port = port
        self.received: list[str] = []
        self.lock = threading.Lock()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        box = self

        class Keep:
            async def handle_DATA(self, server, session, envelope):
                with box.lock:
                    box.received.append(envelope.content.decode("utf-8", "replace"))
                return "250 OK"

        self.controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# --- gunicorn ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return sorted(kids)


def wait_until_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/en/", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


# --- a browser without JavaScript ----------------------------------------------

class Forms(html.parser.HTMLParser):
    """The page's forms: action, method, fields (checked radios only), buttons (name, value, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._button = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": (a.get("method") or "get").lower(),
                               "fields": {}, "buttons": []})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "button":
            self._button = [a.get("name"), a.get("value") or "", ""]

    def handle_data(self, data):
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None and self.forms:
            name, value, text = self._button
            self.forms[-1]["buttons"].append((name, value, " ".join(text.split())))
            self._button = None


class Page:
    def __init__(self, status: int, url: str, body: str):
        self.status, self.url, self.body = status, url, body

    @property
    def step(self) -> str:
        return urllib.parse.urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]

    def forms(self):
        parser = Forms()
        parser.feed(self.body)
        return [f for f in parser.forms if f["method"] == "post"]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.status = collections.Counter()
        self.events = collections.Counter()
        self.orders_seen: set[str] = set()
        self.server_errors: list[str] = []

    def count(self, key, n=1):
        with self.lock:
            self.events[key] += n


class Browser:
    def __init__(self, base: str, stats: Stats):
        self.base, self.stats = base, stats
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, url: str, data: dict | None = None, retries: int = 6) -> Page:
        if url.startswith("/"):
            url = self.base + url
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for attempt in range(retries):
            try:
                request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
                with self.opener.open(request, timeout=120) as response:
                    page = Page(response.status, response.geturl(), response.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as error:
                page = Page(error.code, error.geturl(), error.read().decode("utf-8", "replace"))
            except (ConnectionError, http.client.HTTPException, urllib.error.URLError, TimeoutError, OSError) as error:
                # A killed worker drops its connections: the user presses the button again.
                self.stats.count("connection lost, request sent again")
                time.sleep(0.2 + attempt * 0.3)
                last = error
                continue
            with self.stats.lock:
                self.stats.status[page.status] += 1
                if page.status >= 500:
                    self.stats.server_errors.append(f"{page.status} {url}")
            return page
        raise RuntimeError(f"no answer from {url}: {last!r}")

    def press(self, page: Page, button: str | None = None, fields: dict | None = None, has: str | None = None,
              send: bool = True):
        for form in page.forms():
            action = form["action"] or page.url
            if "sign-out" in action or "/search" in action:
                continue
            if has and has not in form["fields"] and has not in {b[0] for b in form["buttons"]}:
                continue
            for name, value, text in form["buttons"] or [(None, "", "")]:
                if button is None or re.search(button, text, re.I):
                    data = dict(form["fields"])
                    if name:
                        data[name] = value
                    data.update(fields or {})
                    url = urllib.parse.urljoin(page.url, action)
                    return self.open(url, data) if send else (url, data)
        raise LookupError(f"no button {button!r} on {page.url} ({page.status})")


# --- the workflow, as customers do it ---------------------------------------------

def sign_in_and_start(browser: Browser, account: dict) -> Page:
    lang = account["lang"]
    page = browser.open(f"/{lang}/wizard/seats/?product={account['product']}")
    if page.step == "sign-in":
        page = browser.press(page, fields={"email": account["email"], "password": PASSWORD}, has="email")
    if page.step == "product":
        page = browser.press(page, has="subscription")
    if page.step != "seats":
        raise RuntimeError(f"expected the seats step, got {page.url} ({page.status})")
    return page


def to_confirm(browser: Browser, page: Page, rng: random.Random) -> Page:
    """From the seats step to the confirm step (or to done, when a twin request of this run
    placed its order meanwhile)."""
    quantity = rng.randint(1, 40)
    for _ in range(6):
        page = browser.press(page, ADD_TO_CART, {"quantity": str(quantity)})
        if page.step == "seats" and page.status >= 400:
            quantity = quantity % 40 + 1  # e.g. unchanged: choose another number
            continue
        break
    if page.step == "seats":
        page = browser.press(page, CHECKOUT)
    for _ in range(4):
        if page.step in ("confirm", "done"):
            return page
        page = browser.press(page, CONTINUE)  # review, then payment with the saved card
    raise RuntimeError(f"expected the confirm step, got {page.url} ({page.status})")


def finish(browser: Browser, page: Page, stats: Stats) -> str:
    """From a page of the workflow to the done page, as a customer would (e.g. after a
    'your subscription changed' message): returns the order number shown."""
    steps = []
    for _ in range(40):  # under contention a customer may be sent back to review several times
        steps.append(f"{page.step}:{page.status}")
        if page.step == "seats":  # sent back to choose again (the subscription changed meanwhile)
            page = to_confirm(browser, page, random.Random(len(page.body)))
            continue
        if page.step == "done":
            match = DONE_NUMBER.search(page.body)
            if not match:
                raise RuntimeError(f"no order number on {page.url}")
            with stats.lock:
                stats.orders_seen.add(match.group(1))
            return match.group(1)
        for button in (PLACE, CONTINUE, CHECKOUT):
            try:
                page = browser.press(page, button)
                break
            except LookupError:
                continue
        else:
            raise RuntimeError(f"stuck on {page.url} ({page.status})")
    raise RuntimeError(f"no order after {len(steps)} steps: {' '.join(steps[-12:])}")


def customer(task: int, account: dict, base: str, stats: Stats, seed_value: int) -> str:
    rng = random.Random(seed_value * 7919 + task)
    browser = Browser(base, stats)
    page = to_confirm(browser, sign_in_and_start(browser, account), rng)
    mode = ("stale", "double", "normal", "normal")[task % 4]
    if mode == "stale":
        # Another session of the same account orders between this review and this confirm.
        other = Browser(base, stats)
        finish(other, to_confirm(other, sign_in_and_start(other, account), rng), stats)
        stats.count("orders placed to make a quote stale")
        page = browser.press(page, PLACE)
        if page.step != "done":
            stats.count("stale quote refused, then reviewed and ordered")
        return finish(browser, page, stats)
    if mode == "double":
        url, data = browser.press(page, PLACE, send=False)
        results = [None, None]

        def submit(k):
            results[k] = browser.open(url, data)
        threads = [threading.Thread(target=submit, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        numbers = {finish(browser, p, stats) for p in results}
        stats.count("double submits")
        if len(numbers) != 1:
            stats.count("double submit gave two orders")
        return numbers.pop()
    return finish(browser, browser.press(page, PLACE), stats)


def concurrently(*calls) -> list:
    """Run the calls at the same moment (threads released together); their results in order."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(k):
        barrier.wait()
        results[k] = calls[k]()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def submitter(task: int, account: dict, base: str, stats: Stats, seed_value: int) -> str:
    """The "submits" mix: Place order pressed two or three times at once (a double or triple
    click without JavaScript, a retried request), or Place order at the moment another tab of
    the same session sends the payment step (a new card)."""
    rng = random.Random(seed_value * 7919 + task)
    browser = Browser(base, stats)
    page = to_confirm(browser, sign_in_and_start(browser, account), rng)
    mode = ("double", "triple", "payment tab")[task % 3]
    if mode == "payment tab":
        other_tab = sign_in_and_start(browser, account)  # same cookies: another tab of this session
        other_tab = browser.press(other_tab, ADD_TO_CART, {"quantity": str(rng.randint(41, 60))})
        if other_tab.step == "seats":
            other_tab = browser.press(other_tab, CHECKOUT)
        if other_tab.step == "review":
            other_tab = browser.press(other_tab, CONTINUE)
        if other_tab.step != "payment":
            raise RuntimeError(f"expected the payment step in the other tab, got {other_tab.url}")
        card = {"payment_method": "new", "card_number": "4242 4242 4242 4242", "exp_month": "12",
                "exp_year": "2031", "cvc": "123", "cardholder": "Load Test"}
        place = browser.press(page, PLACE, send=False)
        pay = browser.press(other_tab, CONTINUE, card, send=False)
        placed, paid = concurrently(lambda: browser.open(*place), lambda: browser.open(*pay))
        stats.count("place order against the payment step in another tab")
        finish(browser, paid, stats)
        return finish(browser, placed, stats)
    url, data = browser.press(page, PLACE, send=False)
    pages = concurrently(*[lambda: browser.open(url, data)] * (2 if mode == "double" else 3))
    numbers = {finish(browser, p, stats) for p in pages}
    stats.count(f"{mode} submits")
    if len(numbers) != 1:
        stats.count("double submit gave two orders")
    return numbers.pop()


# --- reconciliation ------------------------------------------------------------------

def reconcile(url: str, mailbox: Mailbox, stats: Stats) -> list[str]:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from helpcenter.billing import models as m
    from helpcenter.billing.service import order_number

    engine = create_engine(url)
    failures = []

    def line(label: str, left, right, ok: bool | None = None):
        ok = (left == right) if ok is None else ok
        print(f"  {'OK  ' if ok else 'FAIL'} {label}: {left} = {right}" if ok else f"  FAIL {label}: {left} != {right}")
        if not ok:
            failures.append(label)

    with Session(engine) as s:
        orders = s.scalars(select(m.Order)).all()
        order_count = len(orders)
        quotes_used = s.scalar(select(func.count(func.distinct(m.Order.quote_id))))
        quotes_ordered = s.scalar(select(func.count()).select_from(m.Quote).where(
            m.Quote.id.in_(select(m.Order.quote_id))))
        charges = s.scalars(select(m.GatewayCharge)).all()
        charged_orders = [o for o in orders if o.amount_charged > 0]
        emails = s.scalars(select(m.EmailMessage)).all()
        print("\nReconciliation")
        line("orders placed (a run without orders proves nothing)", order_count > 0, True)
        line("orders = quotes used", order_count, quotes_used)
        line("quotes used exist as stored quotes", quotes_ordered, quotes_used)
        line("charges = orders with an amount due", len(charges), len(charged_orders))
        # The key of a payment attempt is "<quote id>:<card digest>" (one quote, one card).
        by_quote = collections.defaultdict(list)
        for c in charges:
            by_quote[c.idempotency_key.split(":", 1)[0]].append(c)
        mismatched = [order_number(o.id) for o in charged_orders
                      if [c.amount for c in by_quote.get(o.quote_id, [])] != [o.amount_charged]]
        line("every charge is its order's amount, keyed by its quote", len(mismatched), 0)
        line("emails queued = orders", len(emails), order_count)
        unsent = [e.id for e in emails if e.sent_at is None]
        line("emails still in the outbox after send-mail", len(unsent), 0)
        received_numbers = collections.Counter(n for msg in mailbox.received for n in set(ORDER_NUMBER.findall(msg)))
        line("emails received by the SMTP server = orders", len(mailbox.received), order_count)
        line("no order emailed twice", sum(1 for n in received_numbers.values() if n > 1), 0)
        numbers = {order_number(o.id) for o in orders}
        line("every order emailed", set(received_numbers) == numbers, True)
        line("orders the customers saw = orders in the database",
             len(stats.orders_seen), order_count, ok=stats.orders_seen == numbers)
        accounts = s.scalars(select(m.Account)).all()
        ledger = dict(s.execute(select(m.LedgerEntry.account_id, func.sum(m.LedgerEntry.amount))
                                .group_by(m.LedgerEntry.account_id)).all())
        wrong = [a.name for a in accounts if Decimal(a.balance) != Decimal(ledger.get(a.id) or 0)]
        line(f"accounts whose balance != sum of their ledger (of {len(accounts)})", len(wrong), 0)
        subs = s.scalars(select(m.Subscription)).all()
        last = {}
        for o in sorted(orders, key=lambda o: (o.placed_at, o.id)):
            last[o.subscription_id] = o
        per_sub = collections.Counter(o.subscription_id for o in orders)
        wrong_seats = [sub.id for sub in subs if sub.id in last and sub.seats != last[sub.id].seats_after]
        line(f"subscriptions whose seats != last order's seats_after (of {len(last)} ordered)", len(wrong_seats), 0)
        chained = [sub.id for sub in subs if sub.id in last and any(
            a.seats_after != b.seats_before for a, b in zip(
                sorted((o for o in orders if o.subscription_id == sub.id), key=lambda o: (o.placed_at, o.id)),
                sorted((o for o in orders if o.subscription_id == sub.id), key=lambda o: (o.placed_at, o.id))[1:]))]
        line("orders of a subscription chain (each starts from the seats the previous left)", len(chained), 0)
        wrong_version = [sub.id for sub in subs if sub.version != 1 + per_sub.get(sub.id, 0)]
        line("subscription versions = 1 + its orders", len(wrong_version), 0)
    engine.dispose()
    line("server errors (5xx)", len(stats.server_errors), 0)
    if stats.server_errors:
        print("   ", stats.server_errors[:10])
    return failures


# --- the run -------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("HELPCENTER_LOAD_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--clients", type=int, default=240, help="customers, all started at once")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--max-seconds", type=int, default=1200, help="customers unfinished by then are failures")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--quick", action="store_true", help="20 accounts, 40 customers")
    parser.add_argument("--mix", choices=("customers", "submits"), default="customers",
                        help="customers: the load and fault run; submits: rounds of --clients (8 by default) "
                             "concurrent double and triple Place order submits and Place order against the "
                             "payment step in another tab, no faults")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the submits mix")
    args = parser.parse_args(argv)
    if args.quick:
        args.accounts, args.clients = 20, 40
    if args.mix == "submits" and "--clients" not in " ".join(argv or sys.argv):
        args.clients = 8
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the load run needs PostgreSQL (--database-url postgresql+psycopg://...)")

    log(f"database {args.database_url}: reset, migrate, seed {args.accounts} accounts")
    reset_database(args.database_url)
    accounts = seed(args.database_url, args.accounts)

    mailbox = Mailbox(free_port())
    mailbox.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ,
           "HELPCENTER_DATABASE_URL": args.database_url, "HELPCENTER_TODAY": TODAY,
           "HELPCENTER_SECRET_KEY": secrets.token_urlsafe(48),
           "HELPCENTER_MAIL_SERVER": "127.0.0.1", "HELPCENTER_MAIL_PORT": str(mailbox.port),
           "HELPCENTER_MAIL_TIMEOUT": "3",
           # Every customer comes from 127.0.0.1: the limits are raised, the shared store kept.
           "HELPCENTER_RATELIMIT_SIGN_IN": "100000 per minute",
           "HELPCENTER_RATELIMIT_NEW_CARD": "100000 per minute",  # the submits mix types new cards
           "PYTHONPATH": str(ROOT)}
    if _redis_up():  # the rate-limit counters are shared by the workers, as in production
        env["HELPCENTER_RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-k", "gthread",
                "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--timeout", "120",
                "--graceful-timeout", "10", "--log-level", "warning", "helpcenter:create_app()"]
    log(f"gunicorn: {args.workers} workers x {args.threads} threads on {base}; SMTP on port {mailbox.port}")
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    stats = Stats()
    failures = []
    try:
        wait_until_up(base)
        workers_before = children_of(server.pid)
        if args.mix == "customers":
            log(f"workers {workers_before}; {args.clients} customers over {args.accounts} accounts "
                f"(1 in 4 makes its quote stale, 1 in 4 double-submits)")
        else:
            log(f"workers {workers_before}; {args.rounds} rounds of {args.clients} concurrent customers "
                f"(double submit, triple submit, Place order against the payment step in another tab)")
        done = [0]
        lock = threading.Lock()
        faults = {}

        def fault_injector():
            # Every customer starts at once, so progress is counted in orders placed (about
            # 1.25 per customer: the stale-quote customers make a second order), not customers done.
            expected = args.clients * 1.25
            while not stop.is_set():
                with stats.lock:
                    n = len(stats.orders_seen)
                if "smtp_stopped" not in faults and n >= expected * 0.15:
                    mailbox.stop()
                    faults["smtp_stopped"] = n
                    log(f"SMTP server stopped after {n} orders")
                if "killed" not in faults and n >= expected * 0.35:
                    victims = children_of(server.pid)
                    if victims:
                        victim = random.Random(args.seed).choice(victims)
                        os.kill(victim, signal.SIGKILL)
                        faults["killed"], faults["kill_at"] = victim, n
                        log(f"worker {victim} killed with SIGKILL after {n} orders")
                if "smtp_started" not in faults and n >= expected * 0.6:
                    mailbox.start()
                    faults["smtp_started"] = n
                    log(f"SMTP server started again after {n} orders")
                time.sleep(0.05)

        stop = threading.Event()
        injector = threading.Thread(target=fault_injector, daemon=True)
        if args.mix == "customers":
            injector.start()
        started = time.monotonic()
        errors = []
        # The customers mix starts everyone at once; the submits mix runs rounds of --clients
        # customers, each on its own account, all pressing Place order at once.
        batches = ([(customer, range(args.clients))] if args.mix == "customers" else
                   [(submitter, range(r * args.clients, (r + 1) * args.clients)) for r in range(args.rounds)])
        for work, tasks in batches:
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                futures = [pool.submit(work, task, accounts[task % len(accounts)], base, stats, args.seed)
                           for task in tasks]
                try:
                    for future in as_completed(futures, timeout=args.max_seconds):
                        try:
                            future.result()
                        except Exception as error:  # a customer who could not finish is reported
                            errors.append(repr(error))
                        with lock:
                            done[0] += 1
                except TimeoutError:
                    errors.append(f"{sum(not f.done() for f in futures)} customers unfinished after "
                                  f"{args.max_seconds} s")
                    for f in futures:
                        f.cancel()
        stop.set()
        if injector.is_alive():
            injector.join(5)
        elapsed = time.monotonic() - started
        if mailbox.controller is None:
            mailbox.start()
        workers_after = children_of(server.pid)
        log(f"{args.clients} customers in {elapsed:.1f} s; workers now {workers_after}")
        if "killed" in faults and faults["killed"] in workers_after:
            errors.append("the killed worker is still there")
        if len(workers_after) != args.workers:
            errors.append(f"gunicorn has {len(workers_after)} workers, expected {args.workers}")
        log("retrying the outbox: flask --app helpcenter send-mail")
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "helpcenter", "send-mail"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
        print("  send-mail:", (out.stdout or out.stderr).strip().splitlines()[-1:] or out.returncode)
        time.sleep(0.5)
        customers = (f"{args.clients} customers" if args.mix == "customers" else
                     f"{args.rounds} rounds of {args.clients} concurrent customers")
        print(f"\nRun: {customers}, {args.accounts} accounts, {args.workers} gunicorn workers, "
              f"{elapsed:.1f} s, seed {args.seed}")
        print(f"  HTTP statuses: {dict(sorted(stats.status.items()))}")
        for key, value in sorted(stats.events.items()):
            print(f"  {key}: {value}")
        if args.mix == "customers":
            print(f"  faults: SMTP stopped after {faults.get('smtp_stopped')} orders and started again after "
                  f"{faults.get('smtp_started')}; worker {faults.get('killed')} killed after "
                  f"{faults.get('kill_at')} orders")
        print(f"  customers who could not finish: {len(errors)}")
        for error in errors[:10]:
            print("   ", error[:300])
        failures = reconcile(args.database_url, mailbox, stats)
        if errors:
            failures.append("customers who could not finish")
        if stats.events.get("double submit gave two orders"):
            failures.append("double submit gave two orders")
        if args.mix == "customers" and ("killed" not in faults or "smtp_stopped" not in faults):
            failures.append("a planned fault did not happen")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        mailbox.stop()
    print("\nRESULT:", "zero loss, everything reconciles" if not failures else f"FAILED: {failures}")
    return 1 if failures else 0


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
