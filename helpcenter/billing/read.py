"""Read models: frozen snapshots the service hands to the web layer (never ORM objects)."""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Advisor:
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class ContactCard:
    """Who to ask: a contact's name and email address."""
    name: str
    email: str


@dataclass(frozen=True)
class PaymentMethod:
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    def is_expired(self, today: date) -> bool:
        """A card is valid until the end of its expiry month."""
        return (self.exp_year, self.exp_month) < (today.year, today.month)


@dataclass(frozen=True)
class Contact:
    contact_id: int
    account_id: int
    email: str
    name: str
    role: str  # "billing_contact" | "admin"
    is_billing_contact: bool
    account_name: str
    corporate: bool
    advisor: Advisor | None
    locale: str
    timezone: str = "UTC"  # IANA name: times of day are shown in it


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    country: str
    currency: str
    locale: str
    corporate: bool
    advisor: Advisor | None
    vat_number: str | None
    balance: Decimal
    payment_method: PaymentMethod | None
    in_eu: bool
    vat_number_offered: bool
    timezone: str = "UTC"  # IANA name: times of day are shown in it


@dataclass(frozen=True)
class Subscription:
    id: int
    product_code: str
    product_name: str
    seat_type: str  # "organizer" | "agent" | "expert"
    seats: int
    assigned: int
    free: int
    unit_price: Decimal
    currency: str
    term: str  # "month" | "year"
    period_start: date
    period_end: date
    version: int


@dataclass(frozen=True)
class SeatChangeFigures:
    """The figures of a seat change as every page and email shows them: one block, written once."""

    currency: str
    term: str
    unit_price: Decimal
    seats_before: int
    seats_after: int
    credit: Decimal
    charge: Decimal
    net: Decimal
    vat_rate: Decimal
    tax: Decimal
    reverse_charge: bool
    vat_number: str | None
    total: Decimal
    balance_applied: Decimal
    amount_owed: Decimal  # a negative balance paid off by this order, on its own line


@dataclass(frozen=True)
class Quote(SeatChangeFigures):
    id: str
    subscription_id: int
    account_id: int
    product_code: str
    product_name: str
    seat_type: str
    old_period_start: date
    old_period_end: date
    remaining_days: int
    period_days: int
    new_period_start: date
    new_period_end: date
    balance_before: Decimal
    due: Decimal
    balance_after: Decimal
    needs_payment_step: bool
    payment_method: PaymentMethod | None
    created_at: datetime
    expires_at: datetime
    subscription_version: int
    notes: tuple[str, ...] = field(default=())

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Order(SeatChangeFigures):
    id: int
    number: str
    quote_id: str
    account_id: int
    subscription_id: int
    product_name: str
    seat_type: str
    period_start: date
    period_end: date
    amount_charged: Decimal
    balance_after: Decimal
    payment_brand: str | None
    payment_last4: str | None
    placed_at: datetime
    placed_by: str
    locale: str


@dataclass(frozen=True)
class SeatUser:
    id: int
    name: str
    email: str
    assigned: bool


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor_email: str
    action: str
    details: dict
    ip: str | None


@dataclass(frozen=True)
class CardDetails:
    """A card as typed in the payment form (strings or ints); never stored."""

    number: str
    exp_month: str | int
    exp_year: str | int
    cvc: str
    cardholder: str

    def __repr__(self) -> str:  # never print the number or the CVC in logs or tracebacks
        digits = "".join(ch for ch in str(self.number) if ch.isdigit())
        return f"CardDetails(number='…{digits[-4:]}', exp={self.exp_month}/{self.exp_year})"


@dataclass(frozen=True)
class PaymentChoice:
    """Step 5 of a seat change: the quote to place, and the new card to charge (None: the card on file)."""

    quote: Quote
    card: object | None      # payments.CardToken


@dataclass(frozen=True)
class PaymentDetailsChange:
    """What the payment-details workflow changed."""

    payment_method: PaymentMethod | None
    card_changed: bool
    vat_number: str | None
    vat_changed: bool
    email: str
