"""Vendor staff (support agents): who they are, how they sign in, and the session that says so.

Agents are not contacts of a customer account. They sign in on the customers' sign-in page
(helpcenter/auth tries staff only when no contact matches, after the same throttle), and the
session holds `staff_id` instead of `contact_id`, so `current_contact()` is None for them:
every billing page treats an agent as a visitor who is not a customer.
"""
import functools
import secrets
import time
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, request, session
from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from helpcenter.db import Base, get_session

DEFAULT_TIME_ZONE = "Europe/Paris"
PASSWORD_MAX = 1024
DEMO_STAFF = [("agent@vendor.example", "Sam Rivière", "demo-pass-agent", "Europe/Paris")]

_hasher = PasswordHasher()
_dummy_hash: str | None = None


class StaffMember(Base):
    """Someone of the vendor's support team."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The zone in which the agent reads the times of a customer's trail.
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _dummy() -> str:
    """A hash to verify against when no staff member has the email: both paths take as long."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def authenticate_staff(db: Session, email: str, password: str) -> StaffMember | None:
    """The staff member with this email and password, else None.

    Called only after the billing backend refused the same credentials as a contact's, which
    throttled the email and counted the failure; a success clears that count, as for contacts.
    """
    from helpcenter.billing.models import SignInFailure
    address = (email or "").strip().lower()[:254]
    password = password or ""
    member = db.scalar(select(StaffMember).where(StaffMember.email == address))
    try:
        verified = (_hasher.verify(member.password_hash if member else _dummy(), password[:PASSWORD_MAX])
                    and len(password) <= PASSWORD_MAX)
    except (VerificationError, InvalidHashError):
        verified = False
    if member is None or not verified:
        return None
    db.execute(delete(SignInFailure).where(SignInFailure.email == address))
    db.commit()
    return member


def current_staff() -> StaffMember | None:
    """The signed-in staff member, or None."""
    if "staff" not in g:
        staff_id = session.get("staff_id")
        member = get_session().get(StaffMember, staff_id) if isinstance(staff_id, int) else None
        if staff_id is not None and member is None:
            session.clear()
        g.staff = member
    return g.staff


def sign_in_staff(member: StaffMember) -> None:
    """Start a fresh session for this staff member (nothing of a customer's session is kept)."""
    session.clear()
    session.permanent = True
    session["staff_id"] = member.id
    session["sid"] = secrets.token_urlsafe(16)
    session["seen_at"] = int(time.time())
    g.staff = member


def staff_required(view):
    """The page exists only for signed-in staff: 404 for customers and anonymous visitors alike."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_staff() is None:
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def seed_demo_staff(db: Session) -> None:
    """The spec's demo agent, where missing. The caller commits."""
    from helpcenter.billing.demo import _demo_hash
    for email, name, password, zone in DEMO_STAFF:
        if db.scalar(select(StaffMember.id).where(StaffMember.email == email)) is None:
            db.add(StaffMember(email=email, name=name, password_hash=_demo_hash(password), time_zone=zone,
                               created_at=datetime.now(timezone.utc)))
    db.flush()


def _end_idle_staff_session() -> None:
    """A staff session idle for longer than PERMANENT_SESSION_LIFETIME is signed out."""
    if "staff_id" not in session or request.endpoint == "static":
        return
    now = time.time()
    seen = session.get("seen_at")
    if not isinstance(seen, (int, float)) or now - seen > current_app.permanent_session_lifetime.total_seconds():
        session.clear()
        g.staff = None
        return
    session["seen_at"] = int(now)


def init_app(app) -> None:
    app.before_request(_end_idle_staff_session)
    app.jinja_env.globals["signed_in_staff"] = current_staff
