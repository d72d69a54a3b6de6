"""What the workflow's forms and links send, parsed into plain values.

The billing backend validates the figures (seat limits, cards, VAT numbers) and answers
with codes; this module only reads the request safely (lengths, allowed choices) and
holds what the customer typed so that a page with errors shows it again.
"""
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

MAX_SEATS_TEXT = 100         # longer than any valid count; the backend says what is wrong
PRODUCT_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# Notices about a support agent's prefilled link.
PREFILL_QUANTITY_IGNORED = _l("The number of seats in the link you followed is not valid (it must be a whole number from 1 to 500), so it was ignored. You can choose the number yourself.")
PREFILL_PRODUCT_IGNORED = _l("The product in the link you followed is not valid, so it was ignored. You can choose the product yourself.")


@dataclass(frozen=True)
class Prefill:
    """A support agent's suggestion: a product code and a seat count, both optional."""

    product: str | None = None
    quantity: int | None = None

    def as_query(self) -> dict:
        return {k: v for k, v in (("product", self.product), ("quantity", self.quantity)) if v is not None}


def parse_prefill(args) -> tuple[Prefill, list]:
    """Read `product` and `quantity` from a query string; invalid values are dropped with a notice."""
    notices = []
    product = (args.get("product") or "").strip().lower()
    if product and not PRODUCT_CODE.match(product):
        notices.append(PREFILL_PRODUCT_IGNORED)
        product = ""
    raw = (args.get("quantity") or "").strip()
    quantity = None
    if raw:
        if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= 500:
            quantity = int(raw)
        else:
            notices.append(PREFILL_QUANTITY_IGNORED)
    return Prefill(product or None, quantity), notices


def seats_text(form) -> str:
    """The seat count as typed (trimmed, bounded); the backend decides whether it is valid."""
    return (form.get("quantity") or "").strip()[:MAX_SEATS_TEXT]


def parse_id(value) -> int | None:
    """A database id sent by a form, or None when it is not one."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    return None


@dataclass
class PaymentInput:
    """Step 5 as typed. Kept only for the response that shows it again; never stored."""

    payment_method: str = "saved"
    card_number: str = ""
    exp_month: str = ""
    exp_year: str = ""
    cvc: str = ""
    cardholder: str = ""
    vat_number: str = ""
    errors: dict = field(default_factory=dict)

    FIELDS = ("card_number", "exp_month", "exp_year", "cvc", "cardholder", "vat_number")
    LIMITS = {"card_number": 30, "exp_month": 4, "exp_year": 6, "cvc": 6, "cardholder": 200, "vat_number": 30}

    @classmethod
    def from_form(cls, form, *, card_on_file: bool) -> "PaymentInput":
        values = {name: (form.get(name) or "").strip()[:cls.LIMITS[name]] for name in cls.FIELDS}
        method = form.get("payment_method") or ("saved" if card_on_file else "new")
        if method not in ("saved", "new"):
            method = "saved" if card_on_file else "new"
        return cls(payment_method=method, **values)

    @property
    def use_saved_card(self) -> bool:
        return self.payment_method == "saved"
