"""Quoting a seat change through the service: the spec's figures, the refusals (each
changing nothing), the notes that explain the numbers, and the stored quote."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import NotAllowed, NotFound, SeatChangeRefused

D = Decimal


def test_dupont_5_to_8_agents(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats="8")
    assert (quote.seats_before, quote.seats_after) == (5, 8)
    assert (quote.product_code, quote.seat_type, quote.currency, quote.term) == (
        "gotoassist-rs5", "agent", "EUR", "month")
    assert (quote.old_period_start, quote.old_period_end) == (date(2026, 11, 10), date(2026, 12, 10))
    assert (quote.remaining_days, quote.period_days) == (14, 30)
    assert quote.credit == D("93.33") and quote.charge == D("320.00") and quote.net == D("226.67")
    assert quote.vat_rate == D("0.20") and quote.tax == D("45.33") and not quote.reverse_charge
    assert quote.total == D("272.00") and quote.balance_applied == D("0.00") and quote.due == D("272.00")
    assert (quote.new_period_start, quote.new_period_end) == (date(2026, 11, 26), date(2026, 12, 26))
    assert quote.needs_payment_step  # the subscription rate rises
    assert (quote.payment_method.brand, quote.payment_method.last4) == ("Visa", "4242")
    assert quote.notes == ()


def test_northwind_10_to_12_organizers(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.northwind,
                                      subscription_id=ids.northwind_sub, new_seats=12)
    assert quote.credit == D("1393.97") and quote.charge == D("2304.00") and quote.net == D("910.03")
    assert quote.vat_rate == 0 and quote.tax == D("0.00")
    assert quote.balance_before == D("25.00") and quote.balance_applied == D("25.00")
    assert quote.due == D("885.03") and quote.balance_after == D("0.00")
    assert (quote.new_period_start, quote.new_period_end) == (date(2026, 11, 26), date(2027, 11, 26))


def test_the_quote_is_stored_with_the_version_and_a_30_minute_expiry(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats="6")
    assert quote.expires_at - quote.created_at == timedelta(minutes=30)
    assert quote.subscription_version == 1
    assert len(quote.id) >= 32  # unguessable
    assert not quote.is_expired(quote.created_at + timedelta(minutes=29))
    assert quote.is_expired(quote.created_at + timedelta(minutes=30))
    stored = db_session.get(m.Quote, quote.id)
    assert stored.subscription_version == 1 and stored.due == quote.due == D("176.00")
    assert service.get_quote(db_session, contact_id=ids.dupont, quote_id=quote.id) == quote


def test_the_seller_country_decides_domestic_vat(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats=8, seller_country="FR")
    assert quote.vat_rate == D("0.20") and quote.total == D("272.00")


# --- refusals ------------------------------------------------------------------------

@pytest.mark.parametrize("value, code, to_unassign", [
    ("eight", "not_a_number", 0),
    ("8.5", "not_a_number", 0),
    ("", "not_a_number", 0),
    ("0", "out_of_range", 0),
    ("-3", "out_of_range", 0),
    ("501", "out_of_range", 0),
    ("5", "unchanged", 0),
    ("2", "below_assigned", 1),
    ("1", "below_assigned", 2),
])
def test_bad_seat_counts_are_refused_and_change_nothing(ids, db_session, clock, unchanged, value, code, to_unassign):
    with unchanged():
        with pytest.raises(SeatChangeRefused) as refused:
            service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats=value)
    assert refused.value.code == code
    assert refused.value.params == {"minimum": 1, "maximum": 500, "current": 5, "assigned": 3,
                                    "to_unassign": to_unassign}


def test_limits_are_inclusive(ids, db_session, clock):
    assert service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                     new_seats="500").seats_after == 500
    assert service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                     new_seats="3").seats_after == 3


@pytest.mark.parametrize("who, code", [("dupont_admin", "not_billing_contact"), ("globex", "corporate_account")])
def test_only_self_service_billing_contacts_may_quote(ids, db_session, clock, unchanged, who, code):
    sub = ids.globex_sub if who == "globex" else ids.dupont_sub
    with unchanged():
        with pytest.raises(NotAllowed) as refused:
            service.quote_seat_change(db_session, clock, contact_id=getattr(ids, who), subscription_id=sub,
                                      new_seats="260")
    assert refused.value.code == code


def test_another_accounts_subscription_is_not_found(ids, db_session, clock, unchanged):
    with unchanged():
        for sub in (ids.northwind_sub, 999999, "x"):
            with pytest.raises(NotFound):
                service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=sub,
                                          new_seats="8")


def test_another_accounts_quote_is_not_found(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.northwind,
                                      subscription_id=ids.northwind_sub, new_seats=12)
    with pytest.raises(NotFound):
        service.get_quote(db_session, contact_id=ids.dupont, quote_id=quote.id)
    with pytest.raises(NotFound):
        service.get_quote(db_session, contact_id=ids.dupont, quote_id="no-such-quote")


# --- what the numbers mean ------------------------------------------------------------------

def test_a_decrease_that_still_costs_says_so(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats="4")
    # credit 93.33 for the unused 14 days, but a full new period of 4 seats: 160.00
    assert quote.credit == D("93.33") and quote.charge == D("160.00")
    assert quote.total == D("80.00") and quote.due == D("80.00")
    assert "decrease_still_costs" in quote.notes
    assert not quote.needs_payment_step  # the rate does not rise and a card is on file


def test_a_decrease_that_leaves_a_credit_keeps_it_on_the_balance(ids, db_session, clock):
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.northwind,
                                      subscription_id=ids.northwind_sub, new_seats="7")
    assert quote.credit == D("1393.97") and quote.charge == D("1344.00")
    assert quote.total == D("-49.97") and quote.due == D("0.00")
    assert quote.balance_after == D("74.97")
    assert quote.notes == ("credit_kept_on_balance",)
    assert not quote.needs_payment_step


def test_no_card_on_file_asks_for_payment_even_for_a_decrease(ids, db_session, clock):
    db_session.execute(m.PaymentMethod.__table__.delete())
    db_session.commit()
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats="4")
    assert quote.due > 0 and quote.payment_method is None and quote.needs_payment_step


def test_a_domestic_customer_with_a_vat_number_still_pays_vat(ids, db_session, clock):
    db_session.get(m.Account, ids.dupont_account).vat_number = "FR40303265045"
    db_session.commit()
    home = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                     new_seats=8, seller_country="FR")
    assert home.tax == D("45.33") and home.notes == ("domestic_vat_with_number",)
    abroad = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                       new_seats=8)
    assert abroad.reverse_charge and abroad.total == D("226.67") and abroad.notes == ("reverse_charge",)
    assert abroad.vat_number == "FR40303265045"


def test_list_and_get_subscriptions(ids, db_session, count_statements):
    with count_statements() as counted:
        subs = service.list_subscriptions(db_session, ids.dupont_account)
    assert counted.n == 1
    (sub,) = subs
    assert (sub.seats, sub.assigned, sub.free, sub.seat_type) == (5, 3, 2, "agent")
    assert sub.product_name == "GoToAssist Remote Support v5" and sub.unit_price == D("40.00")
    assert service.get_subscription(db_session, ids.dupont_account, sub.id) == sub
    with pytest.raises(NotFound):
        service.get_subscription(db_session, ids.northwind_account, sub.id)
    assert service.find_subscription_by_product(db_session, ids.dupont_account, "gotoassist-rs5") == sub
    assert service.find_subscription_by_product(db_session, ids.dupont_account, "gotomeeting-business") is None
    globex = service.list_subscriptions(db_session, ids.globex_account)[0]
    assert (globex.seats, globex.assigned, globex.free, globex.seat_type) == (250, 250, 0, "organizer")


def test_get_account(ids, db_session):
    account = service.get_account(db_session, ids.northwind_account)
    assert (account.name, account.country, account.currency, account.locale) == (
        "Northwind Traders Inc.", "US", "USD", "en")
    assert account.balance == D("25.00") and not account.in_eu and not account.vat_number_offered
    assert (account.payment_method.brand, account.payment_method.last4,
            account.payment_method.exp_month, account.payment_method.exp_year) == ("Mastercard", "4444", 8, 2029)
    dupont = service.get_account(db_session, ids.dupont_account)
    assert dupont.in_eu and dupont.vat_number_offered and dupont.vat_number is None
    with pytest.raises(NotFound):
        service.get_account(db_session, 424242)


def test_quotes_are_counted_once(ids, db_session, clock):
    service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, new_seats=8)
    assert db_session.scalar(select(func.count()).select_from(m.Quote)) == 1
