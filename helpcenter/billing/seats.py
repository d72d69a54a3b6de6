"""Seat assignments: who of the account's users holds a seat of a subscription.

Operations take the caller's session and flush; the caller (the request, a CLI command)
commits or rolls back. Nothing here knows about Flask or HTTP.
"""
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import read
from helpcenter.billing.errors import NotFound, SeatAssignmentRefused
from helpcenter.billing.accounts import seat_user
from helpcenter.billing.common import RealClock, audit, int_id, load_contact, lock_subscription


# Abuse limits (SECURITY.md, "Rate limits"): an account admin chooses who is emailed and
# their name, so the vendor's address must not become a free mass-mailer.
SEAT_EMAIL_WINDOW = timedelta(hours=24)


SEAT_EMAILS_PER_USER = 3  # "you now have a seat" emails to one address per window


SEAT_EMAILS_PER_ACCOUNT = 100  # such emails from one account per window


def _user_matches(query: str | None):
    """Users whose name or email contains `query`, whatever the case (LIKE wildcards escaped)."""
    if not query:
        return True
    needle = query.lower()
    return or_(func.lower(m.AccountUser.name).contains(needle, autoescape=True),
               func.lower(m.AccountUser.email).contains(needle, autoescape=True))


def list_seat_users(session: Session, *, contact_id, subscription_id, limit: int | None = None,
                    offset: int = 0, query: str | None = None) -> list[read.SeatUser]:
    """The account's users (those matching `query`, by name or email), each with whether it
    holds a seat of this subscription.

    All of them by name; with a limit, one page of them, the most recently added first.
    """
    contact, account = load_contact(session, contact_id)
    sub_id = int_id(subscription_id)
    exists = session.scalar(select(m.Subscription.id).where(m.Subscription.id == sub_id,
                                                            m.Subscription.account_id == account.id))
    if exists is None:
        raise NotFound()
    order = ((m.AccountUser.id.desc(),) if limit is not None else (func.lower(m.AccountUser.name), m.AccountUser.id))
    rows = session.execute(
        select(m.AccountUser, m.SeatAssignment.id)
        .outerjoin(m.SeatAssignment, and_(m.SeatAssignment.user_id == m.AccountUser.id,
                                          m.SeatAssignment.subscription_id == sub_id))
        .where(m.AccountUser.account_id == account.id, _user_matches(query))
        .order_by(*order).limit(limit).offset(offset)).all()
    return [seat_user(user, assignment is not None) for user, assignment in rows]


def count_users(session: Session, account_id, query: str | None = None) -> int:
    """How many users the account has (matching `query`, by name or email, when given)."""
    return session.scalar(select(func.count()).select_from(m.AccountUser)
                          .where(m.AccountUser.account_id == int_id(account_id), _user_matches(query)))


def account_user(session: Session, account_id: int, user_id) -> m.AccountUser:
    user = session.scalar(select(m.AccountUser).where(m.AccountUser.id == int_id(user_id),
                                                      m.AccountUser.account_id == account_id))
    if user is None:
        raise NotFound()
    return user


def assign_seat(session: Session, clock=None, *, contact_id, subscription_id, user_id,
                ip: str | None = None, notify: bool = True, sign_in_url: str | None = None,
                mail_settings=None) -> bool:
    """Give the user a seat of the subscription (never more assigned than seats); True when
    the user is emailed about it.

    With `notify` (the default) an email in the account's language tells the user, in the
    same transaction as the assignment (the outbox); `sign_in_url` adds a link to it. With
    `mail_settings` (outbox.MailSettings) it is also sent right after the commit; a failed
    send stays in the outbox and the assignment stands. A refusal queues nothing. Past the
    email limits (SEAT_EMAILS_PER_USER, SEAT_EMAILS_PER_ACCOUNT) the seat is assigned
    without an email, and False says so.
    """
    from helpcenter.billing import outbox

    clock = clock or RealClock()
    notify = bool(notify)
    settings = mail_settings or outbox.MailSettings()
    contact, account = load_contact(session, contact_id)
    message = None
    sub, product, account, assigned = lock_subscription(session, int_id(subscription_id), account.id)
    user = account_user(session, account.id, user_id)
    taken = session.scalar(select(m.SeatAssignment.id).where(m.SeatAssignment.subscription_id == sub.id,
                                                             m.SeatAssignment.user_id == user.id))
    if taken is not None:
        raise SeatAssignmentRefused("already_assigned")
    if assigned >= sub.seats:
        raise SeatAssignmentRefused("no_free_seat", seats=sub.seats, assigned=assigned)
    now = clock.now()
    session.add(m.SeatAssignment(subscription_id=sub.id, user_id=user.id, assigned_at=now))
    throttled = notify and not seat_email_allowed(session, account.id, user.email, now)
    notify = notify and not throttled
    details = {"subscription": sub.id, "product": product.code, "user": user.email, "notify": notify}
    if throttled:
        details["email_limit_reached"] = True
    audit(session, clock, contact, "seat_assigned", details, ip)
    session.flush()
    if notify:
        message = outbox.queue_seat_assignment(
            session, account_id=account.id, locale=account.locale, to_address=user.email,
            product_name=product.name, account_name=account.name,
            sign_in_url=sign_in_url, translations_dir=settings.translations_dir, now=now)
    outbox.send_after_commit(session, mail_settings, message.id if message is not None else None,
                             f"sending the seat email to user {user.id}")
    return notify


def seat_email_allowed(session: Session, account_id: int, address: str, now: datetime) -> bool:
    """Below both limits of "you now have a seat" emails: per recipient and per account.

    The caller holds the account's lock (lock_subscription), so two assignments at the same
    moment count each other."""
    since = now - SEAT_EMAIL_WINDOW
    recent = select(func.count()).select_from(m.EmailMessage).where(
        m.EmailMessage.kind == "seat_assigned", m.EmailMessage.created_at > since)
    to_user = session.scalar(recent.where(m.EmailMessage.to_address == address)) or 0
    from_account = session.scalar(recent.where(m.EmailMessage.account_id == account_id)) or 0
    return to_user < SEAT_EMAILS_PER_USER and from_account < SEAT_EMAILS_PER_ACCOUNT


def unassign_seat(session: Session, clock=None, *, contact_id, subscription_id, user_id,
                  ip: str | None = None) -> None:
    """Take the subscription's seat back from the user (the seat stays bought, now free)."""
    clock = clock or RealClock()
    contact, account = load_contact(session, contact_id)
    sub, product, account, _assigned = lock_subscription(session, int_id(subscription_id), account.id)
    user = account_user(session, account.id, user_id)
    gone = session.execute(delete(m.SeatAssignment).where(m.SeatAssignment.subscription_id == sub.id,
                                                          m.SeatAssignment.user_id == user.id))
    if gone.rowcount != 1:
        raise SeatAssignmentRefused("not_assigned")
    audit(session, clock, contact, "seat_unassigned",
           {"subscription": sub.id, "product": product.code, "user": user.email}, ip)
    session.flush()
