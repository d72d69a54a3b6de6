"""The account's users (people who may hold seats), and their email addresses and passwords.

Operations take the caller's session and flush; the caller (the request, a CLI command)
commits or rolls back. Nothing here knows about Flask or HTTP.
"""
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpcenter.billing import models as m
from helpcenter.billing import identity, read
from helpcenter.billing.errors import UserInvalid
from helpcenter.billing.accounts import seat_user
from helpcenter.billing.common import RealClock, audit, load_contact, lock_account


NAME_MAX = 100


MAX_USERS_PER_ACCOUNT = 1000  # users an account may hold (the largest demo account has 250)


EMAIL_MAX = 254


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def hash_password(password: str, passwords: identity.Passwords | None = None) -> str:
    """An argon2id hash of the password (the production profile unless told otherwise)."""
    return (passwords or identity.PRODUCTION_PASSWORDS).hash(password)


normalize_email = identity.normalize_email


def add_user(session: Session, clock=None, *, contact_id, name: str, email: str,
             ip: str | None = None) -> read.SeatUser:
    """Add a person to the account (without a seat yet)."""
    clock = clock or RealClock()
    contact, account = load_contact(session, contact_id)
    # The account's lock serialises additions: two requests adding one address cannot both pass the check.
    account = lock_account(session, account.id)
    clean_name = " ".join((name or "").split())
    address = normalize_email(email)
    errors = {}
    if not clean_name:
        errors["name"] = "required"
    elif len(clean_name) > NAME_MAX:
        errors["name"] = "too_long"
    if len(address) > EMAIL_MAX or not EMAIL_RE.match(address) or not address.isprintable():
        errors["email"] = "invalid"
    elif session.scalar(select(m.AccountUser.id).where(m.AccountUser.account_id == account.id,
                                                       m.AccountUser.email == address)) is not None:
        errors["email"] = "taken"
    if not errors and session.scalar(select(func.count()).select_from(m.AccountUser)
                                     .where(m.AccountUser.account_id == account.id)) >= MAX_USERS_PER_ACCOUNT:
        errors["email"] = "too_many_users"
    if errors:
        raise UserInvalid(errors)
    user = m.AccountUser(account_id=account.id, name=clean_name, email=address, created_at=clock.now())
    session.add(user)
    session.flush()
    audit(session, clock, contact, "user_added", {"user": address, "name": clean_name}, ip)
    return seat_user(user, False)
