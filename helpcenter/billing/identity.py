"""Identity: password hashing, signing a contact in (with throttling), and session revocation.

Like the rest of the billing backend this knows nothing of Flask: the web layer passes the
`Passwords` of its app (the hash profile is a setting) and the client's address.

Throttling, in the order it is checked (SECURITY.md, "Rate limits"):

1. per (email, address): PAIR_FAILURES failures within THROTTLE_WINDOW refuse further
   attempts from that address for that email, even with the right password;
2. per email, from every address: EMAIL_FAILURES failures within the window (slower to
   trigger) refuse addresses that have themselves failed for that email. An address that has
   not failed keeps its attempt, so a stranger who knows the email cannot lock its owner out.

Sessions carry the contact's `session_generation`; signing out bumps it, which revokes every
session (and every copied cookie) of the contact on the server.
"""
import math
from dataclasses import dataclass, field
from datetime import timedelta, timezone

import argon2.profiles
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import read
from helpcenter.billing.errors import SignInFailed, SignInThrottled

THROTTLE_WINDOW = timedelta(minutes=15)
PAIR_FAILURES = 5  # per (email, address) within the window
EMAIL_FAILURES = 20  # per email, all addresses together, within the window
PASSWORD_MAX = 1024
EMAIL_MAX = 254

# Argon2id parameter sets by name (the PASSWORD_HASH_PROFILE setting). Production must use
# PRODUCTION_PROFILE (config.py refuses anything else); tests use the cheapest.
HASH_PROFILES = {
    "RFC_9106_LOW_MEMORY": argon2.profiles.RFC_9106_LOW_MEMORY,
    "CHEAPEST": argon2.profiles.CHEAPEST,
}
PRODUCTION_PROFILE = "RFC_9106_LOW_MEMORY"


@dataclass
class Passwords:
    """An argon2id hasher for one parameter profile, with its dummy hash for unknown emails."""

    profile: str = PRODUCTION_PROFILE
    _hasher: PasswordHasher = field(init=False, repr=False)
    _dummy: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        if self.profile not in HASH_PROFILES:
            raise ValueError(f"unknown password hash profile {self.profile!r}; one of {sorted(HASH_PROFILES)}")
        self._hasher = PasswordHasher.from_parameters(HASH_PROFILES[self.profile])

    @property
    def parameters(self) -> argon2.Parameters:
        return HASH_PROFILES[self.profile]

    def hash(self, password: str) -> str:
        """An argon2id hash of the password."""
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def dummy(self) -> str:
        """A hash to verify against when the email is unknown, so both paths take the same time."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("no such contact")
        return self._dummy


PRODUCTION_PASSWORDS = Passwords(PRODUCTION_PROFILE)


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _utc(value):
    """SQLite gives naive datetimes back: every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _minutes_until(oldest_counted, now) -> int:
    until = _utc(oldest_counted) + THROTTLE_WINDOW
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _check_throttle(session: Session, address: str, ip: str | None, now) -> None:
    """Raise SignInThrottled when this address, or every failed address, is held back for this email."""
    window_start = now - THROTTLE_WINDOW
    recent = (m.SignInFailure.email == address, m.SignInFailure.at > window_start)
    ip_is = m.SignInFailure.ip.is_(None) if ip is None else m.SignInFailure.ip == ip
    pair = session.scalars(select(m.SignInFailure.at).where(*recent, ip_is)
                          .order_by(m.SignInFailure.at.desc()).limit(PAIR_FAILURES)).all()
    if len(pair) >= PAIR_FAILURES:
        raise SignInThrottled(minutes=_minutes_until(pair[-1], now))
    if not pair:
        return  # an address that has not failed may always try (the owner's own computer)
    everyone = session.scalars(select(m.SignInFailure.at).where(*recent)
                              .order_by(m.SignInFailure.at.desc()).limit(EMAIL_FAILURES)).all()
    if len(everyone) >= EMAIL_FAILURES:
        raise SignInThrottled(minutes=_minutes_until(everyone[-1], now))


def authenticate(session: Session, clock, email: str, password: str, *, ip: str | None = None,
                 passwords: Passwords | None = None) -> read.Contact:
    """The contact with this email and password; SignInFailed, or SignInThrottled (module docstring)."""
    passwords = passwords or PRODUCTION_PASSWORDS
    address = normalize_email(email)[:EMAIL_MAX]
    ip = ip and str(ip)[:45]
    now = clock.now()
    _check_throttle(session, address, ip, now)
    row = session.execute(select(m.Contact, m.Account).join(m.Account, m.Contact.account_id == m.Account.id)
                          .where(m.Contact.email == address)).first()
    password = password or ""
    # Verify even for an unknown email (against a dummy hash) so the answer takes as long.
    stored = row[0].password_hash if row is not None else passwords.dummy()
    verified = passwords.verify(stored, password[:PASSWORD_MAX]) and len(password) <= PASSWORD_MAX
    if row is None or not verified:
        session.execute(delete(m.SignInFailure).where(m.SignInFailure.email == address,
                                                      m.SignInFailure.at <= now - THROTTLE_WINDOW))
        session.add(m.SignInFailure(email=address, at=now, ip=ip))
        session.flush()  # the caller commits the failure even though sign-in is refused
        raise SignInFailed()
    contact, account = row
    if passwords.needs_rehash(contact.password_hash):
        contact.password_hash = passwords.hash(password)
    # Only this address's failures are forgiven: a stranger's failures elsewhere still count.
    ip_is = m.SignInFailure.ip.is_(None) if ip is None else m.SignInFailure.ip == ip
    session.execute(delete(m.SignInFailure).where(m.SignInFailure.email == address, ip_is))
    session.flush()
    return _contact_read(contact, account)


def _contact_read(contact: m.Contact, account: m.Account) -> read.Contact:
    # The service module builds read models; imported here because it imports this module.
    from helpcenter.billing.accounts import contact_read as build
    return build(contact, account)


# --- session revocation -----------------------------------------------------------

def signed_in_contact(session: Session, contact_id, generation) -> read.Contact | None:
    """The contact of a session, or None when the contact is gone or the session was revoked."""
    try:
        contact_id, generation = int(contact_id), int(generation)
    except (TypeError, ValueError):
        return None
    if not 0 < contact_id < 2 ** 31:
        return None
    row = session.execute(select(m.Contact, m.Account).join(m.Account, m.Contact.account_id == m.Account.id)
                          .where(m.Contact.id == contact_id)).first()
    if row is None or (row[0].session_generation or 0) != generation:
        return None
    return _contact_read(*row)


def session_generation(session: Session, contact_id: int) -> int | None:
    """The contact's current session generation (None for a removed contact)."""
    return session.scalar(select(m.Contact.session_generation).where(m.Contact.id == contact_id))


def end_sessions(session: Session, contact_id: int) -> None:
    """Revoke every session of the contact (sign-out): the next request of any of them is signed out."""
    table = m.Contact.__table__
    session.execute(update(table).where(table.c.id == contact_id)
                    .values(session_generation=func.coalesce(table.c.session_generation, 0) + 1))
