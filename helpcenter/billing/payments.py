"""Payment gateway interface and the sandbox gateway (a provider's test mode).

The service only ever sees a token, the brand, the last 4 digits and the expiry;
the full number and the CVC go to the gateway and are forgotten.
"""
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from helpcenter.billing.errors import CardInvalid, PaymentFailed
from helpcenter.billing.models import GatewayCharge
from helpcenter.billing.read import CardDetails

CARDHOLDER_MAX = 100


@dataclass(frozen=True)
class CardToken:
    """What may be stored about a card."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeResult:
    charge_id: str
    amount: Decimal
    currency: str


class PaymentGateway(Protocol):
    def tokenize(self, card: CardDetails, today: date) -> CardToken:
        """Validate the card (CardInvalid), ask the provider for a token (PaymentFailed)."""

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str,
               description: str) -> ChargeResult:
        """Take the amount; the same idempotency key never charges twice (PaymentFailed)."""

    def verify(self, *, token: str) -> None:
        """A zero-amount verification that the card can be charged (PaymentFailed)."""


def card_brand(digits: str) -> str | None:
    """The brand for the number's prefix, or None when no supported brand matches."""
    if digits.startswith("4") and len(digits) in (13, 16, 19):
        return "Visa"
    if len(digits) == 16 and (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720):
        return "Mastercard"
    if len(digits) == 15 and digits[:2] in ("34", "37"):
        return "American Express"
    return None


def _whole(value, low: int, high: int) -> int | None:
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        return None
    number = int(text)
    return number if low <= number <= high else None


def check_card(card: CardDetails, today: date) -> tuple[str, str, int, int]:
    """(digits, brand, month, year) of a well-formed, unexpired card, or CardInvalid with every error."""
    errors: dict[str, str] = {}
    digits = "".join(str(card.number or "").replace(" ", "").replace("-", "").split())
    brand = None
    if not digits:
        errors["card_number"] = "required"
    elif not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn.is_valid(digits):
        errors["card_number"] = "luhn"
    else:
        brand = card_brand(digits)
        if brand is None:
            errors["card_number"] = "unsupported"
    month = _whole(card.exp_month, 1, 12)
    year = _whole(card.exp_year, 0, 9999)
    if year is not None and year < 100:
        year += 2000
    if month is None:
        errors["exp_month"] = "invalid"
    if year is None or year > today.year + 25 or year < 2000:
        errors["exp_year"] = "invalid"
        year = None
    if month is not None and year is not None and (year, month) < (today.year, today.month):
        errors["exp_month"] = "expired"
        errors["exp_year"] = "expired"
    cvc = str(card.cvc or "").strip()
    cvc_length = 4 if brand == "American Express" else 3
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) == cvc_length):
        errors["cvc"] = "invalid"
    holder = " ".join(str(card.cardholder or "").split())
    if not holder:
        errors["cardholder"] = "required"
    elif len(holder) > CARDHOLDER_MAX:
        errors["cardholder"] = "too_long"
    if errors:
        raise CardInvalid(errors)
    return digits, brand, month, year


# Test-mode cards of the sandbox (spec section 6).
DECLINED_CARD = "4000000000000002"
INSUFFICIENT_FUNDS_CARD = "4000000000009995"
_NSF = "nsf"
_OK = "ok"


class SandboxGateway:
    """Behaves like a provider's test mode; records its charges in `gateway_charges`.

    4242 4242 4242 4242 (and any other valid card) succeeds, 4000 0000 0000 0002 is
    declined when it is tokenized, 4000 0000 0000 9995 is tokenized but every charge and
    every zero-amount verification fails for insufficient funds. Tokens name their behaviour, as a provider's test tokens do.
    """

    def __init__(self, session: Session):
        self.session = session

    def tokenize(self, card: CardDetails, today: date) -> CardToken:
        digits, brand, month, year = check_card(card, today)
        if digits == DECLINED_CARD:
            raise PaymentFailed("card_declined")
        behaviour = _NSF if digits == INSUFFICIENT_FUNDS_CARD else _OK
        return CardToken(token=f"tok_sbx_{behaviour}_{secrets.token_hex(12)}", brand=brand,
                         last4=digits[-4:], exp_month=month, exp_year=year)

    def verify(self, *, token: str) -> None:
        if not token.startswith("tok_sbx_"):
            raise PaymentFailed("card_declined")
        if token.startswith(f"tok_sbx_{_NSF}_"):
            raise PaymentFailed("insufficient_funds")

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str,
               description: str) -> ChargeResult:
        existing = self.session.scalar(
            select(GatewayCharge).where(GatewayCharge.idempotency_key == idempotency_key))
        if existing is not None:
            return ChargeResult(existing.charge_id, existing.amount, existing.currency)
        if not token.startswith("tok_sbx_"):
            raise PaymentFailed("card_declined")
        if token.startswith(f"tok_sbx_{_NSF}_"):
            raise PaymentFailed("insufficient_funds")
        charge = GatewayCharge(charge_id=f"ch_sbx_{secrets.token_hex(12)}", idempotency_key=idempotency_key,
                               token=token, amount=amount, currency=currency, description=description[:200],
                               created_at=datetime.now(timezone.utc))
        self.session.add(charge)
        return ChargeResult(charge.charge_id, amount, currency)
