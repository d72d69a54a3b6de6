"""Vendor staff (support agents): who they are, how they sign in, and the session that says so.

Agents are not contacts of a customer account. They sign in on the customers' sign-in page
(helpcenter/auth tries staff only when no contact matches, after the same throttle), and the
session holds `staff_id` instead of `contact_id`, so `current_contact()` is None for them:
every billing page treats an agent as a visitor who is not a customer.
"""
import functools
import secrets
from datetime import datetime, timezone

from flask import abort, current_app, g, request, session
from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from helpcenter.billing.identity import PASSWORD_MAX, Passwords
from helpcenter.db import Base, get_session

DEFAULT_TIME_ZONE = "Europe/Paris"
DEMO_STAFF = [("agent@vendor.example", "Sam Rivière", "demo-pass-agent", "Europe/Paris")]
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"  # POSIX seconds from the app's clock, as for contacts


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


def authenticate_staff(db: Session, email: str, password: str, passwords: Passwords,
                       ip: str | None = None) -> StaffMember | None:
    """The staff member with this email and password, else None.

    Called only after the billing backend refused the same credentials as a contact's, which
    throttled the email and counted the failure; a success forgives this address's failures,
    as for contacts.
    """
    from helpcenter.billing.models import SignInFailure
    address = (email or "").strip().lower()[:254]
    password = password or ""
    member = db.scalar(select(StaffMember).where(StaffMember.email == address))
    # Verify even when no staff member has the email, so that the answer takes as long.
    stored = member.password_hash if member is not None else passwords.dummy()
    verified = passwords.verify(stored, password[:PASSWORD_MAX]) and len(password) <= PASSWORD_MAX
    if member is None or not verified:
        return None
    if passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash(password)
    ip = ip and str(ip)[:45]
    ip_is = SignInFailure.ip.is_(None) if ip is None else SignInFailure.ip == ip
    db.execute(delete(SignInFailure).where(SignInFailure.email == address, ip_is))
    return member  # the request commits the forgiven failures (and a new hash) with the sign-in


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
    session[SIGNED_IN_AT] = session[SEEN_AT] = _now()
    g.staff = member


def staff_required(view):
    """The page exists only for signed-in staff: 404 for customers and anonymous visitors alike."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_staff() is None:
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def seed_demo_staff(db: Session, passwords: Passwords | None = None) -> None:
    """The spec's demo agent, where missing (hashed with the app's profile). The caller commits."""
    from helpcenter.billing.demo import _demo_hash
    profile = (passwords or Passwords()).profile
    for email, name, password, zone in DEMO_STAFF:
        if db.scalar(select(StaffMember.id).where(StaffMember.email == email)) is None:
            db.add(StaffMember(email=email, name=name, password_hash=_demo_hash(password, profile), time_zone=zone,
                               created_at=datetime.now(timezone.utc)))
    db.flush()


def _now() -> float:
    return current_app.extensions["clock"].now().timestamp()


def _end_expired_staff_session() -> None:
    """A staff session idle for longer than PERMANENT_SESSION_LIFETIME, or older than
    SESSION_ABSOLUTE_LIFETIME, is signed out (the same limits as a contact's)."""
    if "staff_id" not in session or request.endpoint == "static":
        return
    now = _now()
    seen, signed_in = session.get(SEEN_AT), session.get(SIGNED_IN_AT)
    config = current_app.config
    if (not isinstance(seen, (int, float)) or not isinstance(signed_in, (int, float))
            or now - seen > config["PERMANENT_SESSION_LIFETIME"].total_seconds()
            or now - signed_in > config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()):
        session.clear()
        g.staff = None
        return
    session[SEEN_AT] = now


def init_app(app) -> None:
    app.before_request(_end_expired_staff_session)
    app.jinja_env.globals["signed_in_staff"] = current_staff
