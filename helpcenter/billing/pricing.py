"""The pricing rules of the spec (section 6): pure functions of numbers and dates.

Money is Decimal, rounded half-up (ties away from zero, negatives too) to the
currency's minor unit. Proration is computed with exact fractions and rounded
once, so no intermediate rounding can move a cent.
"""
import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from babel.numbers import get_currency_precision

TERMS = ("month", "year")
MIN_SEATS = 1
MAX_SEATS = 500


def minor_digits(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (EUR 2, JPY 0, BHD 3)."""
    return get_currency_precision(currency)


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


def round_money(value, currency: str) -> Decimal:
    """Round an exact amount (Decimal, int or Fraction) half-up to the currency's minor unit."""
    if isinstance(value, Fraction):
        digits = minor_digits(currency)
        scaled = value * 10 ** digits
        sign = -1 if scaled < 0 else 1
        whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
        if 2 * rest >= scaled.denominator:  # half or more: away from zero
            whole += 1
        return (Decimal(sign * whole).scaleb(-digits)).quantize(_quantum(currency))
    return Decimal(value).quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the last day of that month (31 Jan + 1 = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, term: str) -> date:
    """End (exclusive) of a period of one term starting on `start`."""
    if term == "month":
        return add_months(start, 1)
    if term == "year":
        return add_months(start, 12)
    raise ValueError(f"unknown term {term!r}")


@dataclass(frozen=True)
class SeatChangePrice:
    """Every figure of a seat change, as the review page and the order show them."""

    remaining_days: int
    period_days: int
    credit: Decimal
    charge: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    balance_applied: Decimal
    amount_owed: Decimal  # what the account already owed (a negative balance), paid with this order
    due: Decimal
    balance_after: Decimal
    new_period_start: date
    new_period_end: date


def price_seat_change(*, seats_before: int, seats_after: int, unit_price: Decimal, currency: str,
                      term: str, period_start: date, period_end_: date, today: date,
                      vat_rate: Decimal, balance: Decimal) -> SeatChangePrice:
    """The spec's proration: credit for unused time, a full new period from today, VAT, balance.

    `today` outside the current period is clamped: before it, the whole period is
    unused; on or after its end, nothing is left to credit.
    """
    if seats_before < 0 or seats_after < 0:
        raise ValueError("seat counts are never negative")
    period_days = (period_end_ - period_start).days
    if period_days <= 0:
        raise ValueError("a period lasts at least one day")
    remaining = min(max((period_end_ - today).days, 0), period_days)
    price = Fraction(unit_price)
    credit = round_money(Fraction(seats_before) * price * remaining / period_days, currency)
    charge = round_money(Fraction(seats_after) * price, currency)
    net = charge - credit
    tax = round_money(Fraction(net) * Fraction(vat_rate), currency)
    total = net + tax
    balance = round_money(balance, currency)
    # A negative balance is a debt: it is added to the amount due on its own line and the
    # order's payment clears it, whatever the change costs (spec section 6).
    owed = max(-balance, Decimal(0))
    if total >= 0:
        applied = min(max(balance, Decimal(0)), total)
        due = total - applied + owed
        balance_after = balance - applied + owed
    else:
        applied = round_money(0, currency)
        due = owed
        balance_after = balance - total + owed  # the credit stays on the account
    return SeatChangePrice(
        remaining_days=remaining, period_days=period_days, credit=credit, charge=charge,
        net=net, tax=tax, total=total, balance_applied=round_money(applied, currency),
        amount_owed=round_money(owed, currency), due=round_money(due, currency),
        balance_after=round_money(balance_after, currency),
        new_period_start=today, new_period_end=period_end(today, term))


def parse_seat_count(value) -> int | None:
    """A whole number of seats from a form value ("8", " 8 ", 8), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else None
    text = str(value).strip()
    sign = 1
    if text[:1] in "+-" and text:
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    # A long run of digits is still a whole number (out of range, so the 1–500 message applies);
    # the length cap only keeps int() cheap.
    if not text.isascii() or not text.isdigit() or len(text) > 100:
        return None
    return sign * int(text)
