"""The spec's pricing rules as pure functions: worked examples to the cent, decreases,
month ends, leap years, currencies without decimals, and invariants (Hypothesis)."""
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpcenter.billing.pricing import (add_months, parse_seat_count, period_end, price_seat_change,
                                        round_money)

D = Decimal
TODAY = date(2026, 11, 26)


def price(**kw):
    args = dict(currency="EUR", term="month", today=TODAY, vat_rate=D("0"), balance=D("0"))
    args.update(kw)
    return price_seat_change(**args)


# --- the spec's worked examples -------------------------------------------------------

def test_dupont_5_to_8_agents_with_french_vat():
    p = price(seats_before=5, seats_after=8, unit_price=D("40.00"), period_start=date(2026, 11, 10),
              period_end_=date(2026, 12, 10), vat_rate=D("0.20"))
    assert (p.remaining_days, p.period_days) == (14, 30)
    assert p.credit == D("93.33")
    assert p.charge == D("320.00")
    assert p.net == D("226.67")
    assert p.tax == D("45.33")
    assert p.total == D("272.00")
    assert p.due == D("272.00")
    assert (p.new_period_start, p.new_period_end) == (date(2026, 11, 26), date(2026, 12, 26))


def test_dupont_with_a_vat_number_is_reverse_charged():
    p = price(seats_before=5, seats_after=8, unit_price=D("40.00"), period_start=date(2026, 11, 10),
              period_end_=date(2026, 12, 10), vat_rate=D("0"))
    assert p.tax == D("0.00")
    assert p.total == p.due == D("226.67")


def test_northwind_10_to_12_organizers_uses_the_balance():
    p = price(seats_before=10, seats_after=12, unit_price=D("192.00"), currency="USD", term="year",
              period_start=date(2026, 8, 18), period_end_=date(2027, 8, 18), balance=D("25.00"))
    assert (p.remaining_days, p.period_days) == (265, 365)
    assert p.credit == D("1393.97")
    assert p.charge == D("2304.00")
    assert p.net == D("910.03")
    assert p.tax == D("0.00")
    assert p.balance_applied == D("25.00")
    assert p.due == D("885.03")
    assert p.balance_after == D("0.00")
    assert (p.new_period_start, p.new_period_end) == (date(2026, 11, 26), date(2027, 11, 26))


# --- a negative balance: the customer owes ------------------------------------------------

def test_a_negative_balance_is_added_to_the_amount_due_on_its_own_line():
    p = price(seats_before=5, seats_after=8, unit_price=D("40.00"), period_start=date(2026, 11, 10),
              period_end_=date(2026, 12, 10), vat_rate=D("0.20"), balance=D("-30.00"))
    assert p.total == D("272.00")
    assert p.balance_applied == D("0.00")
    assert p.amount_owed == D("30.00")
    assert p.due == D("302.00")
    assert p.balance_after == D("0.00")  # the order's payment clears the debt


def test_a_credit_does_not_cancel_a_debt_the_payment_clears_it():
    # 10 -> 4 on the first day: a credit of 288.00 goes to the balance; the 12.50 owed is paid.
    p = price(seats_before=10, seats_after=4, unit_price=D("40.00"), period_start=TODAY,
              period_end_=date(2026, 12, 26), vat_rate=D("0.20"), balance=D("-12.50"))
    assert p.total == D("-288.00")
    assert p.amount_owed == D("12.50") and p.due == D("12.50")
    assert p.balance_after == D("288.00")


def test_no_debt_no_amount_owed():
    p = price(seats_before=5, seats_after=8, unit_price=D("40.00"), period_start=date(2026, 11, 10),
              period_end_=date(2026, 12, 10), balance=D("10.00"))
    assert p.amount_owed == D("0.00") and p.due == p.total - D("10.00")


# --- decreases ----------------------------------------------------------------------------

def test_a_decrease_mid_month_can_still_cost_money():
    # 10 -> 8 seats half-way through: credit 10*40*15/30 = 200, a new period of 8 costs 320.
    p = price(seats_before=10, seats_after=8, unit_price=D("40.00"), period_start=date(2026, 11, 11),
              period_end_=date(2026, 12, 11))
    assert p.credit == D("200.00")
    assert p.charge == D("320.00")
    assert p.total == D("120.00") and p.due == D("120.00")


def test_a_decrease_right_after_renewal_credits_the_balance():
    # 10 -> 4 seats on the first day: the whole period is credited, 4 seats billed.
    p = price(seats_before=10, seats_after=4, unit_price=D("40.00"), period_start=TODAY,
              period_end_=date(2026, 12, 26), vat_rate=D("0.20"), balance=D("5.00"))
    assert p.credit == D("400.00")
    assert p.net == D("-240.00")
    assert p.tax == D("-48.00")
    assert p.total == D("-288.00")
    assert p.due == D("0.00") and p.balance_applied == D("0.00")
    assert p.balance_after == D("293.00")  # kept on the account, not refunded


def test_negative_amounts_round_half_away_from_zero():
    assert round_money(Fraction(-5, 1000), "EUR") == D("-0.01")
    assert round_money(D("-0.005"), "EUR") == D("-0.01")
    assert round_money(Fraction(5, 1000), "EUR") == D("0.01")
    assert round_money(Fraction(-4999, 1000000), "EUR") == D("0.00")
    # VAT on a negative net: -0.02 * 25 % = -0.005 -> -0.01
    p = price(seats_before=1, seats_after=0, unit_price=D("0.02"), period_start=TODAY,
              period_end_=date(2026, 12, 26), vat_rate=D("0.25"))
    assert p.net == D("-0.02") and p.tax == D("-0.01") and p.total == D("-0.03")


# --- calendar --------------------------------------------------------------------------

@pytest.mark.parametrize("start, term, end", [
    (date(2027, 1, 31), "month", date(2027, 2, 28)),
    (date(2028, 1, 31), "month", date(2028, 2, 29)),  # leap year
    (date(2026, 3, 31), "month", date(2026, 4, 30)),
    (date(2026, 12, 31), "month", date(2027, 1, 31)),
    (date(2026, 11, 26), "month", date(2026, 12, 26)),
    (date(2028, 2, 29), "year", date(2029, 2, 28)),
    (date(2026, 8, 18), "year", date(2027, 8, 18)),
])
def test_period_end_is_the_same_day_next_term_clamped(start, term, end):
    assert period_end(start, term) == end


def test_a_period_starting_on_31_january_prorates_over_28_days():
    p = price(seats_before=3, seats_after=4, unit_price=D("28.00"), period_start=date(2027, 1, 31),
              period_end_=period_end(date(2027, 1, 31), "month"), today=date(2027, 2, 14))
    assert p.period_days == 28 and p.remaining_days == 14
    assert p.credit == D("42.00")
    # A change made on 31 January starts a period that ends on the last day of February.
    q = price(seats_before=3, seats_after=4, unit_price=D("28.00"), period_start=date(2027, 1, 10),
              period_end_=date(2027, 2, 10), today=date(2027, 1, 31))
    assert q.new_period_end == date(2027, 2, 28)


def test_leap_years_have_366_days_in_the_yearly_period():
    p = price(seats_before=1, seats_after=2, unit_price=D("366.00"), term="year", currency="USD",
              period_start=date(2027, 3, 1), period_end_=date(2028, 3, 1), today=date(2028, 2, 1))
    assert p.period_days == 366 and p.remaining_days == 29
    assert p.credit == D("29.00")
    assert p.new_period_end == date(2029, 2, 1)


def test_add_months_clamps_but_keeps_later_days():
    assert add_months(date(2026, 1, 30), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 30), 2) == date(2026, 3, 30)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_today_outside_the_period_is_clamped():
    after = price(seats_before=5, seats_after=6, unit_price=D("10"), period_start=date(2026, 10, 1),
                  period_end_=date(2026, 11, 1))
    assert after.remaining_days == 0 and after.credit == D("0.00")
    before = price(seats_before=5, seats_after=6, unit_price=D("10"), period_start=date(2026, 12, 1),
                   period_end_=date(2027, 1, 1))
    assert before.remaining_days == before.period_days and before.credit == D("50.00")


# --- currencies -----------------------------------------------------------------------

def test_a_currency_without_decimals_rounds_to_whole_units():
    p = price(seats_before=5, seats_after=8, unit_price=D("4400"), currency="JPY",
              period_start=date(2026, 11, 10), period_end_=date(2026, 12, 10), vat_rate=D("0.10"),
              balance=D("1000"))
    assert p.credit == D("10267")  # 5*4400*14/30 = 10266.67
    assert p.charge == D("35200")
    assert p.net == D("24933")
    assert p.tax == D("2493")  # 2493.3
    assert p.total == D("27426")
    assert p.due == D("26426")
    for amount in (p.credit, p.charge, p.net, p.tax, p.total, p.due):
        assert amount.as_tuple().exponent == 0


def test_a_currency_with_three_decimals():
    p = price(seats_before=1, seats_after=2, unit_price=D("10.000"), currency="BHD",
              period_start=date(2026, 11, 1), period_end_=date(2026, 12, 1), today=date(2026, 11, 8))
    assert p.credit == D("7.667")  # 10 * 23/30 = 7.6666…
    assert p.credit.as_tuple().exponent == -3


# --- form input ---------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("8", 8), (" 12 ", 12), (7, 7), ("+3", 3), ("-2", -2), ("0", 0),
    ("8.5", None), ("", None), ("abc", None), ("٣", None), (True, None), ("1e3", None), ("8,0", None),
    ("12345678901234567890", 12345678901234567890), ("9" * 101, None),
])
def test_parse_seat_count(raw, expected):
    assert parse_seat_count(raw) == expected


# --- invariants (Hypothesis) ------------------------------------------------------------

def reference_round(numerator: int, denominator: int) -> int:
    """Half-up (away from zero) integer division, written independently of the code under test."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=400, deadline=None)
@given(q_old=st.integers(1, 500), q_new=st.integers(1, 500), cents=st.integers(0, 1_000_000),
       start=starts, term=st.sampled_from(["month", "year"]), offset=st.integers(-40, 400),
       rate=st.sampled_from(["0", "0.17", "0.2", "0.23", "0.255", "0.27"]), balance_cents=st.integers(-100_000, 100_000))
def test_invariants(q_old, q_new, cents, start, term, offset, rate, balance_cents):
    unit = D(cents).scaleb(-2)
    end = period_end(start, term)
    today = start + timedelta(days=offset)
    balance = D(balance_cents).scaleb(-2)
    p = price(seats_before=q_old, seats_after=q_new, unit_price=unit, term=term, period_start=start,
              period_end_=end, today=today, vat_rate=D(rate), balance=balance)
    full = q_old * unit
    # credit: never negative, never more than a whole period of the old seats
    assert D(0) <= p.credit <= full
    assert 0 <= p.remaining_days <= p.period_days
    # it matches an independent integer computation in cents
    assert p.credit == D(reference_round(q_old * cents * p.remaining_days, p.period_days)).scaleb(-2)
    assert p.charge == q_new * unit
    assert p.net == p.charge - p.credit
    assert p.total == p.net + p.tax
    rate_num = Fraction(rate)
    net_cents = int(p.net * 100)
    assert p.tax == D(reference_round(net_cents * rate_num.numerator, rate_num.denominator)).scaleb(-2)
    # what is due is never negative; the balance pays first and is never overdrawn
    assert p.due >= 0
    assert D(0) <= p.balance_applied <= max(balance, D(0))
    assert p.balance_after >= 0  # a debt is always paid off by the order
    assert p.amount_owed == max(-balance, D(0))
    if p.total >= 0:
        assert p.due + p.balance_applied == p.total + p.amount_owed
        assert p.balance_after == balance - p.balance_applied + p.amount_owed
    else:
        assert p.due == p.amount_owed and p.balance_after == balance - p.total + p.amount_owed
    # every amount is in whole cents
    for amount in (p.credit, p.charge, p.net, p.tax, p.total, p.due, p.balance_applied, p.amount_owed,
                   p.balance_after):
        assert amount == amount.quantize(D("0.01"))
    # the new period starts today and lasts one term
    assert p.new_period_start == today and p.new_period_end > today
    assert 28 <= (p.new_period_end - today).days <= (31 if term == "month" else 366)


@settings(max_examples=200, deadline=None)
@given(q=st.integers(1, 500), cents=st.integers(1, 100_000), start=starts, term=st.sampled_from(["month", "year"]))
def test_credit_shrinks_as_the_period_passes(q, cents, start, term):
    end = period_end(start, term)
    unit = D(cents).scaleb(-2)
    credits = [price(seats_before=q, seats_after=q, unit_price=unit, term=term, period_start=start,
                     period_end_=end, today=start + timedelta(days=k)).credit
               for k in range(0, (end - start).days + 1, 7)]
    assert credits == sorted(credits, reverse=True)
    assert credits[0] == q * unit


@given(start=starts, months=st.integers(0, 36))
def test_add_months_lands_in_the_right_month_and_never_overflows(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.day == start.day or result.day >= 28
