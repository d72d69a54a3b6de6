"""SQL statements per request in the seat workflow, counted with a SQLAlchemy event listener.

Walks the workflow (sign-in, product, seats, review, payment, confirm, done) through the Flask
test client as billing@dupont.example, counting the statements of every request: each step's
GET, and the POST that places the order. Then gives the account a history (10, then 1,000
past orders placed through the billing service, and as many extra users, up to the most an
account may hold) and walks again:
no count may grow with the history. The account pages, which list orders and users, are
counted too.
"""
from __future__ import annotations

import tempfile
import time
import traceback
from pathlib import Path

from sqlalchemy import event, func, select

from bench.common import BENCH, DemoDatabase, app_config
from bench.workflow import EMAIL, STEPS, Browser, FlaskTransport, walk

CASE = "sql"
OUT = BENCH / "out"
STEP_LIMIT = 8
ORDER_LIMIT = 25


class StatementCounter:
    """Counts statements (before_cursor_execute on the app's engine) and ORM rows loaded
    (the "load" event of every mapped class) per request."""

    def __init__(self, engine):
        from helpcenter.db import Base
        self.engine, self.base = engine, Base
        self.current = None
        self.loaded = 0
        self.log = []  # (method, path, statements, rows loaded, statement texts)
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(Base, "load", self._on_load, propagate=True)

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        event.remove(self.base, "load", self._on_load)

    def _on_execute(self, _conn, _cursor, statement, _params, _context, _many):
        if self.current is not None:
            self.current.append(f"{' '.join(statement.split())[:110]}  <- {call_site()}")

    def _on_load(self, _target, _context):
        self.loaded += 1

    def on_request(self, phase, method, url):
        if phase == "start":
            self.current, self.loaded, self.started = [], 0, time.perf_counter()
        else:
            ms = (time.perf_counter() - self.started) * 1000
            self.log.append((method, url, len(self.current), self.loaded, self.current, ms))
            self.current = None


def call_site() -> str:
    """Which project code issued a statement: the chain of helpcenter functions, outermost first."""
    frames = [f for f in traceback.extract_stack()
              if "/helpcenter/" in f.filename and "/site-packages/" not in f.filename
              and f.name not in ("wrapped", "decorated", "wrapper", "inner")]
    if not frames:
        return "?"
    last = frames[-1]
    where = f"{last.filename.split('/helpcenter/', 1)[1]}:{last.lineno}"
    return " > ".join(f.name for f in frames) + f" ({where})"


def counts_for_walk(app, lang="en", dump: Path | None = None) -> dict[str, tuple[int, int]]:
    """{'GET <step>': (statements, rows loaded), ..., 'POST place order': ..., 'GET account': ...}."""
    counter = StatementCounter(app.extensions["db_engine"])
    try:
        browser = Browser(FlaskTransport(app.test_client(), counter.on_request))
        pages = walk(browser, lang)
        counts = {}
        for name, page in pages.items():
            # the last of the requests that led to the page is its GET
            method, path, _status = page.requests[-1]
            entry = next(e for e in reversed(counter.log) if e[0] == method and e[1] == path)
            counts[f"GET {name}"] = entry[2:4]
        # placing the order: the POST sent from the confirm page (its redirect is the done GET)
        post_path = pages["done"].requests[0][1]
        counts["POST place order"] = next(e[2:4] for e in counter.log if e[0] == "POST" and e[1] == post_path)
        for label, url in account_pages(app, lang):
            page = browser.get(url)
            if page.status == 200:
                counts[label] = counter.log[-1][2:4]
        if dump is not None:
            with dump.open("a", encoding="utf-8") as out:
                for method, path, n, rows, statements, ms in counter.log:
                    out.write(f"\n## {method} {path}: {n} statements, {rows} ORM rows loaded, {ms:.1f} ms\n")
                    out.writelines(f"  {st}\n" for st in statements)
        return counts
    finally:
        counter.close()


def account_pages(app, lang):
    """The account overview and the seat assignment page of Dupont's subscription."""
    pages = [("GET account", f"/{lang}/account/")]
    from helpcenter.billing import models
    with app.extensions["db_sessionmaker"]() as session:
        sub = session.scalar(select(models.Subscription.id).join(models.Account)
                             .where(models.Account.name.like("Atelier Dupont%")))
    if sub is not None:
        pages.append(("GET account seats", f"/{lang}/account/seats/{sub}"))
    return pages


def add_history(app, orders: int, users: int) -> None:
    """Place `orders` past orders through the billing service and add `users` users."""
    from helpcenter.billing import models, service
    clock = app.extensions["clock"]
    with app.extensions["db_sessionmaker"]() as session:
        contact = session.scalar(select(models.Contact).where(models.Contact.email == EMAIL))
        sub_id = session.scalar(select(models.Subscription.id).where(
            models.Subscription.account_id == contact.account_id))
        contact_id = contact.id
        existing_users = session.query(models.AccountUser).filter_by(account_id=contact.account_id).count()
        for i in range(orders):
            current = session.get(models.Subscription, sub_id)
            session.refresh(current)
            target = 7 if current.seats != 7 else 6
            quote = service.quote_seat_change(session, clock, contact_id=contact_id, subscription_id=sub_id,
                                              new_seats=target)
            service.place_order(session, clock, contact_id=contact_id, quote_id=quote.id, locale="fr",
                                assign_seats_url="http://127.0.0.1/fr/account/")
            # Billing operations leave the commit to their caller (the request, in the app).
            session.commit()
        # An account holds at most MAX_USERS_PER_ACCOUNT users: the largest history fills it.
        users = min(users, service.MAX_USERS_PER_ACCOUNT - existing_users)
        for i in range(users):
            n = existing_users + i
            service.add_user(session, contact_id=contact_id, name=f"Bench User {n}",
                             email=f"bench.user{n}@dupont.example")
        session.commit()
        placed = session.scalar(select(func.count()).select_from(models.Order)
                                .where(models.Order.account_id == contact.account_id))
        if placed < orders:
            raise RuntimeError(f"the history holds {placed} orders, not at least {orders}")


def same_situation(app) -> None:
    """Put the account back to the demo's situation before a walk: no credit on the balance.

    The history's seat decreases leave a credit that would pay the next order, which then
    needs no card charge (fewer statements): the counts must compare like with like.
    """
    from helpcenter.billing import models
    with app.extensions["db_sessionmaker"]() as session:
        contact = session.scalar(select(models.Contact).where(models.Contact.email == EMAIL))
        session.get(models.Account, contact.account_id).balance = 0
        session.commit()


def measure(report, quick: bool = False) -> None:
    from helpcenter import create_app
    db = DemoDatabase(Path(tempfile.mkdtemp(prefix="hc-bench-sql-"))).create()
    try:
        app = create_app(app_config(db.url, TESTING=False))
        small, middle, large = (10, 30, 50) if quick else (10, 100, 1000)
        OUT.mkdir(exist_ok=True)
        for n in (small, middle, large):
            (OUT / f"sql-statements-{n}.txt").write_text(f"# statements per request at {n} past orders\n")
        add_history(app, small, small)
        same_situation(app)
        at_small = counts_for_walk(app, dump=OUT / f"sql-statements-{small}.txt")
        # The middle size is a history longer than one page of the account lists (25 orders, 25 users).
        add_history(app, middle - small - 1, middle - small)  # each walk placed one order too
        same_situation(app)
        at_middle = counts_for_walk(app, dump=OUT / f"sql-statements-{middle}.txt")
        add_history(app, large - middle - 1, large - middle)
        same_situation(app)
        at_large = counts_for_walk(app, dump=OUT / f"sql-statements-{large}.txt")
        app.extensions["db_engine"].dispose()
    finally:
        db.remove()
    for key in at_small:
        (n_small, rows_small), (n_large, rows_large) = at_small[key], at_large.get(key, (None, None))
        if key.startswith("GET ") and key[4:].split(" (")[0] in STEPS:
            limit = STEP_LIMIT
        elif key == "POST place order":
            limit = ORDER_LIMIT
        else:
            limit = None
        within = limit is None or (n_small <= limit and (n_large or 0) <= limit)
        grows = [what for what, x, y in (("statements", n_small, n_large), ("rows", rows_small, rows_large))
                 if y != x]
        if limit is None:
            # A listing page (25 orders or users per page): below one page of history it shows
            # fewer rows, so "the same" is judged between a history longer than a page and 1,000.
            n_middle, rows_middle = at_middle.get(key, (None, None))
            judged = n_small == n_middle == n_large and rows_middle == rows_large
            report.add(CASE, f"{key}: statements; ORM rows loaded (at {small} / {middle} / {large} orders)",
                       f"{n_small} / {n_middle} / {n_large}; rows {rows_small} / {rows_middle} / {rows_large}",
                       f"rows at {middle} = at {large}, no statement growth", judged,
                       "paginated: 25 per page, newest first")
            continue
        judged = within and not grows
        goal = f"<= {limit}, no growth"
        report.add(CASE, f"{key}: statements; ORM rows loaded (at {small} / {large} orders)",
                   f"{n_small} / {n_large}; rows {rows_small} / {rows_large}", goal, judged,
                   ("grows: " + ", ".join(grows)) if grows else "")
