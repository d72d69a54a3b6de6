"""What the billing operations share: ids, money rounding, loading a contact, the lock order, the audit trail."""
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import pricing
from helpcenter.billing.errors import NotAllowed, NotFound


DEFAULT_SELLER_COUNTRY = "IE"


def utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def money(value: Decimal, currency: str) -> Decimal:
    return pricing.round_money(Decimal(value), currency)


def rate(value: Decimal) -> Decimal:
    return Decimal(value).normalize() if value else Decimal("0")


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def int_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < number < 2 ** 31:
        raise NotFound()
    return number


def load_contact(session: Session, contact_id) -> tuple[m.Contact, m.Account]:
    row = session.execute(select(m.Contact, m.Account).join(m.Account, m.Contact.account_id == m.Account.id)
                          .where(m.Contact.id == int_id(contact_id))).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def require_billing_contact(contact: m.Contact, account: m.Account) -> None:
    if account.corporate:
        raise NotAllowed("corporate_account")
    if contact.role != "billing_contact":
        raise NotAllowed("not_billing_contact")


def audit(session: Session, clock, contact: m.Contact, action: str, details: dict, ip: str | None) -> None:
    session.add(m.AuditEvent(account_id=contact.account_id, contact_id=contact.id, actor_email=contact.email,
                             action=action, details=details, ip=(ip or None) and str(ip)[:45], at=clock.now()))


def assigned_count(session: Session, subscription_id: int) -> int:
    return session.scalar(select(func.count()).select_from(m.SeatAssignment)
                          .where(m.SeatAssignment.subscription_id == subscription_id)) or 0


def lock_account(session: Session, account_id: int) -> m.Account:
    """Lock the account for this transaction: the first lock of every billing operation.

    One lock order everywhere (account, then subscription, then the rest), taken at the
    start, is what keeps concurrent operations of one account from deadlocking on
    PostgreSQL (SELECT ... FOR UPDATE). SQLite has one writer at a time: a no-op UPDATE
    takes the database's write lock before anything is read.
    """
    if is_postgresql(session):
        stmt = select(m.Account).where(m.Account.id == account_id).with_for_update()
    else:  # the no-op UPDATE returns the row: one statement
        stmt = (update(m.Account).where(m.Account.id == account_id).values(balance=m.Account.balance)
                .returning(m.Account))
    account = session.scalar(stmt, execution_options={"populate_existing": True})
    if account is None:
        raise NotFound()
    return account


def _lock_subscription_row(session: Session, account_id: int, subscription_id: int):
    """The subscription locked (after its account) with its count of assigned seats, in one statement."""
    assigned = (select(func.count()).select_from(m.SeatAssignment)
                .where(m.SeatAssignment.subscription_id == m.Subscription.id).scalar_subquery())
    stmt = (select(m.Subscription, assigned).where(m.Subscription.id == subscription_id,
                                                   m.Subscription.account_id == account_id)
            .execution_options(populate_existing=True))
    if is_postgresql(session):
        stmt = stmt.with_for_update(of=m.Subscription)
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound()
    return row[0], row[1] or 0


def lock_account_and_subscription(session: Session, account_id: int, subscription_id: int):
    """(account, subscription), locked in that order; NotFound unless the subscription is the account's."""
    account = lock_account(session, account_id)
    sub, _assigned = _lock_subscription_row(session, account_id, subscription_id)
    return account, sub


def lock_subscription(session: Session, subscription_id: int, account_id: int):
    """Lock the account, then the subscription; return (sub, product, account, seats assigned)."""
    account = lock_account(session, account_id)
    sub, assigned = _lock_subscription_row(session, account_id, subscription_id)
    product = session.get(m.Product, sub.product_id)
    return sub, product, account, assigned


def account_payment_method(session: Session, account_id: int) -> m.PaymentMethod | None:
    return session.scalar(select(m.PaymentMethod).where(m.PaymentMethod.account_id == account_id))


class RealClock:
    """Seat assignments only need the time of day, which is never pinned."""

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)
