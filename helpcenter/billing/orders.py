"""Orders: placing a quoted seat change in the caller's transaction (one order, one charge, one email).

Operations take the caller's session and flush; the caller (the request, a CLI command)
commits or rolls back. Nothing here knows about Flask or HTTP.
"""
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import pricing, read
from helpcenter.billing.errors import PaymentFailed, QuoteExpired, QuoteStale, SeatChangeRefused
from helpcenter.billing.payments import CardToken, PaymentGateway, SandboxGateway
from helpcenter.billing.accounts import order_read, payment_method_read
from helpcenter.billing.common import (account_payment_method, audit, load_contact, lock_subscription,
                                       money, require_billing_contact, utc)
from helpcenter.billing.payment_methods import store_card
from helpcenter.billing.quotes import card_shown, figures_digest, load_quote, priced_now, replacement_quote


def payment_attempt_key(quote_id: str, token: str) -> str:
    """The idempotency key of one payment attempt: this quote with this card.

    A provider answers a key it has seen with its first answer, errors included: a retry
    with another card after a refusal must be a new attempt, a double submit the same one.
    """
    return f"{quote_id}:{hashlib.sha256(token.encode()).hexdigest()[:24]}"


def existing_order(session: Session, quote_id: str) -> m.Order | None:
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
    PaymentFailed: then nothing has changed and nothing was charged or sent (QuoteStale's
    new quote is flushed: the caller commits to keep it). With `mail_settings`
    (outbox.MailSettings) the confirmation is also sent once the caller commits
    (transaction.commit); a failed send stays in the outbox and the order stands.
    """
    from helpcenter.billing import outbox

    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    quote, product = load_quote(session, account, quote_id)
    gateway = gateway or SandboxGateway(session)
    settings = mail_settings or outbox.MailSettings()
    sub, product, account, assigned = lock_subscription(session, quote.subscription_id, account.id)
    # Under the account's lock a concurrent request of the same quote has either committed its
    # order (found here) or waits for this one: one order per quote, without a race branch.
    done = existing_order(session, quote.id)
    if done is not None:
        return order_read(done)
    now, today = clock.now(), clock.today()
    if now >= utc(quote.expires_at):
        raise QuoteExpired()
    pm = account_payment_method(session, account.id)
    fresh = priced_now(clock, account=account, sub=sub, seats_after=quote.seats_after,
                        seller_country=quote.seller_country, pm=pm)
    agreed = shown_figures if shown_figures is not None else figures_digest(quote, card_shown(card, pm))
    if figures_digest(fresh, card_shown(card, pm)) != agreed:
        raise QuoteStale(replacement_quote(session, clock, contact, account, sub, product, quote, pm),
                         subscription_changed=sub.version != quote.subscription_version)
    if quote.seats_after < assigned:
        raise SeatChangeRefused("below_assigned", minimum=pricing.MIN_SEATS, maximum=pricing.MAX_SEATS,
                                current=sub.seats, assigned=assigned,
                                to_unassign=assigned - quote.seats_after)
    due = money(quote.due, quote.currency)
    charge = None
    if due > 0:
        if card is None and pm is None:
            raise PaymentFailed("no_payment_method")
        if card is None and payment_method_read(pm).is_expired(today):
            raise PaymentFailed("card_expired")
        token = card.token if card is not None else pm.gateway_token
        charge = gateway.charge(token=token, amount=due, currency=quote.currency,
                                idempotency_key=payment_attempt_key(quote.id, token),
                                description=f"{product.name}: {quote.seats_before} -> {quote.seats_after}")
    elif card is not None:
        gateway.verify(token=card.token)
    if card is not None:
        pm = store_card(session, clock, contact, account, pm, card, ip)
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
    balance = money(account.balance, account.currency)
    after_order = balance - money(quote.total, quote.currency)
    entries = [m.LedgerEntry(account_id=account.id, order_id=order.id, kind="order",
                             amount=-money(quote.total, quote.currency), currency=quote.currency,
                             balance_after=after_order, created_at=now)]
    if due > 0:
        entries.append(m.LedgerEntry(account_id=account.id, order_id=order.id, kind="payment", amount=due,
                                     currency=quote.currency, balance_after=after_order + due,
                                     created_at=now))
    session.add_all(entries)
    account.balance = entries[-1].balance_after
    result = order_read(order)
    audit(session, clock, contact, "seats_changed", {
        "order": result.number, "subscription": sub.id, "product": product.code,
        "seats_before": quote.seats_before, "seats_after": quote.seats_after,
        "total": str(result.total), "amount_charged": str(result.amount_charged),
        "balance_after": str(result.balance_after), "currency": quote.currency}, ip)
    message = outbox.queue_order_confirmation(
        session, result, to_address=contact.email, account_id=account.id, account_name=account.name,
        assign_seats_url=assign_seats_url, translations_dir=settings.translations_dir, now=now)
    outbox.send_after_commit(session, mail_settings, message.id,
                             f"sending the confirmation of order {result.number}")
    session.flush()
    return result
