"""The billing operations the web layer calls.

Every function takes a SQLAlchemy session first; those that depend on the day
take a clock (helpcenter.clock.Clock). Operations that change state commit
themselves, or roll back and raise a BillingError: a refusal never leaves
anything half done. Nothing here knows about Flask or HTTP.
"""
import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import identity, pricing, read, vat
from helpcenter.billing.errors import (CardInvalid, NotAllowed, NotFound, PaymentFailed, QuoteExpired, QuoteStale,
                                       SeatAssignmentRefused, SeatChangeRefused, UserInvalid,
                                       VatNumberInvalid)
from helpcenter.billing.payments import CardToken, PaymentGateway, SandboxGateway, check_card

log = logging.getLogger(__name__)

QUOTE_LIFETIME = timedelta(minutes=30)
NAME_MAX = 100
# Abuse limits (SECURITY.md, "Rate limits"): an account admin chooses who is emailed and
# their name, so the vendor's address must not become a free mass-mailer.
SEAT_EMAIL_WINDOW = timedelta(hours=24)
SEAT_EMAILS_PER_USER = 3  # "you now have a seat" emails to one address per window
SEAT_EMAILS_PER_ACCOUNT = 100  # such emails from one account per window
MAX_USERS_PER_ACCOUNT = 1000  # users an account may hold (the largest demo account has 250)
EMAIL_MAX = 254
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
DEFAULT_SELLER_COUNTRY = "IE"



# --- small helpers ------------------------------------------------------------

def hash_password(password: str, passwords: identity.Passwords | None = None) -> str:
    """An argon2id hash of the password (the production profile unless told otherwise)."""
    return (passwords or identity.PRODUCTION_PASSWORDS).hash(password)


normalize_email = identity.normalize_email


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _money(value: Decimal, currency: str) -> Decimal:
    return pricing.round_money(Decimal(value), currency)


def _rate(value: Decimal) -> Decimal:
    return Decimal(value).normalize() if value else Decimal("0")


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _advisor(account: m.Account) -> read.Advisor | None:
    if not account.advisor_name:
        return None
    return read.Advisor(account.advisor_name, account.advisor_email or "", account.advisor_phone or "")


def _payment_method(pm: m.PaymentMethod | None) -> read.PaymentMethod | None:
    if pm is None:
        return None
    return read.PaymentMethod(pm.brand, pm.last4, pm.exp_month, pm.exp_year)


def _contact_read(contact: m.Contact, account: m.Account) -> read.Contact:
    return read.Contact(
        contact_id=contact.id, account_id=account.id, email=contact.email, name=contact.name,
        role=contact.role, is_billing_contact=contact.role == "billing_contact",
        account_name=account.name, corporate=account.corporate, advisor=_advisor(account),
        locale=account.locale, timezone=account.timezone)


def _subscription_read(sub: m.Subscription, product: m.Product, assigned: int) -> read.Subscription:
    return read.Subscription(
        id=sub.id, product_code=product.code, product_name=product.name, seat_type=product.seat_type,
        seats=sub.seats, assigned=assigned, free=max(sub.seats - assigned, 0),
        unit_price=_money(sub.unit_price, sub.currency), currency=sub.currency, term=sub.term,
        period_start=sub.period_start, period_end=sub.period_end, version=sub.version)


def _quote_notes(q: m.Quote, account_country: str) -> tuple[str, ...]:
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


def _figures(q: m.SeatChangeFigures) -> dict:
    """A stored quote's or order's figures for its read model, money rounded to the currency."""
    c = q.currency
    return dict(
        currency=c, term=q.term, unit_price=_money(q.unit_price, c), seats_before=q.seats_before,
        seats_after=q.seats_after, credit=_money(q.credit, c), charge=_money(q.charge, c), net=_money(q.net, c),
        vat_rate=_rate(q.vat_rate), tax=_money(q.tax, c), reverse_charge=q.reverse_charge,
        vat_number=q.vat_number, total=_money(q.total, c), balance_applied=_money(q.balance_applied, c),
        amount_owed=_money(q.amount_owed or 0, c))


def _quote_read(q: m.Quote, product: m.Product, account: m.Account,
                pm: m.PaymentMethod | None) -> read.Quote:
    c = q.currency
    return read.Quote(
        **_figures(q), id=q.id, subscription_id=q.subscription_id, account_id=q.account_id,
        product_code=product.code, product_name=product.name, seat_type=product.seat_type,
        old_period_start=q.old_period_start, old_period_end=q.old_period_end,
        remaining_days=q.remaining_days, period_days=q.period_days,
        new_period_start=q.new_period_start, new_period_end=q.new_period_end,
        balance_before=_money(q.balance_before, c), due=_money(q.due, c),
        balance_after=_money(q.balance_after, c), needs_payment_step=q.needs_payment_step,
        payment_method=_payment_method(pm), created_at=_utc(q.created_at), expires_at=_utc(q.expires_at),
        subscription_version=q.subscription_version, notes=_quote_notes(q, account.country))


def order_number(order_id: int) -> str:
    return f"HC-{order_id:06d}"


def _order_read(o: m.Order) -> read.Order:
    c = o.currency
    return read.Order(
        **_figures(o), id=o.id, number=order_number(o.id), quote_id=o.quote_id, account_id=o.account_id,
        subscription_id=o.subscription_id, product_name=o.product_name, seat_type=o.seat_type,
        period_start=o.period_start, period_end=o.period_end,
        amount_charged=_money(o.amount_charged, c), balance_after=_money(o.balance_after, c),
        payment_brand=o.payment_brand, payment_last4=o.payment_last4, placed_at=_utc(o.placed_at),
        placed_by=o.placed_by, locale=o.locale)


def _audit(session: Session, clock, contact: m.Contact, action: str, details: dict, ip: str | None) -> None:
    session.add(m.AuditEvent(account_id=contact.account_id, contact_id=contact.id, actor_email=contact.email,
                             action=action, details=details, ip=(ip or None) and str(ip)[:45], at=clock.now()))


def _load_contact(session: Session, contact_id) -> tuple[m.Contact, m.Account]:
    row = session.execute(select(m.Contact, m.Account).join(m.Account, m.Contact.account_id == m.Account.id)
                          .where(m.Contact.id == _int_id(contact_id))).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def _int_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < number < 2 ** 31:
        raise NotFound()
    return number


def _require_billing_contact(contact: m.Contact, account: m.Account) -> None:
    if account.corporate:
        raise NotAllowed("corporate_account")
    if contact.role != "billing_contact":
        raise NotAllowed("not_billing_contact")


def _assigned_count(session: Session, subscription_id: int) -> int:
    return session.scalar(select(func.count()).select_from(m.SeatAssignment)
                          .where(m.SeatAssignment.subscription_id == subscription_id)) or 0


def _lock_account(session: Session, account_id: int) -> m.Account:
    """Lock the account for this transaction: the first lock of every billing operation.

    One lock order everywhere (account, then subscription, then the rest), taken at the
    start, is what keeps concurrent operations of one account from deadlocking on
    PostgreSQL (SELECT ... FOR UPDATE). SQLite has one writer at a time: a no-op UPDATE
    takes the database's write lock before anything is read.
    """
    stmt = select(m.Account).where(m.Account.id == account_id).execution_options(populate_existing=True)
    if _is_postgresql(session):
        stmt = stmt.with_for_update()
    else:
        table = m.Account.__table__
        session.execute(update(table).where(table.c.id == account_id).values(balance=table.c.balance))
    account = session.scalar(stmt)
    if account is None:
        raise NotFound()
    return account


def _lock_account_and_subscription(session: Session, account_id: int, subscription_id: int):
    """(account, subscription), locked in that order; NotFound unless the subscription is the account's."""
    account = _lock_account(session, account_id)
    stmt = (select(m.Subscription).where(m.Subscription.id == subscription_id,
                                         m.Subscription.account_id == account_id)
            .execution_options(populate_existing=True))
    if _is_postgresql(session):
        stmt = stmt.with_for_update()
    sub = session.scalar(stmt)
    if sub is None:
        raise NotFound()
    return account, sub


def _lock_subscription(session: Session, subscription_id: int, account_id: int):
    """Lock the account, then the subscription; return (sub, product, account)."""
    account, sub = _lock_account_and_subscription(session, account_id, subscription_id)
    product = session.get(m.Product, sub.product_id)
    return sub, product, account


# --- sign in ------------------------------------------------------------------
# Passwords, throttling and session revocation live in helpcenter/billing/identity.py.
authenticate = identity.authenticate


def get_contact(session: Session, contact_id) -> read.Contact | None:
    """The contact (with its account's corporate flag and advisor), or None."""
    try:
        contact, account = _load_contact(session, contact_id)
    except NotFound:
        return None
    return _contact_read(contact, account)


def list_billing_contacts(session: Session, account_id) -> list[read.ContactCard]:
    """The account's billing contacts: who a non-billing contact should ask to change seats."""
    contacts = session.scalars(select(m.Contact).where(m.Contact.account_id == _int_id(account_id),
                                                       m.Contact.role == "billing_contact")
                               .order_by(m.Contact.name)).all()
    return [read.ContactCard(name=c.name, email=c.email) for c in contacts]


# --- account, subscriptions, orders, audit -------------------------------------

def get_account(session: Session, account_id) -> read.Account:
    row = session.execute(select(m.Account, m.PaymentMethod)
                          .outerjoin(m.PaymentMethod, m.PaymentMethod.account_id == m.Account.id)
                          .where(m.Account.id == _int_id(account_id))).first()
    if row is None:
        raise NotFound()
    account, pm = row
    eu = vat.in_eu(account.country)
    return read.Account(
        id=account.id, name=account.name, country=account.country, currency=account.currency,
        locale=account.locale, corporate=account.corporate, advisor=_advisor(account),
        vat_number=account.vat_number, balance=_money(account.balance, account.currency),
        payment_method=_payment_method(pm), in_eu=eu, vat_number_offered=eu,
        timezone=account.timezone)


def _subscriptions_query(account_id: int):
    assigned = (select(m.SeatAssignment.subscription_id, func.count().label("n"))
                .group_by(m.SeatAssignment.subscription_id).subquery())
    return (select(m.Subscription, m.Product, func.coalesce(assigned.c.n, 0))
            .join(m.Product, m.Subscription.product_id == m.Product.id)
            .outerjoin(assigned, assigned.c.subscription_id == m.Subscription.id)
            .where(m.Subscription.account_id == account_id)
            .order_by(m.Subscription.id))


def list_subscriptions(session: Session, account_id) -> list[read.Subscription]:
    """The account's subscriptions with seats used and free (one query)."""
    rows = session.execute(_subscriptions_query(_int_id(account_id))).all()
    return [_subscription_read(sub, product, n) for sub, product, n in rows]


def get_subscription(session: Session, account_id, subscription_id) -> read.Subscription:
    rows = session.execute(_subscriptions_query(_int_id(account_id))
                           .where(m.Subscription.id == _int_id(subscription_id))).all()
    if not rows:
        raise NotFound()
    sub, product, n = rows[0]
    return _subscription_read(sub, product, n)


def find_subscription_by_product(session: Session, account_id, product_code: str) -> read.Subscription | None:
    """The account's subscription to this product (for prefilled links), or None."""
    rows = session.execute(_subscriptions_query(_int_id(account_id))
                           .where(m.Product.code == (product_code or "").strip().lower())).all()
    if not rows:
        return None
    sub, product, n = rows[0]
    return _subscription_read(sub, product, n)


def list_orders(session: Session, account_id) -> list[read.Order]:
    """The account's orders, newest first, in one query."""
    orders = session.scalars(select(m.Order).where(m.Order.account_id == _int_id(account_id))
                             .order_by(m.Order.id.desc())).all()
    return [_order_read(o) for o in orders]


def find_order(session: Session, account_id, *, order_id=None, quote_id=None) -> read.Order | None:
    """One of the account's orders, by its id or by the quote it was placed from (one query)."""
    query = select(m.Order).where(m.Order.account_id == _int_id(account_id))
    if order_id is not None:
        query = query.where(m.Order.id == _int_id(order_id))
    elif quote_id is not None:
        query = query.where(m.Order.quote_id == str(quote_id))
    else:
        return None
    order = session.scalars(query).first()
    return _order_read(order) if order is not None else None


def list_audit_events(session: Session, account_id, limit: int = 50) -> list[read.AuditEvent]:
    """The account's latest billing changes, newest first."""
    events = session.scalars(select(m.AuditEvent).where(m.AuditEvent.account_id == _int_id(account_id))
                             .order_by(m.AuditEvent.id.desc()).limit(max(1, min(int(limit), 1000)))).all()
    return [read.AuditEvent(at=_utc(e.at), actor_email=e.actor_email, action=e.action,
                            details=dict(e.details or {}), ip=e.ip) for e in events]


# --- quotes -----------------------------------------------------------------------

def _check_seat_count(new_seats, current: int, assigned: int) -> int:
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


def _priced_now(clock, *, account: m.Account, sub: m.Subscription, seats_after: int, seller_country: str,
                pm: m.PaymentMethod | None, contact: m.Contact | None = None) -> m.Quote:
    """The change priced from the current state with this clock, as an unsaved quote."""
    today = clock.today()
    treatment = vat.vat_treatment(account.country, seller_country, account.vat_number)
    price = pricing.price_seat_change(
        seats_before=sub.seats, seats_after=seats_after, unit_price=Decimal(sub.unit_price),
        currency=sub.currency, term=sub.term, period_start=sub.period_start, period_end_=sub.period_end,
        today=today, vat_rate=treatment.rate, balance=Decimal(account.balance))
    card_usable = pm is not None and not _payment_method(pm).is_expired(today)
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
        balance_before=_money(account.balance, sub.currency), balance_applied=price.balance_applied,
        amount_owed=price.amount_owed, due=price.due, balance_after=price.balance_after,
        needs_payment_step=seats_after > sub.seats or (price.due > 0 and not card_usable),
        created_at=now, expires_at=now + QUOTE_LIFETIME)


def _new_quote(session: Session, clock, *, contact: m.Contact, account: m.Account, sub: m.Subscription,
               seats_after: int, seller_country: str, pm: m.PaymentMethod | None) -> m.Quote:
    """Price the change from the current state and store it as a quote (not committed)."""
    quote = _priced_now(clock, account=account, sub=sub, seats_after=seats_after, seller_country=seller_country,
                        pm=pm, contact=contact)
    session.add(quote)
    return quote


def _account_payment_method(session: Session, account_id: int) -> m.PaymentMethod | None:
    return session.scalar(select(m.PaymentMethod).where(m.PaymentMethod.account_id == account_id))


def quote_seat_change(session: Session, clock, *, contact_id, subscription_id, new_seats,
                      ip: str | None = None, seller_country: str = DEFAULT_SELLER_COUNTRY) -> read.Quote:
    """Validate the new seat count, price the change and store the quote (valid 30 minutes)."""
    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    row = session.execute(
        select(m.Subscription, m.Product, m.PaymentMethod)
        .join(m.Product, m.Subscription.product_id == m.Product.id)
        .outerjoin(m.PaymentMethod, m.PaymentMethod.account_id == m.Subscription.account_id)
        .where(m.Subscription.id == _int_id(subscription_id), m.Subscription.account_id == account.id)).first()
    if row is None:
        raise NotFound()
    sub, product, pm = row
    seats_after = _check_seat_count(new_seats, sub.seats, _assigned_count(session, sub.id))
    try:
        quote = _new_quote(session, clock, contact=contact, account=account, sub=sub, seats_after=seats_after,
                           seller_country=seller_country, pm=pm)
        result = _quote_read(quote, product, account, pm)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _load_quote(session: Session, account: m.Account, quote_id) -> tuple[m.Quote, m.Product]:
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
    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    quote, product = _load_quote(session, account, quote_id)
    return _quote_read(quote, product, account, _account_payment_method(session, account.id))


def update_payment_details(session: Session, clock, *, contact_id, quote_id: str, use_saved_card: bool,
                           card: read.CardDetails | None, vat_number: str | None, ip: str | None = None,
                           seller_country: str = DEFAULT_SELLER_COUNTRY,
                           gateway: PaymentGateway | None = None) -> read.PaymentChoice:
    """Step 5 of a seat change: check a new card with the gateway (a token, not yet the card on
    file) and record the VAT number.

    Everything is validated before anything is stored. `vat_number` None leaves the
    account's number as it is, "" clears it. The quote in the answer is new when the figures
    change (the VAT number changed), else the same. A new card becomes the card on file only
    when `place_order` charges it successfully.
    """
    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    quote, product = _load_quote(session, account, quote_id)
    now, today = clock.now(), clock.today()
    if now >= _utc(quote.expires_at):
        raise QuoteExpired()
    gateway = gateway or SandboxGateway(session)
    pm = _account_payment_method(session, account.id)

    new_vat, vat_error = account.vat_number, None
    if vat_number is not None:
        try:
            new_vat = vat.validate_vat_number(vat_number, account.country) if vat_number.strip() else None
        except VatNumberInvalid as error:
            vat_error = error
    if not use_saved_card:
        card = card or read.CardDetails("", "", "", "", "")
        try:
            check_card(card, today)
        except CardInvalid as error:
            error.vat_error = vat_error.code if vat_error is not None else None
            raise
    if vat_error is not None:
        raise vat_error
    if use_saved_card and quote.due > 0:
        if pm is None:
            raise PaymentFailed("no_payment_method")
        if _payment_method(pm).is_expired(today):
            raise PaymentFailed("card_expired")
    token = None if use_saved_card else gateway.tokenize(card, today)

    try:
        result_quote = quote
        if new_vat != account.vat_number:
            account, sub = _lock_account_and_subscription(session, account.id, quote.subscription_id)
            _audit(session, clock, contact, "vat_number_changed",
                   {"old": account.vat_number, "new": new_vat}, ip)
            account.vat_number = new_vat
            seats_after = _check_seat_count(quote.seats_after, sub.seats, _assigned_count(session, sub.id))
            result_quote = _new_quote(session, clock, contact=contact, account=account, sub=sub,
                                      seats_after=seats_after, seller_country=seller_country, pm=pm)
        result = read.PaymentChoice(quote=_quote_read(result_quote, product, account, pm), card=token)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def verify_card(session: Session, clock, *, contact_id, card: read.CardDetails,
                gateway: PaymentGateway | None = None) -> CardToken:
    """The payment-details workflow: a new card checked with the gateway (a zero-amount
    verification); CardInvalid or PaymentFailed, and nothing is stored either way."""
    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    gateway = gateway or SandboxGateway(session)
    token = gateway.tokenize(card, clock.today())
    gateway.verify(token=token.token)
    return token


def check_vat_number(session: Session, *, contact_id, vat_number: str) -> str | None:
    """The account's VAT number as it would be recorded (None to clear it), or VatNumberInvalid."""
    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    return vat.validate_vat_number(vat_number, account.country) if (vat_number or "").strip() else None


def _store_card(session: Session, clock, contact: m.Contact, account: m.Account, pm: m.PaymentMethod | None,
                token: CardToken, ip: str | None) -> m.PaymentMethod:
    """The card becomes the card on file (after a successful charge or verification)."""
    if pm is None:
        pm = m.PaymentMethod(account_id=account.id)
        session.add(pm)
    pm.brand, pm.last4 = token.brand, token.last4
    pm.exp_month, pm.exp_year = token.exp_month, token.exp_year
    pm.gateway_token, pm.updated_at = token.token, clock.now()
    _audit(session, clock, contact, "payment_method_changed",
           {"brand": token.brand, "last4": token.last4, "expiry": f"{token.exp_month:02d}/{token.exp_year}"}, ip)
    return pm


def save_payment_details(session: Session, clock, *, contact_id, card: CardToken | None,
                         vat_number: str | None, locale: str, account_url: str, ip: str | None = None,
                         mail_settings=None) -> read.PaymentDetailsChange:
    """The payment-details workflow's final action: a verified card becomes the card on file
    and/or the VAT number is recorded (None: left as it is, "": cleared); an email in the
    account's language confirms it. Nothing to change is not an error: nothing is sent."""
    from helpcenter.billing import outbox

    settings = mail_settings or outbox.MailSettings()
    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    new_vat = account.vat_number
    if vat_number is not None:
        new_vat = vat.validate_vat_number(vat_number, account.country) if vat_number.strip() else None
    message_id = None
    try:
        account = _lock_account(session, account.id)
        pm = _account_payment_method(session, account.id)
        if card is not None:
            pm = _store_card(session, clock, contact, account, pm, card, ip)
        vat_changed = new_vat != account.vat_number
        if vat_changed:
            _audit(session, clock, contact, "vat_number_changed", {"old": account.vat_number, "new": new_vat}, ip)
            account.vat_number = new_vat
        change = read.PaymentDetailsChange(
            payment_method=_payment_method(pm), card_changed=card is not None,
            vat_number=account.vat_number, vat_changed=vat_changed, email=contact.email)
        if change.card_changed or change.vat_changed:
            message = outbox.queue_payment_details_changed(
                session, change, account_id=account.id, account_name=account.name, locale=account.locale,
                account_url=account_url, translations_dir=settings.translations_dir, now=clock.now())
            message_id = message.id
        session.commit()
    except Exception:
        session.rollback()
        raise
    if message_id is not None and mail_settings is not None and mail_settings.enabled:
        try:
            outbox.deliver_message(session, mail_settings, message_id)
        except Exception:  # the change is committed: a delivery problem must not undo it
            session.rollback()
            log.exception("payment details of account %s changed; the email stays in the outbox", account.id)
    return change


# --- orders -----------------------------------------------------------------------

def payment_attempt_key(quote_id: str, token: str) -> str:
    """The idempotency key of one payment attempt: this quote with this card.

    A provider answers a key it has seen with its first answer, errors included: a retry
    with another card after a refusal must be a new attempt, a double submit the same one.
    """
    return f"{quote_id}:{hashlib.sha256(token.encode()).hexdigest()[:24]}"


def _card_shown(card: CardToken | None, pm: m.PaymentMethod | None) -> tuple | None:
    """The card the customer was told would be charged."""
    if card is not None:
        return (card.brand, card.last4)
    return (pm.brand, pm.last4) if pm is not None else None


def _figures_digest(q, card: tuple | None) -> str:
    """A short fingerprint of every figure the customer agrees to (stored or fresh quote, read model)."""
    c = q.currency
    money = [_money(getattr(q, name), c) for name in
             ("unit_price", "credit", "charge", "net", "tax", "total", "balance_applied", "amount_owed",
              "due")]
    parts = [q.seats_before, q.seats_after, *money, _rate(q.vat_rate), bool(q.reverse_charge),
             q.new_period_start.isoformat(), q.new_period_end.isoformat(),
             card if _money(q.due, c) > 0 else None]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def quote_figures(quote: read.Quote, card: CardToken | None = None) -> str:
    """What a confirm page shows of a quote, as place_order(shown_figures=...) compares it."""
    shown = (card.brand, card.last4) if card is not None else (
        (quote.payment_method.brand, quote.payment_method.last4) if quote.payment_method else None)
    return _figures_digest(quote, shown)


def _existing_order(session: Session, quote_id: str) -> m.Order | None:
    return session.scalar(select(m.Order).where(m.Order.quote_id == quote_id)
                          .execution_options(populate_existing=True))


def place_order(session: Session, clock, *, contact_id, quote_id: str, locale: str, assign_seats_url: str,
                ip: str | None = None, gateway: PaymentGateway | None = None, mail_settings=None,
                card: CardToken | None = None, shown_figures: str | None = None) -> read.Order:
    """Place the quoted change in one transaction; the same quote always gives the same order.

    The change is priced again with this call's clock and the account as it is now; when
    the figures differ from `shown_figures` (quote_figures() of what the customer agreed to;
    by default the stored quote's), QuoteStale carries a new quote: this is the one
    definition of a stale quote. `card` (a token from update_payment_details) is charged
    instead of the card on file and becomes the card on file only if the charge succeeds.
    QuoteExpired, QuoteStale, SeatChangeRefused (seats were assigned meanwhile),
    PaymentFailed: then nothing has changed and nothing was charged or sent.
    With `mail_settings` (outbox.MailSettings) the confirmation is also sent right after
    the commit; a failed send stays in the outbox and the order stands.
    """
    from helpcenter.billing import outbox

    contact, account = _load_contact(session, contact_id)
    _require_billing_contact(contact, account)
    quote, product = _load_quote(session, account, quote_id)
    qid = quote.id
    done = _existing_order(session, qid)
    if done is not None:
        return _order_read(done)
    gateway = gateway or SandboxGateway(session)
    settings = mail_settings or outbox.MailSettings()
    try:
        sub, product, account = _lock_subscription(session, quote.subscription_id, account.id)
        done = _existing_order(session, quote.id)  # placed by a concurrent request meanwhile
        if done is not None:
            result = _order_read(done)
            session.commit()
            return result
        now, today = clock.now(), clock.today()
        if now >= _utc(quote.expires_at):
            raise QuoteExpired()
        pm = _account_payment_method(session, account.id)
        fresh = _priced_now(clock, account=account, sub=sub, seats_after=quote.seats_after,
                            seller_country=quote.seller_country, pm=pm)
        agreed = shown_figures if shown_figures is not None else _figures_digest(quote, _card_shown(card, pm))
        if _figures_digest(fresh, _card_shown(card, pm)) != agreed:
            raise QuoteStale(_replacement_quote(session, clock, contact, account, sub, product, quote, pm),
                             subscription_changed=sub.version != quote.subscription_version)
        assigned = _assigned_count(session, sub.id)
        if quote.seats_after < assigned:
            raise SeatChangeRefused("below_assigned", minimum=pricing.MIN_SEATS, maximum=pricing.MAX_SEATS,
                                    current=sub.seats, assigned=assigned,
                                    to_unassign=assigned - quote.seats_after)
        due = _money(quote.due, quote.currency)
        charge = None
        if due > 0:
            if card is None and pm is None:
                raise PaymentFailed("no_payment_method")
            if card is None and _payment_method(pm).is_expired(today):
                raise PaymentFailed("card_expired")
            token = card.token if card is not None else pm.gateway_token
            charge = gateway.charge(token=token, amount=due, currency=quote.currency,
                                    idempotency_key=payment_attempt_key(quote.id, token),
                                    description=f"{product.name}: {quote.seats_before} -> {quote.seats_after}")
        elif card is not None:
            gateway.verify(token=card.token)
        if card is not None:
            pm = _store_card(session, clock, contact, account, pm, card, ip)
        order = m.Order(
            **quote.figures(), quote_id=quote.id, account_id=account.id, subscription_id=sub.id,
            contact_id=contact.id, placed_by=contact.email, product_name=product.name,
            seat_type=product.seat_type, period_start=quote.new_period_start, period_end=quote.new_period_end,
            amount_charged=due, balance_after=quote.balance_after,
            payment_brand=pm.brand if charge and pm else None, payment_last4=pm.last4 if charge and pm else None,
            gateway_charge_id=charge.charge_id if charge else None, placed_at=now,
            locale=outbox.email_locale(locale))
        session.add(order)
        sub.seats = quote.seats_after
        sub.period_start, sub.period_end = quote.new_period_start, quote.new_period_end
        session.flush()  # the order's id, and the subscription's versioned UPDATE
        balance = _money(account.balance, account.currency)
        after_order = balance - _money(quote.total, quote.currency)
        entries = [m.LedgerEntry(account_id=account.id, order_id=order.id, kind="order",
                                 amount=-_money(quote.total, quote.currency), currency=quote.currency,
                                 balance_after=after_order, created_at=now)]
        if due > 0:
            entries.append(m.LedgerEntry(account_id=account.id, order_id=order.id, kind="payment", amount=due,
                                         currency=quote.currency, balance_after=after_order + due,
                                         created_at=now))
        session.add_all(entries)
        account.balance = entries[-1].balance_after
        result = _order_read(order)
        _audit(session, clock, contact, "seats_changed", {
            "order": result.number, "subscription": sub.id, "product": product.code,
            "seats_before": quote.seats_before, "seats_after": quote.seats_after,
            "total": str(result.total), "amount_charged": str(result.amount_charged),
            "balance_after": str(result.balance_after), "currency": quote.currency}, ip)
        message = outbox.queue_order_confirmation(
            session, result, to_address=contact.email, account_id=account.id, account_name=account.name,
            assign_seats_url=assign_seats_url, translations_dir=settings.translations_dir, now=now)
        session.commit()
    except QuoteStale as stale:
        # The replacement quote is kept; nothing else of this attempt is.
        session.commit()
        raise stale
    except IntegrityError:
        # A concurrent request placed this quote first: the database kept one order.
        session.rollback()
        done = _existing_order(session, qid)
        if done is None:
            raise
        return _order_read(done)
    except Exception:
        session.rollback()
        raise
    if mail_settings is not None and mail_settings.enabled:
        try:
            outbox.deliver_message(session, mail_settings, message.id)
        except Exception:  # the order is committed: a delivery problem must not undo its success
            session.rollback()
            log.exception("order %s placed; its confirmation stays in the outbox", result.number)
    return result


def _replacement_quote(session, clock, contact, account, sub, product, quote, pm) -> read.Quote | None:
    """A fresh quote for the same change from the subscription as it is now, or None when
    that change is no longer possible."""
    try:
        seats_after = _check_seat_count(quote.seats_after, sub.seats, _assigned_count(session, sub.id))
    except SeatChangeRefused:
        return None
    fresh = _new_quote(session, clock, contact=contact, account=account, sub=sub, seats_after=seats_after,
                       seller_country=quote.seller_country, pm=pm)
    session.flush()
    return _quote_read(fresh, product, account, pm)


# --- users and seat assignments -------------------------------------------------

def _seat_user(user: m.AccountUser, assigned: bool) -> read.SeatUser:
    return read.SeatUser(id=user.id, name=user.name, email=user.email, assigned=assigned)


def list_seat_users(session: Session, *, contact_id, subscription_id) -> list[read.SeatUser]:
    """The account's users, each with whether it holds a seat of this subscription."""
    contact, account = _load_contact(session, contact_id)
    sub_id = _int_id(subscription_id)
    exists = session.scalar(select(m.Subscription.id).where(m.Subscription.id == sub_id,
                                                            m.Subscription.account_id == account.id))
    if exists is None:
        raise NotFound()
    rows = session.execute(
        select(m.AccountUser, m.SeatAssignment.id)
        .outerjoin(m.SeatAssignment, and_(m.SeatAssignment.user_id == m.AccountUser.id,
                                          m.SeatAssignment.subscription_id == sub_id))
        .where(m.AccountUser.account_id == account.id)
        .order_by(func.lower(m.AccountUser.name), m.AccountUser.id)).all()
    return [_seat_user(user, assignment is not None) for user, assignment in rows]


def _account_user(session: Session, account_id: int, user_id) -> m.AccountUser:
    user = session.scalar(select(m.AccountUser).where(m.AccountUser.id == _int_id(user_id),
                                                      m.AccountUser.account_id == account_id))
    if user is None:
        raise NotFound()
    return user


def assign_seat(session: Session, clock=None, *, contact_id, subscription_id, user_id,
                ip: str | None = None, notify: bool = True, sign_in_url: str | None = None,
                mail_settings=None) -> bool:
    """Give the user a seat of the subscription (never more assigned than seats); True when
    the user is emailed about it.

    With `notify` (the default) an email in the account's language tells the user, in the
    same transaction as the assignment (the outbox); `sign_in_url` adds a link to it. With
    `mail_settings` (outbox.MailSettings) it is also sent right after the commit; a failed
    send stays in the outbox and the assignment stands. A refusal queues nothing. Past the
    email limits (SEAT_EMAILS_PER_USER, SEAT_EMAILS_PER_ACCOUNT) the seat is assigned
    without an email, and False says so.
    """
    from helpcenter.billing import outbox

    clock = clock or _RealClock()
    notify = bool(notify)
    settings = mail_settings or outbox.MailSettings()
    contact, account = _load_contact(session, contact_id)
    message = None
    try:
        sub, product, account = _lock_subscription(session, _int_id(subscription_id), account.id)
        user = _account_user(session, account.id, user_id)
        taken = session.scalar(select(m.SeatAssignment.id).where(m.SeatAssignment.subscription_id == sub.id,
                                                                 m.SeatAssignment.user_id == user.id))
        if taken is not None:
            raise SeatAssignmentRefused("already_assigned")
        assigned = _assigned_count(session, sub.id)
        if assigned >= sub.seats:
            raise SeatAssignmentRefused("no_free_seat", seats=sub.seats, assigned=assigned)
        now = clock.now()
        session.add(m.SeatAssignment(subscription_id=sub.id, user_id=user.id, assigned_at=now))
        throttled = notify and not _seat_email_allowed(session, account.id, user.email, now)
        notify = notify and not throttled
        details = {"subscription": sub.id, "product": product.code, "user": user.email, "notify": notify}
        if throttled:
            details["email_limit_reached"] = True
        _audit(session, clock, contact, "seat_assigned", details, ip)
        session.flush()  # a concurrent twin assignment fails here, before anything is queued
        if notify:
            message = outbox.queue_seat_assignment(
                session, account_id=account.id, locale=account.locale, to_address=user.email,
                product_name=product.name, account_name=account.name,
                sign_in_url=sign_in_url, translations_dir=settings.translations_dir, now=now)
        message_id = message.id if message is not None else None
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SeatAssignmentRefused("already_assigned") from None
    except Exception:
        session.rollback()
        raise
    if message_id is not None and mail_settings is not None and mail_settings.enabled:
        try:
            outbox.deliver_message(session, mail_settings, message_id)
        except Exception:  # the seat is assigned: a delivery problem must not undo that
            session.rollback()
            log.exception("seat assigned to user %s; the email stays in the outbox", user_id)
    return notify


def _seat_email_allowed(session: Session, account_id: int, address: str, now: datetime) -> bool:
    """Below both limits of "you now have a seat" emails: per recipient and per account.

    The caller holds the account's lock (_lock_subscription), so two assignments at the same
    moment count each other."""
    since = now - SEAT_EMAIL_WINDOW
    recent = select(func.count()).select_from(m.EmailMessage).where(
        m.EmailMessage.kind == "seat_assigned", m.EmailMessage.created_at > since)
    to_user = session.scalar(recent.where(m.EmailMessage.to_address == address)) or 0
    from_account = session.scalar(recent.where(m.EmailMessage.account_id == account_id)) or 0
    return to_user < SEAT_EMAILS_PER_USER and from_account < SEAT_EMAILS_PER_ACCOUNT


def unassign_seat(session: Session, clock=None, *, contact_id, subscription_id, user_id,
                  ip: str | None = None) -> None:
    """Take the subscription's seat back from the user (the seat stays bought, now free)."""
    clock = clock or _RealClock()
    contact, account = _load_contact(session, contact_id)
    try:
        sub, product, account = _lock_subscription(session, _int_id(subscription_id), account.id)
        user = _account_user(session, account.id, user_id)
        gone = session.execute(delete(m.SeatAssignment).where(m.SeatAssignment.subscription_id == sub.id,
                                                              m.SeatAssignment.user_id == user.id))
        if gone.rowcount != 1:
            raise SeatAssignmentRefused("not_assigned")
        _audit(session, clock, contact, "seat_unassigned",
               {"subscription": sub.id, "product": product.code, "user": user.email}, ip)
        session.commit()
    except Exception:
        session.rollback()
        raise


def add_user(session: Session, clock=None, *, contact_id, name: str, email: str,
             ip: str | None = None) -> read.SeatUser:
    """Add a person to the account (without a seat yet)."""
    clock = clock or _RealClock()
    contact, account = _load_contact(session, contact_id)
    clean_name = " ".join((name or "").split())
    address = normalize_email(email)
    errors = {}
    if not clean_name:
        errors["name"] = "required"
    elif len(clean_name) > NAME_MAX:
        errors["name"] = "too_long"
    if len(address) > EMAIL_MAX or not EMAIL_RE.match(address) or not address.isprintable():
        errors["email"] = "invalid"
    elif session.scalar(select(m.AccountUser.id).where(m.AccountUser.account_id == account.id,
                                                       m.AccountUser.email == address)) is not None:
        errors["email"] = "taken"
    if not errors and session.scalar(select(func.count()).select_from(m.AccountUser)
                                     .where(m.AccountUser.account_id == account.id)) >= MAX_USERS_PER_ACCOUNT:
        errors["email"] = "too_many_users"
    if errors:
        raise UserInvalid(errors)
    user = m.AccountUser(account_id=account.id, name=clean_name, email=address, created_at=clock.now())
    session.add(user)
    try:
        session.flush()
        _audit(session, clock, contact, "user_added", {"user": address, "name": clean_name}, ip)
        result = _seat_user(user, False)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise UserInvalid({"email": "taken"}) from None
    except Exception:
        session.rollback()
        raise
    return result


class _RealClock:
    """Seat assignments only need the time of day, which is never pinned."""

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)
