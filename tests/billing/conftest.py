"""Fixtures of the billing tests: a pinned clock, the demo's ids, extra sessions (for
concurrency), a snapshot of every table (to prove that a refusal changed nothing) and a
statement counter."""
import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from helpcenter.billing import models as m
from helpcenter.clock import Clock
from helpcenter.db import Base

TODAY = date(2026, 11, 26)
ASSIGN_URL = "https://help.example/fr/account/seats/1"


class FakeClock(Clock):
    """A pinned day, and a time of day that a test can move forward."""

    def __init__(self, today: date, now: datetime | None = None):
        super().__init__(today)
        object.__setattr__(self, "_now", now)

    def now(self) -> datetime:
        return self._now or datetime.now(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        object.__setattr__(self, "_now", self.now() + delta)


@pytest.fixture
def clock():
    return FakeClock(TODAY)


@dataclass
class Demo:
    dupont: int  # contact ids
    dupont_admin: int
    northwind: int
    globex: int
    dupont_account: int
    northwind_account: int
    globex_account: int
    dupont_sub: int  # subscription ids
    northwind_sub: int
    globex_sub: int


@pytest.fixture
def ids(demo, db_session) -> Demo:
    """Ids of the demo's contacts, accounts and subscriptions."""
    contacts = {c.email: c for c in db_session.scalars(select(m.Contact))}
    subs = {s.account_id: s.id for s in db_session.scalars(select(m.Subscription))}
    d, n, g = (contacts[f"billing@{x}.example"] for x in ("dupont", "northwind", "globex"))
    db_session.rollback()
    return Demo(dupont=d.id, dupont_admin=contacts["admin@dupont.example"].id, northwind=n.id, globex=g.id,
                dupont_account=d.account_id, northwind_account=n.account_id, globex_account=g.account_id,
                dupont_sub=subs[d.account_id], northwind_sub=subs[n.account_id], globex_sub=subs[g.account_id])


@pytest.fixture
def new_session(app):
    """Opens more sessions (each its own connection), closed after the test."""
    opened = []

    def make():
        session = app.extensions["db_sessionmaker"]()
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


@pytest.fixture
def is_postgresql(database_url) -> bool:
    return database_url.startswith("postgresql")


def snapshot(session, skip=()) -> dict:
    """Every row of every table (ordered), to compare before and after an operation."""
    session.expire_all()
    rows = {}
    for table in Base.metadata.sorted_tables:
        if table.name in skip:
            continue
        result = session.execute(table.select().order_by(*table.primary_key.columns)).all()
        rows[table.name] = [tuple(r) for r in result]
    session.rollback()
    return rows


@pytest.fixture(name="snapshot")
def snapshot_fixture():
    """snapshot(session) -> every row of every table."""
    return snapshot


@pytest.fixture
def unchanged(db_session):
    """`with unchanged(): ...` asserts that the block changed no row of any table."""

    @contextlib.contextmanager
    def check(skip=()):
        before = snapshot(db_session, skip)
        yield
        after = snapshot(db_session, skip)
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"tables changed: {changed}"

    return check


@pytest.fixture
def count_statements(app):
    """`with count_statements() as counted: ...`; counted.n is the number of SQL statements."""

    @contextlib.contextmanager
    def counting():
        class Counter:
            n = 0
            statements: list = []

        counter = Counter()
        counter.statements = []

        def before(_conn, _cursor, statement, *_args):
            counter.n += 1
            counter.statements.append(statement)

        engine = app.extensions["db_engine"]
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
