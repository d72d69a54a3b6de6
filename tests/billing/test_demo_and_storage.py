"""Demo data (exactly the spec's, idempotent, relative to today), the CLI commands that
create the schema and load it, and what the database may never hold (a full card number)."""
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.demo import seed_demo
from helpcenter.billing.errors import QuoteStale
from helpcenter.billing.read import CardDetails
from helpcenter.db import Base

D = Decimal


def test_the_demo_accounts_are_the_specs(ids, db_session, clock):
    dupont = service.get_account(db_session, ids.dupont_account)
    assert (dupont.name, dupont.country, dupont.currency, dupont.locale, dupont.corporate) == (
        "Atelier Dupont SARL", "FR", "EUR", "fr", False)
    assert dupont.vat_number is None and dupont.balance == D("0.00")
    assert (dupont.payment_method.brand, dupont.payment_method.last4, dupont.payment_method.exp_month,
            dupont.payment_method.exp_year) == ("Visa", "4242", 12, 2030)
    (sub,) = service.list_subscriptions(db_session, ids.dupont_account)
    assert (sub.product_code, sub.seats, sub.assigned, sub.unit_price, sub.term) == (
        "gotoassist-rs5", 5, 3, D("40.00"), "month")
    assert (sub.period_start, sub.period_end) == (date(2026, 11, 10), date(2026, 12, 10))  # began 16 days ago

    northwind = service.get_account(db_session, ids.northwind_account)
    assert (northwind.name, northwind.country, northwind.currency, northwind.locale) == (
        "Northwind Traders Inc.", "US", "USD", "en")
    assert northwind.balance == D("25.00")
    assert (northwind.payment_method.brand, northwind.payment_method.last4, northwind.payment_method.exp_month,
            northwind.payment_method.exp_year) == ("Mastercard", "4444", 8, 2029)
    (sub,) = service.list_subscriptions(db_session, ids.northwind_account)
    assert (sub.product_code, sub.seat_type, sub.seats, sub.assigned, sub.unit_price, sub.term) == (
        "gotomeeting-business", "organizer", 10, 6, D("192.00"), "year")
    assert (sub.period_start, sub.period_end) == (date(2026, 8, 18), date(2027, 8, 18))  # 100 days ago

    globex = service.get_account(db_session, ids.globex_account)
    assert globex.corporate and globex.advisor.name == "Jordan Lee"
    (sub,) = service.list_subscriptions(db_session, ids.globex_account)
    assert (sub.product_code, sub.seats, sub.assigned) == ("gotomeeting-business", 250, 250)

    admin = service.authenticate(db_session, clock, "admin@dupont.example", "demo-pass-admin")
    assert admin.account_id == ids.dupont_account and admin.role == "admin"
    products = {p.code: (p.name, p.seat_type) for p in db_session.scalars(select(m.Product))}
    assert products == {"gotoassist-rs5": ("GoToAssist Remote Support v5", "agent"),
                        "gotomeeting-business": ("GoToMeeting Business", "organizer"),
                        "gotoassist-seeit": ("GoToAssist Seeit", "expert")}


def test_seeding_twice_changes_nothing(ids, db_session, snapshot):
    before = snapshot(db_session)
    seed_demo(db_session, date(2026, 11, 26))
    db_session.commit()
    assert snapshot(db_session) == before


def test_the_demo_follows_the_apps_today(app, db_session):
    seed_demo(db_session, date(2027, 3, 1))
    db_session.commit()
    periods = {s.seats: (s.period_start, s.period_end) for s in db_session.scalars(select(m.Subscription))}
    assert periods[5] == (date(2027, 2, 13), date(2027, 3, 13))
    assert periods[10] == (date(2026, 11, 21), date(2027, 11, 21))


def test_the_seed_demo_command_is_idempotent(runner, db_session):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        assert "demo data loaded" in result.output
    assert db_session.scalar(select(func.count()).select_from(m.Account)) == 3
    assert db_session.scalar(select(func.count()).select_from(m.Contact)) == 4


def test_db_upgrade_creates_the_schema(app, tmp_path):
    from helpcenter import create_app
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x" * 32})
    result = fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    # Running it again is a no-op.
    assert fresh.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    engine.dispose()
    fresh.extensions["db_engine"].dispose()


def test_the_database_never_holds_a_full_card_number(ids, db_session, clock, snapshot):
    number = "5555555555554444"
    q = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                  new_seats=8)
    choice = service.update_payment_details(
        db_session, clock, contact_id=ids.dupont, quote_id=q.id, use_saved_card=False,
        card=CardDetails("5555 5555 5555 4444", "03", "2029", "737", "Claire Dupont"), vat_number=None)
    order = service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=q.id, locale="fr",
                                assign_seats_url="/", card=choice.card)
    assert (order.payment_brand, order.payment_last4) == ("Mastercard", "4444")  # the new card was charged
    cells = [cell for rows in snapshot(db_session).values() for row in rows for cell in row]
    texts = [str(cell) for cell in cells if cell is not None]
    assert "4444" in texts  # the last 4 are kept
    assert not [t for t in texts if number in t.replace(" ", "").replace("-", "")]
    # The CVC is stored nowhere (random tokens and timestamps may contain its digits, so
    # compare whole values).
    assert "737" not in texts
    columns = {c.name for t in Base.metadata.sorted_tables for c in t.columns}
    assert not any("cvc" in c or c in ("card_number", "pan") for c in columns)


def test_money_keeps_its_cents_on_this_database(ids, db_session):
    account = db_session.get(m.Account, ids.northwind_account)
    account.balance = D("123456789.99")
    db_session.commit()
    db_session.expire_all()
    assert service.get_account(db_session, ids.northwind_account).balance == D("123456789.99")


@pytest.mark.postgresql  # SQLite serialises writers: test_sqlite_a_writer_waits_for_the_other
def test_postgresql_row_lock_makes_a_concurrent_order_wait_then_see_the_change(
        ids, db_session, new_session, clock, is_postgresql, app):
    """Two connections: one holds the subscription row (SELECT ... FOR UPDATE) and changes it;
    place_order on the other waits for the lock, then finds its quote stale."""
    assert is_postgresql
    q = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                  new_seats=8)
    engine = app.extensions["db_engine"]
    holder = engine.connect()
    tx = holder.begin()
    holder.execute(text("SELECT id FROM subscriptions WHERE id = :id FOR UPDATE"), {"id": ids.dupont_sub})
    results = {}

    def attempt():
        try:
            results["order"] = service.place_order(new_session(), clock, contact_id=ids.dupont, quote_id=q.id,
                                                   locale="fr", assign_seats_url="/")
        except Exception as error:  # noqa: BLE001
            results["error"] = error

    thread = threading.Thread(target=attempt)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # blocked on the row lock
    holder.execute(text("UPDATE subscriptions SET seats = 6, version = version + 1 WHERE id = :id"),
                   {"id": ids.dupont_sub})
    tx.commit()
    holder.close()
    thread.join(30)
    assert isinstance(results.get("error"), QuoteStale)
    assert results["error"].new_quote.seats_before == 6
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(m.Order)) == 0
    assert db_session.scalar(select(func.count()).select_from(m.GatewayCharge)) == 0


@pytest.mark.sqlite  # the PostgreSQL variant is above
def test_sqlite_a_writer_waits_for_the_other(ids, db_session, new_session, clock, is_postgresql, app):
    """SQLite: while another connection writes, place_order waits for the lock, then sees the change."""
    assert not is_postgresql
    q = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                  new_seats=8)
    holder = app.extensions["db_engine"].connect()
    tx = holder.begin()
    holder.execute(text("UPDATE subscriptions SET seats = 6, version = version + 1 WHERE id = :id"),
                   {"id": ids.dupont_sub})
    results = {}

    def attempt():
        try:
            results["order"] = service.place_order(new_session(), clock, contact_id=ids.dupont, quote_id=q.id,
                                                   locale="fr", assign_seats_url="/")
        except Exception as error:  # noqa: BLE001
            results["error"] = error

    thread = threading.Thread(target=attempt)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()
    tx.commit()
    holder.close()
    thread.join(30)
    assert isinstance(results.get("error"), QuoteStale), results
    assert results["error"].new_quote.seats_before == 6


def test_quotes_expire_after_thirty_minutes_in_storage(ids, db_session, clock):
    q = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                  new_seats=8)
    stored = db_session.get(m.Quote, q.id)
    assert (stored.expires_at.replace(tzinfo=None) - stored.created_at.replace(tzinfo=None)) == timedelta(minutes=30)
