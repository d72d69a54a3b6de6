"""Payment methods and VAT numbers: step 5 of a seat change and the payment-details workflow.

Operations take the caller's session and flush; the caller (the request, a CLI command)
commits or rolls back. Nothing here knows about Flask or HTTP.
"""

from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import read, vat
from helpcenter.billing.errors import CardInvalid, PaymentFailed, QuoteExpired, VatNumberInvalid
from helpcenter.billing.payments import CardToken, PaymentGateway, SandboxGateway, check_card
from helpcenter.billing.accounts import payment_method_read, quote_read
from helpcenter.billing.common import (DEFAULT_SELLER_COUNTRY, account_payment_method, assigned_count, audit,
                                       load_contact, lock_account, lock_account_and_subscription,
                                       require_billing_contact, utc)
from helpcenter.billing.quotes import check_seat_count, load_quote, new_quote


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
    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    quote, product = load_quote(session, account, quote_id)
    now, today = clock.now(), clock.today()
    if now >= utc(quote.expires_at):
        raise QuoteExpired()
    gateway = gateway or SandboxGateway(session)
    pm = account_payment_method(session, account.id)

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
        if payment_method_read(pm).is_expired(today):
            raise PaymentFailed("card_expired")
    token = None if use_saved_card else gateway.tokenize(card, today)

    result_quote = quote
    if new_vat != account.vat_number:
        account, sub = lock_account_and_subscription(session, account.id, quote.subscription_id)
        # Checked before anything changes: a refusal leaves the caller's transaction clean.
        seats_after = check_seat_count(quote.seats_after, sub.seats, assigned_count(session, sub.id))
        audit(session, clock, contact, "vat_number_changed", {"old": account.vat_number, "new": new_vat}, ip)
        account.vat_number = new_vat
        result_quote = new_quote(session, clock, contact=contact, account=account, sub=sub,
                                 seats_after=seats_after, seller_country=seller_country, pm=pm)
        session.flush()
    return read.PaymentChoice(quote=quote_read(result_quote, product, account, pm), card=token)


def verify_card(session: Session, clock, *, contact_id, card: read.CardDetails,
                gateway: PaymentGateway | None = None) -> CardToken:
    """The payment-details workflow: a new card checked with the gateway (a zero-amount
    verification); CardInvalid or PaymentFailed, and nothing is stored either way."""
    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    gateway = gateway or SandboxGateway(session)
    token = gateway.tokenize(card, clock.today())
    gateway.verify(token=token.token)
    return token


def check_vat_number(session: Session, *, contact_id, vat_number: str) -> str | None:
    """The account's VAT number as it would be recorded (None to clear it), or VatNumberInvalid."""
    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    return vat.validate_vat_number(vat_number, account.country) if (vat_number or "").strip() else None


def store_card(session: Session, clock, contact: m.Contact, account: m.Account, pm: m.PaymentMethod | None,
                token: CardToken, ip: str | None) -> m.PaymentMethod:
    """The card becomes the card on file (after a successful charge or verification)."""
    if pm is None:
        pm = m.PaymentMethod(account_id=account.id)
        session.add(pm)
    pm.brand, pm.last4 = token.brand, token.last4
    pm.exp_month, pm.exp_year = token.exp_month, token.exp_year
    pm.gateway_token, pm.updated_at = token.token, clock.now()
    audit(session, clock, contact, "payment_method_changed",
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
    contact, account = load_contact(session, contact_id)
    require_billing_contact(contact, account)
    new_vat = account.vat_number
    if vat_number is not None:
        new_vat = vat.validate_vat_number(vat_number, account.country) if vat_number.strip() else None
    account = lock_account(session, account.id)
    pm = account_payment_method(session, account.id)
    if card is not None:
        pm = store_card(session, clock, contact, account, pm, card, ip)
    vat_changed = new_vat != account.vat_number
    if vat_changed:
        audit(session, clock, contact, "vat_number_changed", {"old": account.vat_number, "new": new_vat}, ip)
        account.vat_number = new_vat
    change = read.PaymentDetailsChange(
        payment_method=payment_method_read(pm), card_changed=card is not None,
        vat_number=account.vat_number, vat_changed=vat_changed, email=contact.email)
    if change.card_changed or change.vat_changed:
        message = outbox.queue_payment_details_changed(
            session, change, account_id=account.id, account_name=account.name, locale=account.locale,
            account_url=account_url, translations_dir=settings.translations_dir, now=clock.now())
        outbox.send_after_commit(session, mail_settings, message.id,
                                 f"sending the payment-details email of account {account.id}")
    session.flush()
    return change
