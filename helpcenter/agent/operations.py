"""What an agent does beyond reading: looking at a customer's trail (recorded in the account's
audit trail), marking a request answered; and the trail as the page shows it. Like every
operation, these only flush: the request commits or rolls back (helpcenter/db.py)."""
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpcenter.agent import sources
from helpcenter.billing import models as billing_models
from helpcenter.billing import read, service
from helpcenter.staff import DEFAULT_TIME_ZONE, StaffMember

TRAIL_VIEWED = "agent_viewed_trail"
REQUEST_ANSWERED = "agent_answered_request"


def zone_of(member: StaffMember) -> ZoneInfo:
    """The agent's time zone (the default one when the stored name is unknown)."""
    try:
        return ZoneInfo(member.time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass
class TrailPage:
    """A trail with what the billing backend knows about it: the customer, the order, the emails."""

    trail: sources.Trail
    contact: read.Contact | None
    orders: list[read.Order] = field(default_factory=list)
    emails: list[billing_models.EmailMessage] = field(default_factory=list)


def view_trail(db: Session, member: StaffMember, reference: str, *, ip: str | None, now: datetime) -> TrailPage | None:
    """The trail of a reference, its view recorded in the customer's audit trail; None when unknown."""
    trail = sources.find_trail(db, reference)
    if trail is None:
        return None
    contact = service.get_contact(db, trail.contact_id) if trail.contact_id is not None else None
    page = TrailPage(trail=trail, contact=contact)
    if contact is not None:
        for order_id in trail.order_ids:
            order = service.find_order(db, contact.account_id, order_id=order_id)
            if order is not None:
                page.orders.append(order)
        if page.orders:
            page.emails = list(db.scalars(select(billing_models.EmailMessage)
                                          .where(billing_models.EmailMessage.order_id.in_([o.id for o in page.orders]))
                                          .order_by(billing_models.EmailMessage.created_at)))
        _audit(db, member, contact.account_id, TRAIL_VIEWED, {"reference": reference}, ip, now)
    return page


def mark_answered(db: Session, member: StaffMember, request_id: int, *, ip: str | None, now: datetime):
    """Mark a support request answered (recorded in the account's audit trail when it has one)."""
    req = sources.mark_request_answered(db, request_id, now)
    if req is not None and req.account_id is not None:
        _audit(db, member, req.account_id, REQUEST_ANSWERED, {"request": request_id}, ip, now)
    return req


def _audit(db: Session, member: StaffMember, account_id: int, action: str, details: dict,
           ip: str | None, now: datetime) -> None:
    # The audit trail belongs to the account; the actor is the agent (no contact of the account).
    db.add(billing_models.AuditEvent(account_id=account_id, contact_id=None, actor_email=member.email,
                                     action=action, details={"agent": member.name, **details},
                                     ip=(ip or None) and str(ip)[:45], at=now))


def account_names(db: Session, account_ids) -> dict[int, str]:
    """Names of the accounts some requests came from (one query)."""
    wanted = {a for a in account_ids if a is not None}
    if not wanted:
        return {}
    return dict(db.execute(select(billing_models.Account.id, billing_models.Account.name)
                           .where(billing_models.Account.id.in_(wanted))).all())
