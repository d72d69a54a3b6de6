"""Step 5: saving a card (token only) and a VAT number; validation first, nothing stored
on any error; a VAT number that changes the figures makes a new quote."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import (CardInvalid, NotAllowed, PaymentFailed, QuoteExpired,
                                       VatNumberInvalid)
from helpcenter.billing.read import CardDetails

D = Decimal
GOOD = CardDetails("5555 5555 5555 4444", "03", "2029", "737", "Claire Dupont")


@pytest.fixture
def dupont_quote(ids, db_session, clock):
    return service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                     new_seats=8)


def update(db_session, clock, contact, quote_id, *, saved=False, card=GOOD, vat=None, **kw):
    return service.update_payment_details(db_session, clock, contact_id=contact, quote_id=quote_id,
                                          use_saved_card=saved, card=None if saved else card, vat_number=vat,
                                          **kw)


def test_a_new_card_is_stored_as_a_token_and_the_quote_stays(ids, db_session, clock, dupont_quote):
    result = update(db_session, clock, ids.dupont, dupont_quote.id, ip="203.0.113.9")
    assert result.id == dupont_quote.id and result.total == dupont_quote.total
    assert (result.payment_method.brand, result.payment_method.last4) == ("Mastercard", "4444")
    pm = db_session.scalars(select(m.PaymentMethod).where(m.PaymentMethod.account_id == ids.dupont_account)).one()
    assert (pm.brand, pm.last4, pm.exp_month, pm.exp_year) == ("Mastercard", "4444", 3, 2029)
    assert pm.gateway_token.startswith("tok_sbx_") and "5555555555554444" not in pm.gateway_token
    event = service.list_audit_events(db_session, ids.dupont_account)[0]
    assert (event.action, event.ip) == ("payment_method_changed", "203.0.113.9")
    assert event.details == {"brand": "Mastercard", "last4": "4444", "expiry": "03/2029"}


def test_a_vat_number_makes_a_new_quote_with_reverse_charge(ids, db_session, clock, dupont_quote):
    result = update(db_session, clock, ids.dupont, dupont_quote.id, saved=True, vat="FR 40 303 265 045")
    assert result.id != dupont_quote.id
    assert result.reverse_charge and result.vat_number == "FR40303265045"
    assert result.tax == D("0.00") and result.total == D("226.67") and "reverse_charge" in result.notes
    assert service.get_account(db_session, ids.dupont_account).vat_number == "FR40303265045"
    event = service.list_audit_events(db_session, ids.dupont_account)[0]
    assert event.action == "vat_number_changed" and event.details == {"old": None, "new": "FR40303265045"}
    # The old quote no longer matches the account: placing it is refused as stale.
    from helpcenter.billing.errors import QuoteStale
    with pytest.raises(QuoteStale):
        service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=dupont_quote.id, locale="fr",
                            assign_seats_url="/")


def test_an_empty_vat_number_clears_it_none_leaves_it(ids, db_session, clock, dupont_quote):
    with_number = update(db_session, clock, ids.dupont, dupont_quote.id, saved=True, vat="FR40303265045")
    same = update(db_session, clock, ids.dupont, with_number.id, saved=True, vat=None)
    assert same.id == with_number.id
    cleared = update(db_session, clock, ids.dupont, with_number.id, saved=True, vat="  ")
    assert cleared.id != with_number.id and cleared.vat_number is None and cleared.total == D("272.00")
    assert service.get_account(db_session, ids.dupont_account).vat_number is None


def test_the_same_vat_number_again_keeps_the_quote(ids, db_session, clock, dupont_quote):
    first = update(db_session, clock, ids.dupont, dupont_quote.id, saved=True, vat="FR40303265045")
    assert update(db_session, clock, ids.dupont, first.id, saved=True, vat="fr40303265045").id == first.id


@pytest.mark.parametrize("vat, code", [
    ("FR40303265046", "checksum"), ("FR123", "format"), ("IE6388047V", "country_mismatch"),
])
def test_a_bad_vat_number_changes_nothing(ids, db_session, clock, dupont_quote, unchanged, vat, code):
    with unchanged():
        with pytest.raises(VatNumberInvalid) as refused:
            update(db_session, clock, ids.dupont, dupont_quote.id, vat=vat)
    assert refused.value.code == code


def test_the_vat_number_is_not_offered_outside_the_eu(ids, db_session, clock, unchanged):
    q = service.quote_seat_change(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                                  new_seats=12)
    with unchanged():
        with pytest.raises(VatNumberInvalid) as refused:
            update(db_session, clock, ids.northwind, q.id, saved=True, vat="FR40303265045")
    assert refused.value.code == "not_offered"


def test_card_errors_come_with_the_vat_error_and_change_nothing(ids, db_session, clock, dupont_quote, unchanged):
    bad = CardDetails("4242 4242 4242 4241", "13", "2031", "1", "")
    with unchanged():
        with pytest.raises(CardInvalid) as refused:
            update(db_session, clock, ids.dupont, dupont_quote.id, card=bad, vat="FR40303265046")
    assert refused.value.errors == {"card_number": "luhn", "exp_month": "invalid", "cvc": "invalid",
                                    "cardholder": "required"}
    assert refused.value.vat_error == "checksum"


def test_an_expired_card_is_a_form_error(ids, db_session, clock, dupont_quote, unchanged):
    with unchanged():
        with pytest.raises(CardInvalid) as refused:
            update(db_session, clock, ids.dupont, dupont_quote.id,
                   card=CardDetails("4242424242424242", "10", "2026", "123", "C D"))
    assert refused.value.errors["exp_month"] == "expired"


def test_the_decline_card_is_refused_when_saved(ids, db_session, clock, dupont_quote, unchanged):
    with unchanged():
        with pytest.raises(PaymentFailed) as refused:
            update(db_session, clock, ids.dupont, dupont_quote.id,
                   card=CardDetails("4000 0000 0000 0002", "12", "2030", "123", "C D"), vat="FR40303265045")
    assert refused.value.code == "card_declined"


def test_using_a_saved_card_needs_one(ids, db_session, clock, dupont_quote, unchanged):
    db_session.execute(m.PaymentMethod.__table__.delete())
    db_session.commit()
    with unchanged():
        with pytest.raises(PaymentFailed) as refused:
            update(db_session, clock, ids.dupont, dupont_quote.id, saved=True)
    assert refused.value.code == "no_payment_method"


def test_a_saved_card_that_expired_is_refused(ids, db_session, clock, dupont_quote, unchanged):
    pm = db_session.scalars(select(m.PaymentMethod).where(m.PaymentMethod.account_id == ids.dupont_account)).one()
    pm.exp_month, pm.exp_year = 1, 2026
    db_session.commit()
    with unchanged():
        with pytest.raises(PaymentFailed) as refused:
            update(db_session, clock, ids.dupont, dupont_quote.id, saved=True)
    assert refused.value.code == "card_expired"


def test_an_expired_quote_takes_no_details(ids, db_session, clock, dupont_quote, unchanged):
    clock.advance(timedelta(minutes=31))
    with unchanged():
        with pytest.raises(QuoteExpired):
            update(db_session, clock, ids.dupont, dupont_quote.id)


def test_an_admin_cannot_change_payment_details(ids, db_session, clock, dupont_quote, unchanged):
    with unchanged():
        with pytest.raises(NotAllowed):
            update(db_session, clock, ids.dupont_admin, dupont_quote.id)


def test_a_new_card_then_an_order_charges_it(ids, db_session, clock, dupont_quote):
    update(db_session, clock, ids.dupont, dupont_quote.id)
    order = service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=dupont_quote.id, locale="en",
                                assign_seats_url="/")
    assert (order.payment_brand, order.payment_last4, order.amount_charged) == ("Mastercard", "4444", D("272.00"))
