"""Server-side state of the seat workflow: one row per run, tied to a contact.

A run is created by the first POST of the workflow (sign-in or product choice) and is
carried in the URL (?run=<id>), so two tabs that started separately never share state.
`revision` is SQLAlchemy's version counter: every change bumps it, forms echo it back,
and a submit made from an outdated page (a duplicated tab) is refused with a notice
instead of silently overwriting what the other tab did.
"""
import secrets
from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpcenter.db import Base


def _now() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id() -> str:
    """An unguessable id: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class WizardRun(Base):
    __tablename__ = "wizard_run"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_run_id)
    # A removed contact takes their unfinished runs along.
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # Step 2: the subscription whose seats change.
    subscription_id: Mapped[int | None] = mapped_column(Integer)
    # Step 3: the seat count in the cart and the stored quote for it; checked_out once "Checkout" is pressed.
    quantity: Mapped[int | None] = mapped_column(Integer)
    quote_id: Mapped[str | None] = mapped_column(String(64))
    checked_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Steps 4 and 5 are done for one quote: a new quote (edit, VAT number, stale) asks for them again.
    reviewed_quote_id: Mapped[str | None] = mapped_column(String(64))
    paid_quote_id: Mapped[str | None] = mapped_column(String(64))
    # A charge refused when placing the order: the payment step applies again and says why.
    payment_error: Mapped[str | None] = mapped_column(String(40))
    # Step 6: the order placed by this run.
    order_id: Mapped[int | None] = mapped_column(Integer)
    # A support agent's link: suggestions only, the customer still chooses, reviews and orders.
    prefill_product: Mapped[str | None] = mapped_column(String(64))
    prefill_quantity: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)

    __mapper_args__ = {"version_id_col": revision}

    def choose_subscription(self, subscription_id: int) -> None:
        """Step 2: a (possibly different) subscription; everything after it starts over."""
        if self.subscription_id != subscription_id:
            self.quantity = None
            self.put_in_cart(None, None)
        self.subscription_id = subscription_id

    def put_in_cart(self, quantity: int | None, quote_id: str | None) -> None:
        """Step 3 "Add to cart": a new quote, so review and payment are asked again."""
        self.quantity = quantity
        self.quote_id = quote_id
        self.checked_out = False
        self.reviewed_quote_id = None
        self.paid_quote_id = None
        self.payment_error = None

    def replace_quote(self, quote_id: str, *, reviewed: bool = False, paid: bool = False) -> None:
        """A fresh quote for the same change (expired, stale, or new VAT figures)."""
        self.quote_id = quote_id
        self.checked_out = True
        self.reviewed_quote_id = quote_id if reviewed else None
        self.paid_quote_id = quote_id if paid else None
