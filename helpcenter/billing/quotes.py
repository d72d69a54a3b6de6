"""Quotes: a seat change priced from the current state and stored for 30 minutes; the one definition of stale.

Operations take the caller's session and flush; the caller (the request, a CLI command)
commits or rolls back. Nothing here knows about Flask or HTTP.
"""
import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import pricing, read, vat
from helpcenter.billing.errors import NotFound, SeatChangeRefused
from helpcenter.billing.payments import CardToken
from helpcenter.billing.accounts import payment_method_read, quote_read
from helpcenter.billing.common import (DEFAULT_SELLER_COUNTRY, account_payment_method, assigned_count, int_id,
                                       load_contact, money, rate, require_billing_contact)


QUOTE_LIFETIME = timedelta(minutes=30)


def check_seat_count(new_seats, current: int, assigned: int) -> int:
    count = pricing.parse_seat_count(new_seats)
    params = {"minimum": pricing.MIN_SEATS, "maximum": pricing.MAX_SEATS, "current": current,
              "assigned": assigned, "to_unassign": 0}
    if count is None:
        raise SeatChangeRefused("not_a_number", **params)
    if not pricing.MIN_SEATS <= count <= pricing.MAX_SEATS:
        raise SeatChangeRefused("out_of_range", **params)
    if count == current:
        raise SeatChangeRefused("unchanged", **params)
    if count < assigned:
        params["to_unassign"] = assigned - count
        raise SeatChangeRefused("below_assigned", **params)
    return count


def priced_now(clock, *, account: m.Account, sub: m.Subscription, seats_after: int, seller_country: str,
                pm: m.PaymentMethod | None, contact: m.Contact | None = None) -> m.Quote:
    """The change priced from the current state with this clock, as an unsaved quote."""
    today = clock.today()
    treatment = vat.vat_treatment(account.country, seller_country, account.vat_number)
    price = pricing.price_seat_change(
        seats_before=sub.seats, seats_after=seats_after, unit_price=Decimal(sub.unit_price),
        currency=sub.currency, term=sub.term, period_start=sub.period_start, period_end_=sub.period_end,
        today=today, vat_rate=treatment.rate, balance=Decimal(account.balance))
    card_usable = pm is not None and not payment_method_read(pm).is_expired(today)
    now = clock.now()
    return m.Quote(
        id=secrets.token_urlsafe(24), account_id=account.id, subscription_id=sub.id,
        contact_id=contact.id if contact is not None else None,
        subscription_version=sub.version, seats_before=sub.seats, seats_after=seats_after,
        unit_price=sub.unit_price, currency=sub.currency, term=sub.term,
        old_period_start=sub.period_start, old_period_end=sub.period_end, today=today,
        remaining_days=price.remaining_days, period_days=price.period_days,
        new_period_start=price.new_period_start, new_period_end=price.new_period_end,
        credit=price.credit, charge=price.charge, net=price.net, vat_rate=treatment.rate, tax=price.tax,
        reverse_charge=treatment.reverse_charge, vat_number=account.vat_number,
        seller_country=(seller_country or DEFAULT_SELLER_COUNTRY).upper()[:2], total=price.total,
        balance_before=money(account.balance, sub.currency), balance_applied=price.balance_applied,
        amount_owed=price.amount_owed, due=price.due, balance_after=price.balance_after,
        needs_payment_step=seats_after > sub.seats or (price.due > 0 and not card_usable),
        created_at=now, expires_at=now + QUOTE_LIFETIME)


def new_quote(session: Session, clock, *, contact: m.Contact, account: m.Account, sub: m.Subscription,
               seats_after: int, seller_country: str, pm: m.PaymentMethod | None) -> m.Quote:
    """Price the change from the current state and store it as a quote (not committed)."""
    quote = priced_now(clock, account=account, sub=sub, seats_after=seats_after, seller_country=seller_country,
                        pm=pm, contact=contact)
    session.add(quote)
    return quote


def quote_seat_change(session: Session, clock, *, contact_id, subscription_id, new_seats,
                      ip: str | None = None, seller_country: str = DEFAULT_SELLER_COUNTRY) -> read.Quote:
    """Validate the new seat count, price the change and store the quote (valid 30 minutes)."""
    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    row = session.execute(
        select(m.Subscription, m.Product, m.PaymentMethod)
        .join(m.Product, m.Subscription.product_id == m.Product.id)
        .outerjoin(m.PaymentMethod, m.PaymentMethod.account_id == m.Subscription.account_id)
        .where(m.Subscription.id == int_id(subscription_id), m.Subscription.account_id == account.id)).first()
    if row is None:
        raise NotFound()
    sub, product, pm = row
    seats_after = check_seat_count(new_seats, sub.seats, assigned_count(session, sub.id))
    quote = new_quote(session, clock, contact=contact, account=account, sub=sub, seats_after=seats_after,
                      seller_country=seller_country, pm=pm)
    session.flush()
    return quote_read(quote, product, account, pm)


def load_quote(session: Session, account: m.Account, quote_id) -> tuple[m.Quote, m.Product]:
    if not isinstance(quote_id, str) or not 0 < len(quote_id) <= 43:
        raise NotFound()
    row = session.execute(select(m.Quote, m.Product)
                          .join(m.Subscription, m.Quote.subscription_id == m.Subscription.id)
                          .join(m.Product, m.Subscription.product_id == m.Product.id)
                          .where(m.Quote.id == quote_id, m.Quote.account_id == account.id)).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def get_quote(session: Session, *, contact_id, quote_id: str) -> read.Quote:
    """A stored quote of the contact's account (NotFound for any other)."""
    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    quote, product = load_quote(session, account, quote_id)
    return quote_read(quote, product, account, account_payment_method(session, account.id))


def card_shown(card: CardToken | None, pm: m.PaymentMethod | None) -> tuple | None:
    """The card the customer was told would be charged."""
    if card is not None:
        return (card.brand, card.last4)
    return (pm.brand, pm.last4) if pm is not None else None


def figures_digest(q, card: tuple | None) -> str:
    """A short fingerprint of every figure the customer agrees to (stored or fresh quote, read model)."""
    c = q.currency
    amounts = [money(getattr(q, name), c) for name in
               ("unit_price", "credit", "charge", "net", "tax", "total", "balance_applied", "amount_owed",
                "due")]
    parts = [q.seats_before, q.seats_after, *amounts, rate(q.vat_rate), bool(q.reverse_charge),
             q.new_period_start.isoformat(), q.new_period_end.isoformat(),
             card if money(q.due, c) > 0 else None]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def quote_figures(quote: read.Quote, card: CardToken | None = None) -> str:
    """What a confirm page shows of a quote, as place_order(shown_figures=...) compares it."""
    shown = (card.brand, card.last4) if card is not None else (
        (quote.payment_method.brand, quote.payment_method.last4) if quote.payment_method else None)
    return figures_digest(quote, shown)


def replacement_quote(session, clock, contact, account, sub, product, quote, pm) -> read.Quote | None:
    """A fresh quote for the same change from the subscription as it is now, or None when
    that change is no longer possible."""
    try:
        seats_after = check_seat_count(quote.seats_after, sub.seats, assigned_count(session, sub.id))
    except SeatChangeRefused:
        return None
    fresh = new_quote(session, clock, contact=contact, account=account, sub=sub, seats_after=seats_after,
                       seller_country=quote.seller_country, pm=pm)
    session.flush()
    return quote_read(fresh, product, account, pm)
