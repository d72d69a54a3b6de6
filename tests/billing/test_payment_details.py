"""Step 5: a new card (checked, tokenized, not yet on file) and a VAT number; validation first,
nothing stored on any error; a VAT number that changes the figures makes a new quote. And the
payment-details workflow's operations: verify a card, save card and VAT number with an email."""
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
    """The quote to place after step 5 (the new card's token is in update_full's answer)."""
    return update_full(db_session, clock, contact, quote_id, saved=saved, card=card, vat=vat, **kw).quote


def update_full(db_session, clock, contact, quote_id, *, saved=False, card=GOOD, vat=None, **kw):
    return service.update_payment_details(db_session, clock, contact_id=contact, quote_id=quote_id,
                                          use_saved_card=saved, card=None if saved else card, vat_number=vat,
                                          **kw)


def test_a_new_card_is_a_token_and_becomes_the_card_on_file_only_when_charged(ids, db_session, clock,
                                                                               dupont_quote):
    choice = update_full(db_session, clock, ids.dupont, dupont_quote.id, ip="203.0.113.9")
    assert choice.quote.id == dupont_quote.id and choice.quote.total == dupont_quote.total
    assert (choice.card.brand, choice.card.last4, choice.card.exp_month, choice.card.exp_year) == (
        "Mastercard", "4444", 3, 2029)
    assert choice.card.token.startswith("tok_sbx_") and "5555555555554444" not in choice.card.token
    pm = db_session.scalars(select(m.PaymentMethod).where(m.PaymentMethod.account_id == ids.dupont_account)).one()
    assert (pm.brand, pm.last4) == ("Visa", "4242")  # not before a successful charge
    service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=dupont_quote.id, locale="fr",
                        assign_seats_url="/", card=choice.card, ip="203.0.113.9")
    db_session.expire_all()
    pm = db_session.scalars(select(m.PaymentMethod).where(m.PaymentMethod.account_id == ids.dupont_account)).one()
    assert (pm.brand, pm.last4, pm.exp_month, pm.exp_year) == ("Mastercard", "4444", 3, 2029)
    assert pm.gateway_token == choice.card.token
    event = next(e for e in service.list_audit_events(db_session, ids.dupont_account)
                 if e.action == "payment_method_changed")
    assert event.ip == "203.0.113.9"
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
    choice = update_full(db_session, clock, ids.dupont, dupont_quote.id)
    order = service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=dupont_quote.id, locale="en",
                                assign_seats_url="/", card=choice.card)
    assert (order.payment_brand, order.payment_last4, order.amount_charged) == ("Mastercard", "4444", D("272.00"))


# --- the payment-details workflow's operations ---------------------------------------------

@pytest.mark.parametrize("number, code", [("4000 0000 0000 0002", "card_declined"),
                                          ("4000 0000 0000 9995", "insufficient_funds")])
def test_verify_card_refuses_the_sandbox_test_cards(ids, db_session, clock, unchanged, number, code):
    with unchanged():
        with pytest.raises(PaymentFailed) as refused:
            service.verify_card(db_session, clock, contact_id=ids.dupont,
                                card=CardDetails(number, "12", "2030", "123", "C D"))
    assert refused.value.code == code


def test_verify_card_stores_nothing_and_save_makes_it_the_card_on_file_with_an_email(ids, db_session, clock):
    token = service.verify_card(db_session, clock, contact_id=ids.dupont, card=GOOD)
    assert service.get_account(db_session, ids.dupont_account).payment_method.last4 == "4242"
    change = service.save_payment_details(db_session, clock, contact_id=ids.dupont, card=token,
                                          vat_number="FR40303265045", locale="fr", account_url="https://h/fr/account/")
    assert change.card_changed and change.vat_changed and change.vat_number == "FR40303265045"
    account = service.get_account(db_session, ids.dupont_account)
    assert (account.payment_method.brand, account.payment_method.last4) == ("Mastercard", "4444")
    assert account.vat_number == "FR40303265045"
    [message] = db_session.scalars(select(m.EmailMessage)).all()
    assert message.kind == "payment_details_changed" and message.to_address == "billing@dupont.example"
    assert message.locale == "fr"  # the account's language
    assert "Mastercard" in message.text_body and "4444" in message.text_body and "FR40303265045" in message.text_body
    assert "5555" not in message.text_body


def test_save_payment_details_with_nothing_new_sends_nothing(ids, db_session, clock):
    change = service.save_payment_details(db_session, clock, contact_id=ids.dupont, card=None, vat_number=None,
                                          locale="en", account_url="/")
    assert not change.card_changed and not change.vat_changed
    assert db_session.scalars(select(m.EmailMessage)).all() == []


def test_an_admin_cannot_save_payment_details(ids, db_session, clock, unchanged):
    with unchanged():
        with pytest.raises(NotAllowed):
            service.save_payment_details(db_session, clock, contact_id=ids.dupont_admin, card=None,
                                         vat_number="FR40303265045", locale="fr", account_url="/")
