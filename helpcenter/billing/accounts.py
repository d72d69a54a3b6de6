"""Accounts and read models: what the web layer reads (contacts, accounts, subscriptions, orders, audit)."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import read, vat
from helpcenter.billing.common import int_id, load_contact, money, rate, utc
from helpcenter.billing.errors import NotFound


def advisor_read(account: m.Account) -> read.Advisor | None:
    if not account.advisor_name:
        return None
    return read.Advisor(account.advisor_name, account.advisor_email or "", account.advisor_phone or "")


def payment_method_read(pm: m.PaymentMethod | None) -> read.PaymentMethod | None:
    if pm is None:
        return None
    return read.PaymentMethod(pm.brand, pm.last4, pm.exp_month, pm.exp_year)


def contact_read(contact: m.Contact, account: m.Account) -> read.Contact:
    return read.Contact(
        contact_id=contact.id, account_id=account.id, email=contact.email, name=contact.name,
        role=contact.role, is_billing_contact=contact.role == "billing_contact",
        account_name=account.name, corporate=account.corporate, advisor=advisor_read(account),
        locale=account.locale, timezone=account.timezone)


def subscription_read(sub: m.Subscription, product: m.Product, assigned: int) -> read.Subscription:
    return read.Subscription(
        id=sub.id, product_code=product.code, product_name=product.name, seat_type=product.seat_type,
        seats=sub.seats, assigned=assigned, free=max(sub.seats - assigned, 0),
        unit_price=money(sub.unit_price, sub.currency), currency=sub.currency, term=sub.term,
        period_start=sub.period_start, period_end=sub.period_end, version=sub.version)


def quote_notes(q: m.Quote, account_country: str) -> tuple[str, ...]:
    notes = []
    if q.seats_after < q.seats_before and q.total > 0:
        notes.append("decrease_still_costs")
    if q.total < 0:
        notes.append("credit_kept_on_balance")
    if q.reverse_charge:
        notes.append("reverse_charge")
    if q.vat_number and account_country.upper() == q.seller_country.upper():
        notes.append("domestic_vat_with_number")
    return tuple(notes)


def figures_read(q: m.SeatChangeFigures) -> dict:
    """A stored quote's or order's figures for its read model, money rounded to the currency."""
    c = q.currency
    return dict(
        currency=c, term=q.term, unit_price=money(q.unit_price, c), seats_before=q.seats_before,
        seats_after=q.seats_after, credit=money(q.credit, c), charge=money(q.charge, c), net=money(q.net, c),
        vat_rate=rate(q.vat_rate), tax=money(q.tax, c), reverse_charge=q.reverse_charge,
        vat_number=q.vat_number, total=money(q.total, c), balance_applied=money(q.balance_applied, c),
        amount_owed=money(q.amount_owed or 0, c))


def quote_read(q: m.Quote, product: m.Product, account: m.Account,
                pm: m.PaymentMethod | None) -> read.Quote:
    c = q.currency
    return read.Quote(
        **figures_read(q), id=q.id, subscription_id=q.subscription_id, account_id=q.account_id,
        product_code=product.code, product_name=product.name, seat_type=product.seat_type,
        old_period_start=q.old_period_start, old_period_end=q.old_period_end,
        remaining_days=q.remaining_days, period_days=q.period_days,
        new_period_start=q.new_period_start, new_period_end=q.new_period_end,
        balance_before=money(q.balance_before, c), due=money(q.due, c),
        balance_after=money(q.balance_after, c), needs_payment_step=q.needs_payment_step,
        payment_method=payment_method_read(pm), created_at=utc(q.created_at), expires_at=utc(q.expires_at),
        subscription_version=q.subscription_version, notes=quote_notes(q, account.country))


def order_number(order_id: int) -> str:
    return f"HC-{order_id:06d}"


def order_read(o: m.Order) -> read.Order:
    c = o.currency
    return read.Order(
        **figures_read(o), id=o.id, number=order_number(o.id), quote_id=o.quote_id, account_id=o.account_id,
        subscription_id=o.subscription_id, product_name=o.product_name, seat_type=o.seat_type,
        period_start=o.period_start, period_end=o.period_end,
        amount_charged=money(o.amount_charged, c), balance_after=money(o.balance_after, c),
        payment_brand=o.payment_brand, payment_last4=o.payment_last4, placed_at=utc(o.placed_at),
        placed_by=o.placed_by, locale=o.locale)


def seat_user(user: m.AccountUser, assigned: bool) -> read.SeatUser:
    return read.SeatUser(id=user.id, name=user.name, email=user.email, assigned=assigned)


def get_contact(session: Session, contact_id) -> read.Contact | None:
    """The contact (with its account's corporate flag and advisor), or None."""
    try:
        contact, account = load_contact(session, contact_id)
    except NotFound:
        return None
    return contact_read(contact, account)


def list_billing_contacts(session: Session, account_id) -> list[read.ContactCard]:
    """The account's billing contacts: who a non-billing contact should ask to change seats."""
    contacts = session.scalars(select(m.Contact).where(m.Contact.account_id == int_id(account_id),
                                                       m.Contact.role == "billing_contact")
                               .order_by(m.Contact.name)).all()
    return [read.ContactCard(name=c.name, email=c.email) for c in contacts]


def get_account(session: Session, account_id) -> read.Account:
    row = session.execute(select(m.Account, m.PaymentMethod)
                          .outerjoin(m.PaymentMethod, m.PaymentMethod.account_id == m.Account.id)
                          .where(m.Account.id == int_id(account_id))).first()
    if row is None:
        raise NotFound()
    account, pm = row
    eu = vat.in_eu(account.country)
    return read.Account(
        id=account.id, name=account.name, country=account.country, currency=account.currency,
        locale=account.locale, corporate=account.corporate, advisor=advisor_read(account),
        vat_number=account.vat_number, balance=money(account.balance, account.currency),
        payment_method=payment_method_read(pm), in_eu=eu, vat_number_offered=eu,
        timezone=account.timezone)


def subscriptions_query(account_id: int):
    assigned = (select(m.SeatAssignment.subscription_id, func.count().label("n"))
                .group_by(m.SeatAssignment.subscription_id).subquery())
    return (select(m.Subscription, m.Product, func.coalesce(assigned.c.n, 0))
            .join(m.Product, m.Subscription.product_id == m.Product.id)
            .outerjoin(assigned, assigned.c.subscription_id == m.Subscription.id)
            .where(m.Subscription.account_id == account_id)
            .order_by(m.Subscription.id))


def list_subscriptions(session: Session, account_id) -> list[read.Subscription]:
    """The account's subscriptions with seats used and free (one query)."""
    rows = session.execute(subscriptions_query(int_id(account_id))).all()
    return [subscription_read(sub, product, n) for sub, product, n in rows]


def get_subscription(session: Session, account_id, subscription_id) -> read.Subscription:
    rows = session.execute(subscriptions_query(int_id(account_id))
                           .where(m.Subscription.id == int_id(subscription_id))).all()
    if not rows:
        raise NotFound()
    sub, product, n = rows[0]
    return subscription_read(sub, product, n)


def find_subscription_by_product(session: Session, account_id, product_code: str) -> read.Subscription | None:
    """The account's subscription to this product (for prefilled links), or None."""
    rows = session.execute(subscriptions_query(int_id(account_id))
                           .where(m.Product.code == (product_code or "").strip().lower())).all()
    if not rows:
        return None
    sub, product, n = rows[0]
    return subscription_read(sub, product, n)


def list_orders(session: Session, account_id, *, limit: int | None = None, offset: int = 0) -> list[read.Order]:
    """The account's orders, newest first, in one query (a page of them with limit and offset)."""
    orders = session.scalars(select(m.Order).where(m.Order.account_id == int_id(account_id))
                             .order_by(m.Order.id.desc()).limit(limit).offset(offset)).all()
    return [order_read(o) for o in orders]


def count_orders(session: Session, account_id) -> int:
    """How many orders the account has placed."""
    return session.scalar(select(func.count()).select_from(m.Order).where(m.Order.account_id == int_id(account_id)))


def find_order(session: Session, account_id, *, order_id=None, quote_id=None) -> read.Order | None:
    """One of the account's orders, by its id or by the quote it was placed from (one query)."""
    query = select(m.Order).where(m.Order.account_id == int_id(account_id))
    if order_id is not None:
        query = query.where(m.Order.id == int_id(order_id))
    elif quote_id is not None:
        query = query.where(m.Order.quote_id == str(quote_id))
    else:
        return None
    order = session.scalars(query).first()
    return order_read(order) if order is not None else None


def list_audit_events(session: Session, account_id, limit: int = 50) -> list[read.AuditEvent]:
    """The account's latest billing changes, newest first."""
    events = session.scalars(select(m.AuditEvent).where(m.AuditEvent.account_id == int_id(account_id))
                             .order_by(m.AuditEvent.id.desc()).limit(max(1, min(int(limit), 1000)))).all()
    return [read.AuditEvent(at=utc(e.at), actor_email=e.actor_email, action=e.action,
                            details=dict(e.details or {}), ip=e.ip) for e in events]
