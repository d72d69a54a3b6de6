"""The email outbox: messages are rendered (text and HTML, in the workflow's language) and
stored in the same transaction as the order, then delivered over SMTP after the commit.

Without a mail server (HELPCENTER_MAIL_SERVER unset) messages stay in the outbox and are
logged. A send that fails stays in the outbox with its attempt count and last error, for
`flask --app helpcenter send-mail` to retry.
"""
import functools
import logging
import re
import smtplib
import socket
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from babel.numbers import format_percent
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from helpcenter import transaction
from helpcenter.billing import models as m
from helpcenter.billing import read
from helpcenter.config import PROJECT_ROOT
from helpcenter.formatting import counting_ngettext, format_number, format_day, format_money

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "email_templates"
DEFAULT_TRANSLATIONS = PROJECT_ROOT / "translations"
LANGUAGES = ("en", "fr")
ORDER_CONFIRMATION = "order_confirmation"
PAYMENT_DETAILS_CHANGED = "payment_details_changed"  # no order either
SEAT_ASSIGNED = "seat_assigned"  # no order: order_id stays NULL, so the (order_id, kind) key never applies
SUPPORT_REQUEST = "support_request_received"  # the reply to a "Still need help?" form; no order either


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send; `enabled` only when a server is configured."""

    server: str | None = None
    port: int = 25
    sender: str = "Billing Centre <billing@helpcenter.example>"
    timeout: float = 10.0
    translations_dir: str = str(DEFAULT_TRANSLATIONS)
    # Development without a mail server: print each kept email (headers and text part) to the console.
    echo: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.server)

    @classmethod
    def from_mapping(cls, config) -> "MailSettings":
        """From the app's config (MAIL_SERVER, MAIL_PORT, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT, TRANSLATIONS_DIR)."""
        defaults = cls()
        return cls(server=config.get("MAIL_SERVER") or None,
                   port=int(config.get("MAIL_PORT") or defaults.port),
                   sender=config.get("MAIL_DEFAULT_SENDER") or defaults.sender,
                   # seconds for the SMTP socket (smtplib takes a float; 0.5 is allowed), not money
                   timeout=float(config.get("MAIL_TIMEOUT") or defaults.timeout),
                   translations_dir=str(config.get("TRANSLATIONS_DIR") or defaults.translations_dir),
                   echo=config.get("ENV") == "development" and not config.get("TESTING"))


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    pending: int
    enabled: bool = True

    def __str__(self) -> str:
        if not self.enabled:
            return f"no mail server configured: {self.pending} message(s) kept in the outbox"
        return f"sent {self.sent}, failed {self.failed}, pending {self.pending}"


def email_locale(locale: str | None) -> str:
    """"fr", "fr_FR", "fr-CA" -> "fr"; anything unsupported -> "en"."""
    lang = (locale or "").replace("-", "_").split("_")[0].lower()
    return lang if lang in LANGUAGES else "en"


# --- rendering ---------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _environment(translations_dir: str, locale: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), extensions=["jinja2.ext.i18n"],
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    translations = Translations.load(translations_dir, [locale]) if locale != "en" else NullTranslations()
    if locale != "en" and not isinstance(translations, Translations):
        log.warning("no compiled %s catalog in %s (run `make translations`): emails fall back to English",
                    locale, translations_dir)
    env.install_gettext_translations(translations, newstyle=True)
    env.globals["ngettext"] = counting_ngettext(translations.ungettext, lambda: locale)
    env.filters["number"] = lambda value: format_number(value, locale)
    return env


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, *, locale: str, context: dict,
                 translations_dir: str | Path = DEFAULT_TRANSLATIONS) -> RenderedEmail:
    """Any email from its three templates (`name`_subject.txt, `name`.txt, `name`.html), in `locale`.

    The subject's line breaks and spaces collapse, but the no-break spaces of French typography stay."""
    locale = email_locale(locale)
    env = _environment(str(translations_dir), locale)
    context = dict(context, lang=locale)
    subject = re.sub(r"[ \t\r\n]+", " ", env.get_template(f"{name}_subject.txt").render(context).strip())
    context["subject"] = subject  # for the HTML <title>, escaped there like any value
    return RenderedEmail(subject=subject, text=env.get_template(f"{name}.txt").render(context),
                         html=env.get_template(f"{name}.html").render(context))


def queue_email(session: Session, rendered: RenderedEmail, *, kind: str, account_id: int | None, to_address: str,
                locale: str, now: datetime, order_id: int | None = None) -> m.EmailMessage:
    """Put a rendered email in the outbox, in the caller's transaction (sent after its commit)."""
    message = m.EmailMessage(account_id=account_id, order_id=order_id, kind=kind, to_address=to_address,
                             locale=locale, subject=rendered.subject[:300], text_body=rendered.text,
                             html_body=rendered.html, created_at=now, attempts=0)
    session.add(message)
    session.flush()
    return message


def render_order_confirmation(order: read.Order, *, locale: str, account_name: str, assign_seats_url: str,
                              translations_dir: str | Path = DEFAULT_TRANSLATIONS) -> RenderedEmail:
    """The confirmation email of an order, in `locale` ("en" or "fr")."""
    locale = email_locale(locale)

    def money(amount):
        return format_money(amount, order.currency, locale)

    def day(value):
        return format_day(value, locale)

    def percent(rate):
        return format_percent(rate, locale=locale, decimal_quantization=False)

    context = {"order": order, "account_name": account_name,
               "assign_seats_url": assign_seats_url, "money": money, "day": day, "percent": percent,
               "seats_added": max(order.seats_after - order.seats_before, 0)}
    return render_email("order_confirmation", locale=locale, context=context, translations_dir=translations_dir)


def queue_order_confirmation(session: Session, order: read.Order, *, to_address: str, account_id: int,
                             account_name: str, assign_seats_url: str, translations_dir,
                             now: datetime) -> m.EmailMessage:
    """Put the order's confirmation in the outbox (in the caller's transaction)."""
    rendered = render_order_confirmation(order, locale=order.locale, account_name=account_name,
                                         assign_seats_url=assign_seats_url, translations_dir=translations_dir)
    return queue_email(session, rendered, kind=ORDER_CONFIRMATION, account_id=account_id, to_address=to_address,
                       locale=order.locale, now=now, order_id=order.id)


def render_seat_assignment(*, locale: str, user_email: str, product_name: str, account_name: str,
                           sign_in_url: str | None = None,
                           translations_dir: str | Path = DEFAULT_TRANSLATIONS) -> RenderedEmail:
    """The email telling a user that they now hold a seat of a product, in `locale` ("en" or "fr").

    The user's name is not in it: an account admin types that name freely, and text of their
    choosing beside a link, sent from the vendor's address, is a phishing kit ("Hello Urgent:
    verify billing at https://..."). Everything in it comes from the vendor or is the address
    the email goes to.
    """
    context = {"user_email": user_email, "product_name": product_name, "account_name": account_name,
               "sign_in_url": sign_in_url}
    return render_email("seat_assigned", locale=locale, context=context, translations_dir=translations_dir)


def queue_seat_assignment(session: Session, *, account_id: int, locale: str, to_address: str,
                          product_name: str, account_name: str, sign_in_url: str | None, translations_dir,
                          now: datetime) -> m.EmailMessage:
    """Put the "you now have a seat" email to the user in the outbox (in the caller's transaction)."""
    locale = email_locale(locale)
    rendered = render_seat_assignment(locale=locale, user_email=to_address,
                                      product_name=product_name, account_name=account_name,
                                      sign_in_url=sign_in_url, translations_dir=translations_dir)
    return queue_email(session, rendered, kind=SEAT_ASSIGNED, account_id=account_id, to_address=to_address,
                       locale=locale, now=now)


def render_support_acknowledgement(*, locale: str, request_number: int, reference: str | None, message: str,
                                   translations_dir: str | Path = DEFAULT_TRANSLATIONS) -> RenderedEmail:
    """"We have your request": the reply to a "Still need help?" form, in `locale` ("en" or "fr")."""
    context = {"request_number": request_number, "reference": reference, "message": message}
    return render_email("support_request", locale=locale, context=context, translations_dir=translations_dir)


def queue_support_acknowledgement(session: Session, *, account_id: int | None, locale: str, to_address: str,
                                  request_number: int, reference: str | None, message: str, translations_dir,
                                  now: datetime) -> m.EmailMessage:
    """Put the acknowledgement of a support request in the outbox (in the caller's transaction)."""
    locale = email_locale(locale)
    rendered = render_support_acknowledgement(locale=locale, request_number=request_number, reference=reference,
                                              message=message, translations_dir=translations_dir)
    return queue_email(session, rendered, kind=SUPPORT_REQUEST, account_id=account_id, to_address=to_address,
                       locale=locale, now=now)


def render_payment_details_changed(change: read.PaymentDetailsChange, *, locale: str, account_name: str,
                                   account_url: str,
                                   translations_dir: str | Path = DEFAULT_TRANSLATIONS) -> RenderedEmail:
    """The email confirming a new card and/or VAT number, in `locale` ("en" or "fr")."""
    context = {"change": change, "account_name": account_name, "account_url": account_url}
    return render_email("payment_details", locale=locale, context=context, translations_dir=translations_dir)


def queue_payment_details_changed(session: Session, change: read.PaymentDetailsChange, *, account_id: int,
                                  account_name: str, locale: str, account_url: str, translations_dir,
                                  now: datetime) -> m.EmailMessage:
    """Put the "your payment details changed" email in the outbox (in the caller's transaction)."""
    locale = email_locale(locale)
    rendered = render_payment_details_changed(change, locale=locale, account_name=account_name,
                                              account_url=account_url, translations_dir=translations_dir)
    return queue_email(session, rendered, kind=PAYMENT_DETAILS_CHANGED, account_id=account_id,
                       to_address=change.email, locale=locale, now=now)


# --- delivery -----------------------------------------------------------------------

def _mime(message: m.EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["Subject"] = message.subject
    mime["From"] = sender
    mime["To"] = message.to_address
    mime["Date"] = formatdate(localtime=False)
    # A stable id: a message retried after an unclear failure is recognisably the same one.
    mime["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="helpcenter.example")
    mime.set_content(message.text_body)
    mime.add_alternative(message.html_body, subtype="html")
    mime["Content-Language"] = message.locale  # after add_alternative, which moves Content-* headers
    return mime


def _claim(session: Session, settings: MailSettings, message_id: int) -> m.EmailMessage | None:
    """Take the message for this sender for a while, so that two senders never both send it."""
    now = datetime.now(timezone.utc)
    lease = now + timedelta(seconds=settings.timeout * 3 + 30)
    table = m.EmailMessage.__table__
    result = session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.sent_at.is_(None),
               or_(table.c.claimed_until.is_(None), table.c.claimed_until < now))
        .values(claimed_until=lease, attempts=table.c.attempts + 1, last_attempt_at=now))
    transaction.commit_now(session, "the claim, before the send: another sender must see it")
    if result.rowcount != 1:
        return None
    return session.scalar(select(m.EmailMessage).where(m.EmailMessage.id == message_id)
                          .execution_options(populate_existing=True))


def _finish(session: Session, message: m.EmailMessage, error: Exception | None) -> None:
    if error is None:
        message.sent_at = datetime.now(timezone.utc)
        message.last_error = None
    else:
        message.last_error = f"{type(error).__name__}: {error}"[:500]
    message.claimed_until = None
    transaction.commit_now(session, "the outcome of the send, at once: the server has the message")


def _connect(settings: MailSettings) -> smtplib.SMTP:
    return smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)


SEND_ERRORS = (smtplib.SMTPException, OSError, socket.timeout)


def deliver_message(session: Session, settings: MailSettings, message_id: int) -> bool:
    """Send one message now (right after the commit that queued it); True when sent.

    It runs in transactions of its own (the claim, then the outcome, each committed at once):
    call it with nothing of the caller's pending, as after_commit() does. Never raises for a
    delivery problem: the message stays in the outbox for a retry."""
    if not settings.enabled:
        _log_kept(session, [message_id], settings)
        return False
    message = _claim(session, settings, message_id)
    if message is None:
        return False
    smtp = None
    try:
        smtp = _connect(settings)
        smtp.send_message(_mime(message, settings.sender))
    except SEND_ERRORS as error:
        log.warning("email %s to %s not sent: %s", message.id, message.to_address, error)
        _finish(session, message, error)
        _hang_up(smtp)
        return False
    _finish(session, message, None)  # accepted by the server: a failing QUIT must not resend it
    _hang_up(smtp)
    return True


def _hang_up(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except SEND_ERRORS:
        smtp.close()


def _log_kept(session: Session, ids: list[int] | None = None, settings: MailSettings | None = None) -> int:
    stmt = select(m.EmailMessage).where(m.EmailMessage.sent_at.is_(None))
    if ids is not None:
        stmt = stmt.where(m.EmailMessage.id.in_(ids))
    messages = session.scalars(stmt.order_by(m.EmailMessage.id)).all()
    for message in messages:
        log.info("no mail server configured: email %s to %s (%r) kept in the outbox",
                 message.id, message.to_address, message.subject)
        if settings is not None and settings.echo:
            print(console_text(message, settings.sender), file=sys.stdout, flush=True)
    return len(messages)


def console_text(message: m.EmailMessage, sender: str) -> str:
    """The email as a developer reads it in the console: headers, then the text part."""
    rule = "-" * 72
    return "\n".join([
        rule, f"Email {message.id} kept in the outbox (no mail server configured)",
        f"From: {sender}", f"To: {message.to_address}", f"Subject: {message.subject}",
        f"Content-Language: {message.locale}", f"X-Outbox-Kind: {message.kind}", "",
        message.text_body.rstrip(), rule])


def list_messages(session: Session, limit: int = 100) -> list[m.EmailMessage]:
    """The newest messages of the outbox, sent or not (the development outbox page)."""
    return list(session.scalars(select(m.EmailMessage).order_by(m.EmailMessage.id.desc()).limit(limit)))


def deliver_pending(session: Session, settings: MailSettings) -> DeliveryReport:
    """Send every unsent message (retrying failed ones) over one SMTP connection."""
    if not settings.enabled:
        kept = _log_kept(session, settings=settings)
        transaction.rollback(session, "only read: end the read")
        return DeliveryReport(sent=0, failed=0, pending=kept, enabled=False)
    ids = session.scalars(select(m.EmailMessage.id).where(m.EmailMessage.sent_at.is_(None))
                          .order_by(m.EmailMessage.id)).all()
    sent = failed = 0
    smtp = None
    try:
        for message_id in ids:
            message = _claim(session, settings, message_id)
            if message is None:
                continue  # sent meanwhile, or another sender holds it
            if smtp is None:
                try:
                    smtp = _connect(settings)
                except SEND_ERRORS as error:
                    # The server is unreachable: the rest waits for the next run.
                    log.warning("mail server %s:%s unreachable: %s", settings.server, settings.port, error)
                    _finish(session, message, error)
                    failed += 1
                    break
            try:
                smtp.send_message(_mime(message, settings.sender))
            except SEND_ERRORS as error:
                log.warning("email %s to %s not sent: %s", message.id, message.to_address, error)
                _finish(session, message, error)
                failed += 1
                smtp.close()  # start again with a new connection
                smtp = None
                continue
            _finish(session, message, None)
            sent += 1
    finally:
        _hang_up(smtp)
    remaining = session.scalar(select(func.count()).select_from(m.EmailMessage)
                               .where(m.EmailMessage.sent_at.is_(None))) or 0
    transaction.rollback(session, "only read: end the read")
    return DeliveryReport(sent=sent, failed=failed, pending=remaining)


def send_after_commit(session: Session, mail_settings, message_id: int | None, description: str) -> None:
    """Deliver the queued message once the caller commits, never if it rolls back: sent with a
    mail server set (a failed send stays in the outbox for the retry command, and what was
    committed stands), printed to the console in development without one, else left in the
    outbox for `flask send-mail`."""
    if message_id is None or mail_settings is None or not (mail_settings.enabled or mail_settings.echo):
        return
    transaction.after_commit(session, lambda s: deliver_message(s, mail_settings, message_id), description)
