"""Orders under contention, on PostgreSQL when one answers (else SQLite, said so).

1. Throughput: 8 threads place orders for 50 different accounts (quote + place order each,
   one session per thread), beside the same work done by 1 thread on 50 other accounts.
2. Same quote: for each of several quotes, 8 threads submit it at the same instant.
Then the tables are checked: every quote gave exactly one order, one gateway charge and one
confirmation email, and every thread that submitted a quote got that same order back.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import sessionmaker

from bench.common import TODAY

CASE = "contention"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "bench_hc"
THREADS = 8


def database_url() -> tuple[str, str]:
    """(url, label): a fresh PostgreSQL database bench_hc when possible, else a SQLite file."""
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DB})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
            version = conn.scalar(text("SHOW server_version"))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url, f"PostgreSQL {version}"
    except Exception as error:  # no server: still measure, on the embedded database
        path = Path(tempfile.mkdtemp(prefix="hc-bench-cont-")) / "bench.db"
        return f"sqlite:///{path}", f"SQLite (PostgreSQL unavailable: {type(error).__name__})"


def clone(session, obj, **overrides):
    """A copy of a mapped row with its primary key left out and `overrides` applied."""
    mapper = inspect(obj).mapper
    values = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if column.primary_key:
            continue
        values[attr.key] = getattr(obj, attr.key)
    values.update(overrides)
    copy = mapper.class_(**values)
    session.add(copy)
    session.flush()
    return copy


def make_accounts(session, n: int, prefix: str) -> list[tuple[int, int]]:
    """n accounts like Dupont's (billing contact, subscription, saved card): [(contact_id, subscription_id)]."""
    from helpcenter.billing import models
    contact = session.scalar(select(models.Contact).where(models.Contact.email == "billing@dupont.example"))
    account = contact.account
    sub = session.scalar(select(models.Subscription).where(models.Subscription.account_id == account.id))
    card = session.scalar(select(models.PaymentMethod).where(models.PaymentMethod.account_id == account.id))
    out = []
    for i in range(n):
        acc = clone(session, account, name=f"{prefix} {i} SARL")
        con = clone(session, contact, account_id=acc.id, email=f"billing{i}@{prefix.lower()}.example")
        s = clone(session, sub, account_id=acc.id, seats=5)
        if card is not None:
            clone(session, card, account_id=acc.id)
        out.append((con.id, s.id))
    # opening balances etc. follow Dupont's (zero); ledger rows are not needed for a zero balance
    session.commit()
    return out


def place(maker, clock, contact_id, sub_id, seats=8):
    from helpcenter import transaction
    from helpcenter.billing import service
    with maker() as session:
        quote = service.quote_seat_change(session, clock, contact_id=contact_id, subscription_id=sub_id,
                                          new_seats=seats)
        order = service.place_order(session, clock, contact_id=contact_id, quote_id=quote.id, locale="fr",
                                    assign_seats_url="http://127.0.0.1/fr/account/")
        transaction.commit(session)  # billing operations leave the commit to their caller, as a request does
        return order


def run_threads(n_threads, jobs, work):
    """Run work(job) for every job on n_threads threads; (seconds, results, errors)."""
    lock = threading.Lock()
    queue = list(jobs)
    results, errors = [], []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            try:
                r = work(job)
                with lock:
                    results.append((job, r))
            except Exception as error:  # counted and shown, not fatal
                with lock:
                    errors.append((job, f"{type(error).__name__}: {error}"))

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, results, errors


def same_quote(maker, clock, contact_id, sub_id):
    """8 threads submit one quote at the same instant; (quote id, order numbers, errors)."""
    from helpcenter import transaction
    from helpcenter.billing import service
    with maker() as session:
        quote = service.quote_seat_change(session, clock, contact_id=contact_id, subscription_id=sub_id,
                                          new_seats=9)
        transaction.commit(session)
    barrier = threading.Barrier(THREADS)
    numbers, errors = [], []
    lock = threading.Lock()

    def submit():
        with maker() as session:
            barrier.wait()
            try:
                order = service.place_order(session, clock, contact_id=contact_id, quote_id=quote.id,
                                            locale="fr", assign_seats_url="http://127.0.0.1/fr/account/")
                transaction.commit(session)
                with lock:
                    numbers.append(order.number)
            except Exception as error:
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return quote.id, numbers, errors


def measure(report, quick: bool = False) -> None:
    from helpcenter.billing import models
    from helpcenter.billing.demo import seed_demo
    from helpcenter.clock import Clock
    from helpcenter.db import make_engine
    from helpcenter.migrate import upgrade

    url, label = database_url()
    upgrade(url)
    engine = make_engine(url, pool_size=THREADS + 2, max_overflow=4)
    maker = sessionmaker(engine, expire_on_commit=False)
    clock = Clock.from_setting(TODAY)
    n_accounts, n_same = (10, 3) if quick else (50, 20)
    with maker() as session:
        seed_demo(session, clock.today())
        session.commit()
        serial_set = make_accounts(session, n_accounts, "Serial")
        parallel_set = make_accounts(session, n_accounts, "Parallel")
        same_set = make_accounts(session, n_same, "Same")
    work = lambda job: place(maker, clock, *job)
    place(maker, clock, *serial_set.pop())  # warm-up (imports, templates, connections)
    t1, r1, e1 = run_threads(1, serial_set, work)
    t8, r8, e8 = run_threads(THREADS, parallel_set, work)
    same = [same_quote(maker, clock, *job) for job in same_set]

    quote_ids = [o.quote_id for _, o in r1 + r8] + [q for q, _, _ in same]
    with maker() as session:
        orders = Counter(session.scalars(select(models.Order.quote_id).where(
            models.Order.quote_id.in_(quote_ids))).all())
        # A charge's idempotency key is one payment attempt: "<quote id>:<card token digest>".
        wanted = set(quote_ids)
        charges = Counter(key.split(":", 1)[0] for key in session.scalars(
            select(models.GatewayCharge.idempotency_key)).all() if key.split(":", 1)[0] in wanted)
        order_ids = dict(session.execute(select(models.Order.id, models.Order.quote_id).where(
            models.Order.quote_id.in_(quote_ids))).all())
        emails = Counter(order_ids[oid] for oid in session.scalars(select(models.EmailMessage.order_id).where(
            models.EmailMessage.order_id.in_(list(order_ids)))).all())
    engine.dispose()

    rate1, rate8 = len(r1) / t1, len(r8) / t8
    report.add(CASE, "database", label)
    report.add(CASE, f"orders/s, {THREADS} threads x {n_accounts} accounts / 1 thread",
               f"{rate8 / rate1:.2f} ({rate8:.1f} / {rate1:.1f} orders/s)")
    errors = len(e1) + len(e8)
    report.add(CASE, "failed orders (distinct accounts)", str(errors), "0", errors == 0,
               "; ".join(sorted({e for _, e in e1 + e8}))[:200])
    exact = sum(1 for q in quote_ids if orders[q] == 1 and charges[q] == 1 and emails[q] == 1)
    report.add(CASE, "quotes with exactly 1 order, 1 charge, 1 email", f"{exact} of {len(quote_ids)}",
               f"{len(quote_ids)} of {len(quote_ids)}", exact == len(quote_ids))
    agreed = sum(1 for _, numbers, errs in same if len(numbers) == THREADS and len(set(numbers)) == 1)
    same_errors = sorted({e for _, _, errs in same for e in errs})
    report.add(CASE, f"same quote x {THREADS} threads: all got the same order", f"{agreed} of {len(same)}",
               f"{len(same)} of {len(same)}", agreed == len(same), "; ".join(same_errors)[:200])
