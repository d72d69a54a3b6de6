"""Placing orders: the spec's figures end to end, one transaction, idempotence, stale and
expired quotes, failed payments (nothing changes), races between sessions, threads and
database connections, and small statement counts."""
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import (NotAllowed, NotFound, PaymentFailed, QuoteExpired, QuoteStale,
                                       SeatChangeRefused)
from helpcenter.billing.payments import SandboxGateway
from helpcenter.billing.read import CardDetails

D = Decimal
URL = "https://help.example/fr/account/seats/1"


def quote(session, clock, contact, sub, seats):
    return service.quote_seat_change(session, clock, contact_id=contact, subscription_id=sub, new_seats=seats)


def place(session, clock, contact, quote_id, locale="fr", **kw):
    return service.place_order(session, clock, contact_id=contact, quote_id=quote_id, locale=locale,
                               assign_seats_url=URL, **kw)


def count(session, model, *where):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def ledger_balance(session, account_id):
    return session.scalar(select(func.coalesce(func.sum(m.LedgerEntry.amount), 0))
                          .where(m.LedgerEntry.account_id == account_id))


# --- the worked examples, placed ---------------------------------------------------------

def test_dupont_order_changes_seats_period_balance_ledger_and_queues_the_email(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    order = place(db_session, clock, ids.dupont, q.id, ip="198.51.100.7")
    assert order.number == f"HC-{order.id:06d}"
    assert (order.seats_before, order.seats_after) == (5, 8)
    assert (order.credit, order.charge, order.net, order.tax, order.total) == (
        D("93.33"), D("320.00"), D("226.67"), D("45.33"), D("272.00"))
    assert order.amount_charged == D("272.00") and order.balance_applied == D("0.00")
    assert (order.payment_brand, order.payment_last4) == ("Visa", "4242")
    assert (order.period_start, order.period_end) == (date(2026, 11, 26), date(2026, 12, 26))
    assert order.placed_by == "billing@dupont.example" and order.locale == "fr"

    db_session.rollback()
    sub = db_session.get(m.Subscription, ids.dupont_sub)
    assert (sub.seats, sub.period_start, sub.period_end, sub.version) == (
        8, date(2026, 11, 26), date(2026, 12, 26), 2)  # the billing date is today
    charge = db_session.scalars(select(m.GatewayCharge)).one()
    # The key names one payment attempt: this quote with the card on file's token.
    assert (charge.amount, charge.currency, charge.idempotency_key) == (
        D("272.00"), "EUR", service.payment_attempt_key(q.id, charge.token))
    entries = db_session.scalars(select(m.LedgerEntry).where(m.LedgerEntry.account_id == ids.dupont_account)
                                 .order_by(m.LedgerEntry.id)).all()
    assert [(e.kind, e.amount) for e in entries] == [("order", D("-272.00")), ("payment", D("272.00"))]
    assert ledger_balance(db_session, ids.dupont_account) == db_session.get(m.Account, ids.dupont_account).balance == 0
    email = db_session.scalars(select(m.EmailMessage)).one()
    assert (email.order_id, email.kind, email.to_address, email.locale) == (
        order.id, "order_confirmation", "billing@dupont.example", "fr")
    assert "272,00\u00a0€" in email.text_body and URL in email.text_body and order.number in email.subject
    assert email.sent_at is None  # no mail server in this test: it waits in the outbox
    event = service.list_audit_events(db_session, ids.dupont_account)[0]
    assert event.action == "seats_changed" and event.actor_email == "billing@dupont.example"
    assert event.ip == "198.51.100.7"
    assert event.details["seats_before"] == 5 and event.details["seats_after"] == 8
    assert event.details["order"] == order.number and event.details["amount_charged"] == "272.00"


def test_northwind_order_applies_the_balance(ids, db_session, clock):
    q = quote(db_session, clock, ids.northwind, ids.northwind_sub, 12)
    order = place(db_session, clock, ids.northwind, q.id, locale="en")
    assert (order.credit, order.charge, order.net, order.tax, order.total) == (
        D("1393.97"), D("2304.00"), D("910.03"), D("0.00"), D("910.03"))
    assert order.balance_applied == D("25.00") and order.amount_charged == D("885.03")
    assert order.balance_after == D("0.00")
    assert (order.period_start, order.period_end) == (date(2026, 11, 26), date(2027, 11, 26))
    assert service.get_account(db_session, ids.northwind_account).balance == D("0.00")
    assert ledger_balance(db_session, ids.northwind_account) == 0
    assert db_session.scalars(select(m.GatewayCharge.amount)).one() == D("885.03")


def owe(session, account_id, amount, clock):
    """Give the account a debt: a negative balance with its opening ledger entry."""
    account = session.get(m.Account, account_id)
    account.balance = -amount
    session.add(m.LedgerEntry(account_id=account_id, kind="opening", amount=-amount, currency=account.currency,
                              balance_after=-amount, created_at=clock.now()))
    session.commit()


@pytest.mark.parametrize("lang, line", [("en", "Amount owed: €30.00"),
                                        ("fr", "Montant restant dû\u00a0: 30,00\u00a0€")])
def test_a_negative_balance_is_paid_with_the_order_on_its_own_line(ids, db_session, clock, lang, line):
    owe(db_session, ids.dupont_account, D("30.00"), clock)
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    assert (q.total, q.amount_owed, q.due, q.balance_after) == (D("272.00"), D("30.00"), D("302.00"), D("0.00"))
    order = place(db_session, clock, ids.dupont, q.id, locale=lang)
    assert order.amount_owed == D("30.00") and order.amount_charged == D("302.00")
    assert order.balance_after == D("0.00")
    assert service.get_account(db_session, ids.dupont_account).balance == D("0.00")
    assert ledger_balance(db_session, ids.dupont_account) == 0
    assert db_session.scalars(select(m.GatewayCharge.amount)).one() == D("302.00")
    email = db_session.scalars(select(m.EmailMessage)).one()
    assert line in email.text_body


def test_dupont_with_a_vat_number_pays_226_67(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    q2 = service.update_payment_details(db_session, clock, contact_id=ids.dupont, quote_id=q.id,
                                        use_saved_card=True, card=None, vat_number="FR40303265045").quote
    assert q2.id != q.id and q2.reverse_charge and q2.total == D("226.67")
    order = place(db_session, clock, ids.dupont, q2.id)
    assert order.reverse_charge and order.vat_number == "FR40303265045"
    assert order.tax == D("0.00") and order.amount_charged == D("226.67")


def test_a_decrease_with_a_credit_charges_nothing_and_grows_the_balance(ids, db_session, clock):
    q = quote(db_session, clock, ids.northwind, ids.northwind_sub, 7)
    order = place(db_session, clock, ids.northwind, q.id, locale="en")
    assert order.total == D("-49.97") and order.amount_charged == D("0.00")
    assert order.payment_brand is None and order.balance_after == D("74.97")
    assert count(db_session, m.GatewayCharge) == 0
    assert service.get_account(db_session, ids.northwind_account).balance == D("74.97")
    assert ledger_balance(db_session, ids.northwind_account) == D("74.97")
    assert "not refunded" in db_session.scalars(select(m.EmailMessage.text_body)).one()


def test_a_decrease_that_still_costs_is_charged(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 4)
    order = place(db_session, clock, ids.dupont, q.id)
    assert order.seats_after == 4 and order.amount_charged == D("80.00")


# --- idempotence ----------------------------------------------------------------------

def test_submitting_twice_gives_the_same_order_one_charge_one_email(ids, db_session, new_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    first = place(db_session, clock, ids.dupont, q.id)
    again = place(db_session, clock, ids.dupont, q.id)
    other = place(new_session(), clock, ids.dupont, q.id)
    assert first == again == other
    assert count(db_session, m.Order) == 1
    assert count(db_session, m.GatewayCharge) == 1
    assert count(db_session, m.EmailMessage) == 1
    assert db_session.get(m.Subscription, ids.dupont_sub).seats == 8


def test_an_order_is_returned_even_after_its_quote_expired(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    first = place(db_session, clock, ids.dupont, q.id)
    clock.advance(timedelta(hours=2))
    assert place(db_session, clock, ids.dupont, q.id) == first


def test_find_order_by_id_or_quote_only_within_the_account(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    order = place(db_session, clock, ids.dupont, q.id)
    assert service.find_order(db_session, ids.dupont_account, quote_id=q.id) == order
    assert service.find_order(db_session, ids.dupont_account, order_id=order.id) == order
    # Another account never sees it, and an unknown quote finds nothing.
    assert service.find_order(db_session, ids.northwind_account, order_id=order.id) is None
    assert service.find_order(db_session, ids.northwind_account, quote_id=q.id) is None
    assert service.find_order(db_session, ids.dupont_account, quote_id="no-such-quote") is None


# --- refusals: nothing changes ---------------------------------------------------------

def test_an_expired_quote_is_never_charged(ids, db_session, clock, unchanged):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    clock.advance(timedelta(minutes=30, seconds=1))
    with unchanged():
        with pytest.raises(QuoteExpired):
            place(db_session, clock, ids.dupont, q.id)


def test_a_declined_payment_changes_nothing_and_sends_nothing(ids, db_session, clock, unchanged):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    # A card that tokenizes but has no funds.
    choice = service.update_payment_details(db_session, clock, contact_id=ids.dupont, quote_id=q.id,
                                            use_saved_card=False, vat_number=None,
                                            card=CardDetails("4000 0000 0000 9995", "1", "2031", "123", "C Dupont"))
    with unchanged():
        with pytest.raises(PaymentFailed) as failed:
            place(db_session, clock, ids.dupont, q.id, card=choice.card)
    assert failed.value.code == "insufficient_funds"
    assert count(db_session, m.EmailMessage) == 0 and count(db_session, m.Order) == 0


def test_a_failed_charge_never_replaces_the_card_on_file(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    choice = service.update_payment_details(db_session, clock, contact_id=ids.dupont, quote_id=q.id,
                                            use_saved_card=False, vat_number=None,
                                            card=CardDetails("4000 0000 0000 9995", "1", "2031", "123", "C Dupont"))
    assert service.get_account(db_session, ids.dupont_account).payment_method.last4 == "4242"  # not yet
    with pytest.raises(PaymentFailed):
        place(db_session, clock, ids.dupont, q.id, card=choice.card)
    db_session.rollback()
    assert service.get_account(db_session, ids.dupont_account).payment_method.last4 == "4242"
    assert not any(e.action == "payment_method_changed"
                   for e in service.list_audit_events(db_session, ids.dupont_account))


def test_a_retry_with_another_card_after_insufficient_funds_charges_once(ids, db_session, clock):
    """Each attempt (quote + card) has its own idempotency key: the good card is not answered
    with the first card's refusal, and the order is charged exactly once."""
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    poor = service.update_payment_details(db_session, clock, contact_id=ids.dupont, quote_id=q.id,
                                          use_saved_card=False, vat_number=None,
                                          card=CardDetails("4000 0000 0000 9995", "1", "2031", "123", "C D")).card
    with pytest.raises(PaymentFailed):
        place(db_session, clock, ids.dupont, q.id, card=poor)
    good = service.update_payment_details(db_session, clock, contact_id=ids.dupont, quote_id=q.id,
                                          use_saved_card=False, vat_number=None,
                                          card=CardDetails("5555 5555 5555 4444", "1", "2031", "123", "C D")).card
    order = place(db_session, clock, ids.dupont, q.id, card=good)
    assert (order.payment_brand, order.payment_last4, order.amount_charged) == ("Mastercard", "4444", D("272.00"))
    again = place(db_session, clock, ids.dupont, q.id, card=good)  # a double submit: the same order
    assert again == order
    [charge] = db_session.scalars(select(m.GatewayCharge)).all()
    assert charge.idempotency_key == service.payment_attempt_key(q.id, good.token) != service.payment_attempt_key(
        q.id, poor.token)
    assert service.get_account(db_session, ids.dupont_account).payment_method.last4 == "4444"


def test_a_quote_placed_after_midnight_is_stale_and_repriced_with_the_new_day(ids, db_session, clock):
    """Quoted at 23:50 on 26 Nov, placed at 00:05 on 27 Nov (within 30 minutes): the period
    and the credit of 26 Nov no longer hold; place_order itself refuses the old figures."""
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    assert q.new_period_start == date(2026, 11, 26) and q.credit == D("93.33")
    clock.advance(timedelta(minutes=15))
    object.__setattr__(clock, "pinned_today", date(2026, 11, 27))  # midnight has passed
    with pytest.raises(QuoteStale) as stale:
        place(db_session, clock, ids.dupont, q.id)
    fresh = stale.value.new_quote
    assert (fresh.new_period_start, fresh.new_period_end) == (date(2026, 11, 27), date(2026, 12, 27))
    assert fresh.credit == D("86.67")
    assert stale.value.params == {"subscription_changed": False}
    assert count(db_session, m.Order) == 0
    order = place(db_session, clock, ids.dupont, fresh.id)
    assert (order.period_start, order.credit) == (date(2026, 11, 27), D("86.67"))


def test_figures_other_than_the_ones_shown_are_stale(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    with pytest.raises(QuoteStale):
        place(db_session, clock, ids.dupont, q.id, shown_figures="not-what-is-due-now")
    assert count(db_session, m.Order) == 0
    order = place(db_session, clock, ids.dupont, q.id, shown_figures=service.quote_figures(q))
    assert order.amount_charged == D("272.00")


class DecliningGateway:
    def tokenize(self, card, today):
        raise AssertionError("not used")

    def charge(self, **_kwargs):
        raise PaymentFailed("card_declined")


def test_a_gateway_decline_at_charge_time_changes_nothing(ids, db_session, clock, unchanged):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    with unchanged():
        with pytest.raises(PaymentFailed) as failed:
            place(db_session, clock, ids.dupont, q.id, gateway=DecliningGateway())
    assert failed.value.code == "card_declined"


def test_an_expired_card_on_file_is_not_charged(ids, db_session, clock, unchanged):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    pm = db_session.scalars(select(m.PaymentMethod).where(m.PaymentMethod.account_id == ids.dupont_account)).one()
    pm.exp_month, pm.exp_year = 10, 2026
    db_session.commit()
    with unchanged():
        with pytest.raises(PaymentFailed) as failed:
            place(db_session, clock, ids.dupont, q.id)
    assert failed.value.code == "card_expired"


def test_no_payment_method_is_refused(ids, db_session, clock, unchanged):
    db_session.execute(m.PaymentMethod.__table__.delete())
    db_session.commit()
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    with unchanged():
        with pytest.raises(PaymentFailed) as failed:
            place(db_session, clock, ids.dupont, q.id)
    assert failed.value.code == "no_payment_method"


def test_others_cannot_place_a_quote(ids, db_session, clock, unchanged):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    with unchanged():
        with pytest.raises(NotFound):
            place(db_session, clock, ids.northwind, q.id)
        with pytest.raises(NotAllowed):
            place(db_session, clock, ids.dupont_admin, q.id)
        with pytest.raises(NotFound):
            place(db_session, clock, ids.dupont, "forged-quote-id")


def test_seats_assigned_since_the_quote_block_a_decrease(ids, db_session, clock, unchanged):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 3)
    jules = db_session.scalar(select(m.AccountUser.id).where(m.AccountUser.email == "jules.moreau@dupont.example"))
    service.assign_seat(db_session, contact_id=ids.dupont_admin, subscription_id=ids.dupont_sub, user_id=jules)
    with unchanged():
        with pytest.raises(SeatChangeRefused) as refused:
            place(db_session, clock, ids.dupont, q.id)
    assert refused.value.code == "below_assigned" and refused.value.params["to_unassign"] == 1


# --- stale quotes and races -----------------------------------------------------------------

def test_a_change_between_quote_and_order_is_detected_with_a_new_quote(ids, db_session, new_session, clock):
    other = new_session()
    mine = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    theirs = quote(other, clock, ids.dupont, ids.dupont_sub, 6)
    place(other, clock, ids.dupont, theirs.id)
    with pytest.raises(QuoteStale) as stale:
        place(db_session, clock, ids.dupont, mine.id)
    fresh = stale.value.new_quote
    assert fresh.id != mine.id and (fresh.seats_before, fresh.seats_after) == (6, 8)
    assert fresh.subscription_version == 2
    # 6 seats from today: the whole new period is unused, so the credit is the full 6 * 40.
    assert fresh.credit == D("240.00") and fresh.charge == D("320.00")
    assert count(db_session, m.Order) == 1 and count(db_session, m.GatewayCharge) == 1
    order = place(db_session, clock, ids.dupont, fresh.id)
    assert order.seats_before == 6 and order.seats_after == 8


def test_a_stale_quote_for_a_change_already_made_has_no_replacement(ids, db_session, new_session, clock):
    mine = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    theirs = quote(new_session(), clock, ids.dupont, ids.dupont_sub, 8)
    place(db_session, clock, ids.dupont, theirs.id)
    with pytest.raises(QuoteStale) as stale:
        place(db_session, clock, ids.dupont, mine.id)
    assert stale.value.new_quote is None


def test_a_balance_change_makes_the_quote_stale(ids, db_session, clock):
    q = quote(db_session, clock, ids.northwind, ids.northwind_sub, 12)
    db_session.get(m.Account, ids.northwind_account).balance = D("30.00")
    db_session.commit()
    with pytest.raises(QuoteStale) as stale:
        place(db_session, clock, ids.northwind, q.id, locale="en")
    assert stale.value.new_quote.balance_applied == D("30.00")
    assert count(db_session, m.GatewayCharge) == 0


class GatedGateway(SandboxGateway):
    """The sandbox, but the charge waits until the test opens the gate."""

    def __init__(self, session, entered: threading.Event, gate: threading.Event):
        super().__init__(session)
        self.entered, self.gate = entered, gate

    def charge(self, **kwargs):
        self.entered.set()
        assert self.gate.wait(20)
        return super().charge(**kwargs)


def _run(target, results, key):
    def work():
        try:
            results[key] = target()
        except Exception as error:  # noqa: BLE001  (the test inspects it)
            results[key] = error
    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_two_threads_placing_the_same_quote_make_one_order(ids, db_session, new_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    s1, s2 = new_session(), new_session()
    entered, gate = threading.Event(), threading.Event()
    results = {}
    t1 = _run(lambda: place(s1, clock, ids.dupont, q.id, gateway=GatedGateway(s1, entered, gate)), results, 1)
    assert entered.wait(20)  # the first request holds the lock and is charging
    t2 = _run(lambda: place(s2, clock, ids.dupont, q.id), results, 2)
    t2.join(0.5)
    assert t2.is_alive()  # the second one waits for the lock
    gate.set()
    t1.join(30)
    t2.join(30)
    assert not isinstance(results[1], Exception), results[1]
    assert results[1] == results[2]
    assert count(db_session, m.Order) == 1
    assert count(db_session, m.GatewayCharge) == 1
    assert count(db_session, m.EmailMessage) == 1


def test_two_threads_placing_different_quotes_one_wins_the_other_is_stale(ids, db_session, new_session, clock):
    q1 = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    q2 = quote(db_session, clock, ids.dupont, ids.dupont_sub, 9)
    s1, s2 = new_session(), new_session()
    entered, gate = threading.Event(), threading.Event()
    results = {}
    t1 = _run(lambda: place(s1, clock, ids.dupont, q1.id, gateway=GatedGateway(s1, entered, gate)), results, 1)
    assert entered.wait(20)
    t2 = _run(lambda: place(s2, clock, ids.dupont, q2.id), results, 2)
    t2.join(0.5)
    gate.set()
    t1.join(30)
    t2.join(30)
    assert results[1].seats_after == 8
    assert isinstance(results[2], QuoteStale)
    assert results[2].new_quote.seats_before == 8 and results[2].new_quote.seats_after == 9
    assert count(db_session, m.Order) == 1 and count(db_session, m.GatewayCharge) == 1
    assert db_session.get(m.Subscription, ids.dupont_sub).seats == 8


def test_the_database_refuses_a_second_order_for_a_quote(ids, db_session, clock, monkeypatch):
    """Even if a second request passed every check (the account's lock makes that impossible),
    the unique constraint refuses its order and the caller's rollback undoes the attempt: no
    second charge, no second email."""
    from helpcenter.billing import orders

    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    place(db_session, clock, ids.dupont, q.id)
    # The late request saw no order and the figures as quoted (as in a race).
    stored = db_session.get(m.Quote, q.id)
    monkeypatch.setattr(orders, "priced_now", lambda _clock, **_kw: stored)
    monkeypatch.setattr(orders, "existing_order", lambda _session, _quote_id: None)
    with pytest.raises(IntegrityError):
        place(db_session, clock, ids.dupont, q.id)
    assert count(db_session, m.Order) == 1 and count(db_session, m.EmailMessage) == 1
    assert count(db_session, m.GatewayCharge) == 1
    assert db_session.get(m.Subscription, ids.dupont_sub).version == 2


def test_unique_constraints_one_order_per_quote_one_confirmation_per_order(ids, db_session, clock):
    q = quote(db_session, clock, ids.dupont, ids.dupont_sub, 8)
    order = place(db_session, clock, ids.dupont, q.id)
    row = db_session.get(m.Order, order.id)
    clone = {c.key: getattr(row, c.key) for c in m.Order.__table__.columns if c.key != "id"}
    db_session.add(m.Order(**clone))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
    mail = db_session.scalars(select(m.EmailMessage)).one()
    copy = {c.key: getattr(mail, c.key) for c in m.EmailMessage.__table__.columns if c.key != "id"}
    db_session.add(m.EmailMessage(**copy))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
    charge = db_session.scalars(select(m.GatewayCharge)).one()
    db_session.add(m.GatewayCharge(charge_id="ch_other", idempotency_key=charge.idempotency_key, token="t",
                                   amount=D("1"), currency="EUR", description="x", created_at=charge.created_at))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


# --- lists and statement counts ---------------------------------------------------------

def test_placing_an_order_takes_few_statements(ids, db_session, clock, count_statements):
    q = quote(db_session, clock, ids.northwind, ids.northwind_sub, 12)
    with count_statements() as counted:
        place(db_session, clock, ids.northwind, q.id, locale="en")
    print("place_order statements:", counted.n)
    assert counted.n <= 25, counted.statements


def test_list_orders_is_newest_first_in_one_query(ids, db_session, clock, count_statements):
    for seats in (6, 7, 8):
        place(db_session, clock, ids.dupont, quote(db_session, clock, ids.dupont, ids.dupont_sub, seats).id)
    with count_statements() as counted:
        orders = service.list_orders(db_session, ids.dupont_account)
    assert counted.n == 1
    assert [o.seats_after for o in orders] == [8, 7, 6]
    assert service.list_orders(db_session, ids.northwind_account) == []
    assert ledger_balance(db_session, ids.dupont_account) == service.get_account(db_session, ids.dupont_account).balance
