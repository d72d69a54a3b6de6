"""The steps of the seat workflow, in order, with what makes each one apply and count as done.

The "first step not yet done" rule lives here and nowhere else: the start URL, the guard on
every step and the final revalidation before the order all ask `first_pending()`.
"""
from dataclasses import dataclass, field
from typing import Callable

from flask_babel import lazy_gettext as _l

TOTAL_STEPS = 6


@dataclass
class Progress:
    """What one request knows about the workflow: who is signed in, their run, its quote."""

    contact: object | None            # billing read.Contact
    run: object | None = None         # WizardRun
    load_quote: Callable[[], object | None] = field(default=lambda: None, repr=False)
    _quote: object | None = field(default=None, init=False, repr=False)
    _quote_loaded: bool = field(default=False, init=False, repr=False)

    @property
    def quote(self):
        """The run's stored quote (billing read.Quote), fetched once when a step needs it."""
        if not self._quote_loaded:
            self._quote = self.load_quote() if self.run is not None and self.run.quote_id else None
            self._quote_loaded = True
        return self._quote

    def forget_quote(self) -> None:
        self._quote_loaded = False
        self._quote = None


@dataclass(frozen=True)
class Step:
    name: str                 # the URL segment, /<lang>/wizard/seats/<name>
    endpoint: str
    title: object             # lazy string: evaluated in the page's language
    number: int | None        # "Step N of 6"; None for the pages outside the numbered steps
    applies: Callable[[Progress], bool]
    done: Callable[[Progress], bool]
    article_step: int | None = None   # the matching #step-N of the seat article


def _always(_p: Progress) -> bool:
    return True


def _never(_p: Progress) -> bool:
    return False


def _signed_in(p: Progress) -> bool:
    return p.contact is not None


def _may_change_seats(p: Progress) -> bool:
    return p.contact is not None and not p.contact.corporate and p.contact.is_billing_contact


def _product_chosen(p: Progress) -> bool:
    return p.run is not None and p.run.subscription_id is not None


def _cart_checked_out(p: Progress) -> bool:
    return _product_chosen(p) and p.run.quote_id is not None and p.run.checked_out and p.quote is not None


def _reviewed(p: Progress) -> bool:
    return p.run.reviewed_quote_id is not None and p.run.reviewed_quote_id == p.run.quote_id


def _payment_applies(p: Progress) -> bool:
    """Step 5: the rate rises, or money is due with no card on file, or a charge was refused."""
    if p.run is not None and p.run.payment_error:
        return True
    quote = p.quote
    return quote is None or bool(quote.needs_payment_step)


def _paid(p: Progress) -> bool:
    return p.run.paid_quote_id is not None and p.run.paid_quote_id == p.run.quote_id and not p.run.payment_error


def _ordered(p: Progress) -> bool:
    return p.run is not None and p.run.order_id is not None


SIGN_IN = Step("sign-in", "wizard.sign_in", _l("Sign in"), 1, _always, _signed_in, 1)
# The two refusal pages: reached instead of step 2 when the contact may not change seats.
CORPORATE = Step("corporate", "wizard.corporate", _l("Your account is managed by your advisor"), None,
                 lambda p: p.contact is not None and p.contact.corporate, _never)
NOT_BILLING_CONTACT = Step("not-billing-contact", "wizard.not_billing_contact",
                           _l("Only billing contacts can change seats"), None,
                           lambda p: p.contact is not None and not p.contact.corporate
                           and not p.contact.is_billing_contact, _never)
PRODUCT = Step("product", "wizard.product", _l("Choose the product"), 2, _always, _product_chosen, 2)
SEATS = Step("seats", "wizard.seats", _l("Choose the number of seats"), 3, _always, _cart_checked_out, 3)
REVIEW = Step("review", "wizard.review", _l("Review your order"), 4, _always, _reviewed, 4)
PAYMENT = Step("payment", "wizard.payment", _l("Payment and VAT number"), 5, _payment_applies, _paid, 5)
CONFIRM = Step("confirm", "wizard.confirm", _l("Place your order"), 6, _always, _ordered, 6)
DONE = Step("done", "wizard.done", _l("Order placed"), None, _always, _never)

# In order. The refusal pages sit between sign-in and the product: they end the workflow.
STEPS = (SIGN_IN, CORPORATE, NOT_BILLING_CONTACT, PRODUCT, SEATS, REVIEW, PAYMENT, CONFIRM, DONE)
NUMBERED = tuple(s for s in STEPS if s.number is not None)
BY_NAME = {s.name: s for s in STEPS}


def first_pending(progress: Progress) -> Step:
    """The first step that applies and is not done yet (the refusal pages end the walk)."""
    for step in STEPS:
        if not step.applies(progress):
            continue
        if step in (CORPORATE, NOT_BILLING_CONTACT) or not step.done(progress):
            return step
    return DONE


def position(step: Step) -> int:
    return STEPS.index(step)


def is_reachable(step: Step, progress: Progress) -> bool:
    """A step may be shown when it applies and every step before it that applies is done."""
    if not step.applies(progress):
        return False
    return position(step) <= position(first_pending(progress))


def previous_step(step: Step, progress: Progress) -> Step | None:
    """The numbered step before this one that applies (for the back link)."""
    before = [s for s in NUMBERED if s.number < (step.number or TOTAL_STEPS + 1) and s.applies(progress)]
    return before[-1] if before else None
