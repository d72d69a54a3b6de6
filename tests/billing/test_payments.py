"""Card checks and the sandbox gateway (a provider's test mode)."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing.errors import CardInvalid, PaymentFailed
from helpcenter.billing.payments import SandboxGateway, card_brand, check_card
from helpcenter.billing.read import CardDetails

TODAY = date(2026, 11, 26)


def card(number="4242 4242 4242 4242", month="12", year="2030", cvc="123", holder="Claire Dupont"):
    return CardDetails(number, month, year, cvc, holder)


def test_brands():  # the check digit (stdnum's Luhn): test_form_errors_name_every_bad_field
    assert card_brand("4242424242424242") == "Visa"
    assert card_brand("5555555555554444") == "Mastercard"
    assert card_brand("2223003122003222") == "Mastercard"
    assert card_brand("378282246310005") == "American Express"
    assert card_brand("6011111111111117") is None  # Discover: not accepted


def test_a_good_card_passes():
    assert check_card(card(), TODAY) == ("4242424242424242", "Visa", 12, 2030)
    assert check_card(card(year="30"), TODAY)[3] == 2030
    assert check_card(card(month="11", year="2026"), TODAY)[2:] == (11, 2026)  # valid to the month's end


@pytest.mark.parametrize("kwargs, errors", [
    ({"number": ""}, {"card_number": "required"}),
    ({"number": "4242 4242 4242 4241"}, {"card_number": "luhn"}),
    ({"number": "4242-abcd"}, {"card_number": "luhn"}),
    ({"number": "6011 1111 1111 1117"}, {"card_number": "unsupported"}),
    ({"month": "13"}, {"exp_month": "invalid"}),
    ({"month": "x"}, {"exp_month": "invalid"}),
    ({"year": "1999"}, {"exp_year": "invalid"}),
    ({"month": "10", "year": "2026"}, {"exp_month": "expired", "exp_year": "expired"}),
    ({"cvc": "12"}, {"cvc": "invalid"}),
    ({"cvc": "12a"}, {"cvc": "invalid"}),
    ({"number": "3782 822463 10005", "cvc": "123"}, {"cvc": "invalid"}),  # Amex has 4 digits
    ({"holder": "  "}, {"cardholder": "required"}),
    ({"holder": "x" * 101}, {"cardholder": "too_long"}),
    ({"number": "", "cvc": "", "holder": ""}, {"card_number": "required", "cvc": "invalid",
                                                "cardholder": "required"}),
])
def test_form_errors_name_every_bad_field(kwargs, errors):
    with pytest.raises(CardInvalid) as refused:
        check_card(card(**kwargs), TODAY)
    assert refused.value.errors == errors


def test_the_card_number_never_shows_in_a_repr():
    text = repr(card())
    assert "4242424242424242" not in text and "4242 4242 4242 4242" not in text and "123" not in text


def test_sandbox_declines_and_insufficient_funds(db_session):
    gateway = SandboxGateway(db_session)
    with pytest.raises(PaymentFailed) as declined:
        gateway.tokenize(card("4000 0000 0000 0002"), TODAY)
    assert declined.value.code == "card_declined"
    poor = gateway.tokenize(card("4000 0000 0000 9995"), TODAY)
    assert (poor.brand, poor.last4) == ("Visa", "9995")
    with pytest.raises(PaymentFailed) as refused:
        gateway.charge(token=poor.token, amount=Decimal("10.00"), currency="EUR", idempotency_key="k1",
                       description="test")
    assert refused.value.code == "insufficient_funds"
    assert "4000000000009995" not in poor.token


def test_sandbox_charges_once_per_idempotency_key(db_session):
    gateway = SandboxGateway(db_session)
    token = gateway.tokenize(card(), TODAY).token
    first = gateway.charge(token=token, amount=Decimal("272.00"), currency="EUR", idempotency_key="quote-1",
                           description="test")
    db_session.flush()
    again = gateway.charge(token=token, amount=Decimal("272.00"), currency="EUR", idempotency_key="quote-1",
                           description="test")
    assert again.charge_id == first.charge_id
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(m.GatewayCharge)) == 1
