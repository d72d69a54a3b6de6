"""Billing tables (SQLAlchemy 2). Money is NUMERIC(18, 4) holding amounts already rounded
to the currency's minor unit; times are UTC; dates are calendar days."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer,
                        Numeric, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpcenter.db import Base

Money = Numeric(18, 4)
Rate = Numeric(6, 4)
UtcDateTime = DateTime(timezone=True)

ROLES = ("billing_contact", "admin")
SEAT_TYPES = ("organizer", "agent", "expert")
TERMS = ("month", "year")


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # IANA zone (Europe/Paris): the account's times of day (orders, quote expiry) are shown in it.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    corporate: Mapped[bool] = mapped_column(Boolean, default=False)
    advisor_name: Mapped[str | None] = mapped_column(String(200))
    advisor_email: Mapped[str | None] = mapped_column(String(254))
    advisor_phone: Mapped[str | None] = mapped_column(String(50))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    # Positive when the vendor owes the customer credit.
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    payment_method: Mapped["PaymentMethod | None"] = relationship(back_populates="account", uselist=False)


class Contact(Base):
    """Someone who signs in to the billing centre for an account."""

    __tablename__ = "contacts"
    __table_args__ = (CheckConstraint("role IN ('billing_contact', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    # Bumped at sign-out: a session made with another generation is revoked (helpcenter/auth).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    account: Mapped[Account] = relationship()


class SignInFailure(Base):
    """One failed sign-in, kept for the throttle window."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))

    __table_args__ = (Index("ix_sign_in_failures_email_at", "email", "at"),)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("seat_type IN ('organizer', 'agent', 'expert')", name="seat_type"),
        CheckConstraint("term IN ('month', 'year')", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    seat_type: Mapped[str] = mapped_column(String(20))
    term: Mapped[str] = mapped_column(String(10))


class ProductPrice(Base):
    """Price of one seat for one term, in one currency."""

    __tablename__ = "product_prices"
    __table_args__ = (UniqueConstraint("product_id", "currency"),
                      CheckConstraint("unit_price >= 0", name="unit_price"))

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal] = mapped_column(Money)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("seats >= 0", name="seats"),
        CheckConstraint("period_end > period_start", name="period"),
        CheckConstraint("term IN ('month', 'year')", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    seats: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    term: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    # Optimistic locking: every UPDATE checks and bumps it; quotes remember it.
    version: Mapped[int] = mapped_column(Integer, default=1)

    product: Mapped[Product] = relationship()
    account: Mapped[Account] = relationship()

    __mapper_args__ = {"version_id_col": version}


class AccountUser(Base):
    """A person of the customer's organisation who may hold product seats."""

    __tablename__ = "account_users"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SeatAssignment(Base):
    __tablename__ = "seat_assignments"
    __table_args__ = (UniqueConstraint("subscription_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("account_users.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentMethod(Base):
    """The account's card as the gateway tokenized it: never the full number, never the CVC."""

    __tablename__ = "payment_methods"
    __table_args__ = (CheckConstraint("length(last4) = 4", name="last4"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    brand: Mapped[str] = mapped_column(String(30))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    gateway_token: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    account: Mapped[Account] = relationship(back_populates="payment_method")


class SeatChangeFigures:
    """The figures of a seat change, written once: a quote holds them, its order copies them."""

    seats_before: Mapped[int] = mapped_column(Integer)
    seats_after: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    term: Mapped[str] = mapped_column(String(10))
    credit: Mapped[Decimal] = mapped_column(Money)
    charge: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    tax: Mapped[Decimal] = mapped_column(Money)
    reverse_charge: Mapped[bool] = mapped_column(Boolean)
    vat_number: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(Money)
    balance_applied: Mapped[Decimal] = mapped_column(Money)
    # A negative balance the order pays off (spec section 6), on its own line.
    amount_owed: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")

    FIELDS = ("seats_before", "seats_after", "unit_price", "currency", "term", "credit", "charge", "net",
              "vat_rate", "tax", "reverse_charge", "vat_number", "total", "balance_applied", "amount_owed")

    def figures(self) -> dict:
        """The figures as keyword arguments (to copy a quote's into its order)."""
        return {name: getattr(self, name) for name in self.FIELDS}


class Quote(SeatChangeFigures, Base):
    """A priced seat change, valid for 30 minutes and for one version of the subscription."""

    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # unguessable token
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    subscription_version: Mapped[int] = mapped_column(Integer)
    old_period_start: Mapped[date] = mapped_column(Date)
    old_period_end: Mapped[date] = mapped_column(Date)
    today: Mapped[date] = mapped_column(Date)
    remaining_days: Mapped[int] = mapped_column(Integer)
    period_days: Mapped[int] = mapped_column(Integer)
    new_period_start: Mapped[date] = mapped_column(Date)
    new_period_end: Mapped[date] = mapped_column(Date)
    seller_country: Mapped[str] = mapped_column(String(2))
    balance_before: Mapped[Decimal] = mapped_column(Money)
    due: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)
    needs_payment_step: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    subscription: Mapped[Subscription] = relationship()


class Order(SeatChangeFigures, Base):
    """A placed seat change: a snapshot of its quote, the payment and who placed it."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One order per quote, guaranteed by the database even when two processes race.
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    placed_by: Mapped[str] = mapped_column(String(254))
    product_name: Mapped[str] = mapped_column(String(200))
    seat_type: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount_charged: Mapped[Decimal] = mapped_column(Money)
    balance_after: Mapped[Decimal] = mapped_column(Money)
    payment_brand: Mapped[str | None] = mapped_column(String(30))
    payment_last4: Mapped[str | None] = mapped_column(String(4))
    gateway_charge_id: Mapped[str | None] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locale: Mapped[str] = mapped_column(String(10))

    __table_args__ = (Index("ix_orders_account_id_id", "account_id", "id"),)


class LedgerEntry(Base):
    """A movement of the account balance: the sum of an account's entries is its balance."""

    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("kind IN ('opening', 'order', 'payment')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # "order": minus the order's total (a negative total is a credit); "payment": what the card paid.
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    balance_after: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GatewayCharge(Base):
    """A charge as the sandbox gateway records it: one per idempotency key (a quote paid with one card)."""

    __tablename__ = "gateway_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    token: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EmailMessage(Base):
    """The outbox: rendered messages waiting for (or done with) SMTP delivery."""

    __tablename__ = "email_messages"
    # One confirmation per order, guaranteed by the database.
    __table_args__ = (UniqueConstraint("order_id", "kind"),
                      Index("ix_email_messages_sent_at", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A sender holds the message until then, so that two senders never send it twice.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """Who changed what on an account, when, and from which address."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_account_id_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(50))
    details: Mapped[dict] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
