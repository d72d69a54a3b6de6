"""Corporate accounts: a request for a seat quote, sent to the dedicated advisor (no Flask).

Corporate accounts do not change seats themselves: the advisor prepares a quote that the
customer accepts on the corporate billing portal. This asks for that quote. The advisor gets
the account, the product and the number of seats; the customer gets a copy. Both emails are
put in the outbox in the caller's transaction; the caller commits, then delivers them.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpcenter.billing import errors
from helpcenter.billing import models as m
from helpcenter.billing import outbox

QUOTE_REQUEST = "corporate_quote_request"            # to the advisor
QUOTE_REQUEST_COPY = "corporate_quote_request_copy"  # the customer's copy
MIN_SEATS, MAX_SEATS = 1, 100_000
# Requests per account in a window: an advisor's inbox is not a place to flood.
REQUESTS_PER_WINDOW, WINDOW = 5, timedelta(hours=1)


@dataclass(frozen=True)
class QuoteRequest:
    """What was asked, and the outbox ids of the two emails (advisor first)."""

    account_name: str
    product_name: str
    seat_type: str
    seats_before: int
    seats_wanted: int
    advisor_email: str
    message_ids: tuple[int, int]


def parse_seat_count(raw) -> int:
    """The number of seats wanted, as typed; SeatChangeRefused when it is not a whole number in range."""
    text = str(raw if raw is not None else "").strip()
    if not text.isascii() or not text.isdigit():
        raise errors.SeatChangeRefused("not_a_number")
    if len(text) > 6 or not MIN_SEATS <= int(text) <= MAX_SEATS:
        raise errors.SeatChangeRefused("out_of_range", minimum=MIN_SEATS, maximum=MAX_SEATS)
    return int(text)


def request_seat_quote(session: Session, *, contact_id, subscription_id, seats, locale: str, now: datetime,
                       translations_dir, portal_url: str) -> QuoteRequest:
    """Ask the account's advisor for a quote for `seats` seats of a subscription, with a copy to the contact.

    Raises NotAllowed("corporate_account_only") for a self-service account or one without an
    advisor, NotAllowed("not_billing_contact") for an account admin, NotFound for another account's subscription, SeatChangeRefused for a bad count
    ("unchanged" when it is the current one) and NotAllowed("too_many_requests") past the limit.
    """
    contact = session.get(m.Contact, int(contact_id)) if str(contact_id).isdigit() else None
    if contact is None:
        raise errors.NotFound()
    account = session.get(m.Account, contact.account_id)
    if not account.corporate or not account.advisor_email:
        raise errors.NotAllowed("corporate_account_only")
    if contact.role != "billing_contact":  # on the portal too, quotes are the billing contacts' business
        raise errors.NotAllowed("not_billing_contact")
    sub = None
    if str(subscription_id).isascii() and str(subscription_id).isdigit() and len(str(subscription_id)) < 12:
        sub = session.get(m.Subscription, int(subscription_id))
    if sub is None or sub.account_id != account.id:
        raise errors.NotFound()
    wanted = parse_seat_count(seats)
    if wanted == sub.seats:
        raise errors.SeatChangeRefused("unchanged", current=sub.seats)
    recent = session.scalar(select(func.count()).select_from(m.EmailMessage).where(
        m.EmailMessage.account_id == account.id, m.EmailMessage.kind == QUOTE_REQUEST,
        m.EmailMessage.created_at >= now - WINDOW))
    if recent >= REQUESTS_PER_WINDOW:
        raise errors.NotAllowed("too_many_requests")
    product = session.get(m.Product, sub.product_id)
    context = {"account_name": account.name, "product_name": product.name, "seat_type": product.seat_type,
               "seats_before": sub.seats, "seats_wanted": wanted, "contact_name": contact.name,
               "contact_email": contact.email, "advisor_name": account.advisor_name or "",
               "advisor_email": account.advisor_email, "advisor_phone": account.advisor_phone or "",
               "portal_url": portal_url}
    # The advisor reads it in the account's language (the one they serve it in); the copy is in
    # the language the customer used on the page.
    ids = []
    for kind, to_address, language in ((QUOTE_REQUEST, account.advisor_email, account.locale),
                                       (QUOTE_REQUEST_COPY, contact.email, locale)):
        language = outbox.email_locale(language)
        rendered = outbox.render_email("corporate_quote_request", locale=language,
                                       context=dict(context, for_customer=kind == QUOTE_REQUEST_COPY),
                                       translations_dir=translations_dir)
        message = outbox.queue_email(session, rendered, kind=kind, account_id=account.id, to_address=to_address,
                                     locale=language, now=now)
        ids.append(message.id)
    return QuoteRequest(account_name=account.name, product_name=product.name, seat_type=product.seat_type,
                        seats_before=sub.seats, seats_wanted=wanted, advisor_email=account.advisor_email,
                        message_ids=(ids[0], ids[1]))
