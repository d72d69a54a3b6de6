"""Signing a contact in: argon2 hashes, the same answer for unknown emails and wrong
passwords, throttling after repeated failures, and the corporate flag and role."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing import identity, service
from helpcenter.billing.errors import SignInFailed, SignInThrottled

CHEAP = identity.Passwords("CHEAPEST")  # the suite's profile (the demo's hashes are made with it)


def test_a_billing_contact_signs_in(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", passwords=CHEAP)
    assert contact.email == "billing@dupont.example"
    assert contact.is_billing_contact and contact.role == "billing_contact"
    assert contact.account_name == "Atelier Dupont SARL" and contact.locale == "fr"
    assert not contact.corporate and contact.advisor is None


def test_email_is_case_and_space_insensitive(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "  Billing@Dupont.Example ", "demo-pass-fr", passwords=CHEAP)
    assert contact.email == "billing@dupont.example"


def test_the_corporate_flag_and_advisor_come_with_the_contact(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "billing@globex.example", "demo-pass-corp", passwords=CHEAP)
    assert contact.corporate
    assert (contact.advisor.name, contact.advisor.email, contact.advisor.phone) == (
        "Jordan Lee", "jordan.lee@vendor.example", "+1 555 0100")


def test_an_admin_is_not_a_billing_contact(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "admin@dupont.example", "demo-pass-admin", passwords=CHEAP)
    assert contact.role == "admin" and not contact.is_billing_contact


@pytest.mark.parametrize("email, password", [
    ("billing@dupont.example", "wrong"),
    ("billing@dupont.example", ""),
    ("nobody@dupont.example", "demo-pass-fr"),
    ("billing@dupont.example", "demo-pass-fr" + "x" * 2000),
])
def test_wrong_credentials_get_one_answer(demo, db_session, clock, email, password):
    with pytest.raises(SignInFailed) as failed:
        service.authenticate(db_session, clock, email, password, passwords=CHEAP)
    assert failed.value.code == "bad_credentials"


def test_passwords_are_stored_as_argon2id_hashes(demo, db_session):
    hashes = db_session.scalars(select(m.Contact.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("demo-pass" in h for h in hashes)


def test_an_unknown_email_is_verified_against_a_dummy_hash(demo, db_session, clock, monkeypatch):
    """Timing safety: the slow hash check runs whether or not the email exists."""
    passwords = identity.Passwords("CHEAPEST")
    calls = []
    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda stored, password: calls.append(stored) or real(stored, password))
    for email in ("nobody@example.com", "billing@dupont.example"):
        with pytest.raises(SignInFailed):
            service.authenticate(db_session, clock, email, "wrong", passwords=passwords)
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def _fail(db_session, clock, ip, email="billing@dupont.example", times=1):
    for _ in range(times):
        with pytest.raises(SignInFailed):
            service.authenticate(db_session, clock, email, "wrong", ip=ip, passwords=CHEAP)


def test_five_failures_throttle_the_email_from_that_address_for_the_window(demo, db_session, clock):
    _fail(db_session, clock, "192.0.2.1", times=5)
    # Even the right password is refused from that address while throttled, with the minutes to wait.
    with pytest.raises(SignInThrottled) as throttled:
        service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="192.0.2.1", passwords=CHEAP)
    assert throttled.value.code == "throttled" and throttled.value.params == {"minutes": 15}
    clock.advance(timedelta(minutes=10))
    with pytest.raises(SignInThrottled) as throttled:
        service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="192.0.2.1", passwords=CHEAP)
    assert throttled.value.params["minutes"] == 5
    # Other emails are not affected.
    service.authenticate(db_session, clock, "billing@northwind.example", "demo-pass-en", ip="192.0.2.1", passwords=CHEAP)
    clock.advance(timedelta(minutes=5, seconds=1))
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="192.0.2.1", passwords=CHEAP)
    assert contact.email == "billing@dupont.example"
    # A success clears that address's failures.
    assert db_session.scalar(select(func.count()).select_from(m.SignInFailure)
                             .where(m.SignInFailure.email == "billing@dupont.example")) == 0


def test_a_strangers_failures_never_lock_the_owner_out(demo, db_session, clock):
    """Five wrong passwords from another address used to lock the owner out for 15 minutes."""
    _fail(db_session, clock, "203.0.113.66", times=5)
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="198.51.100.7", passwords=CHEAP)
    assert contact.email == "billing@dupont.example"
    # Many addresses together (a botnet) trip the slower per-email throttle...
    for n in range(identity.EMAIL_FAILURES):
        _fail(db_session, clock, f"203.0.113.{n + 1}")
    # ...which holds back the addresses that failed,
    with pytest.raises(SignInThrottled):
        service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="203.0.113.1", passwords=CHEAP)
    # but never the owner's correct password from an address that has not failed.
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="198.51.100.7", passwords=CHEAP)
    assert contact.email == "billing@dupont.example"
    # The attackers' failures stay counted after the owner's success.
    with pytest.raises(SignInThrottled):
        service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="203.0.113.2", passwords=CHEAP)


def test_below_the_per_email_threshold_a_failed_address_may_still_try(demo, db_session, clock):
    for n in range(identity.EMAIL_FAILURES - 1):
        _fail(db_session, clock, f"203.0.113.{n + 1}")
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="203.0.113.1", passwords=CHEAP)
    assert contact.email == "billing@dupont.example"


def test_four_failures_do_not_throttle(demo, db_session, clock):
    _fail(db_session, clock, "192.0.2.1", times=4)
    assert service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", ip="192.0.2.1", passwords=CHEAP)


# --- the hash profile -------------------------------------------------------------

def test_the_hash_profile_is_a_setting(app, demo, db_session, clock):
    assert app.extensions["passwords"].profile == "CHEAPEST"  # the suite's setting: fast tests
    cheap = identity.Passwords("CHEAPEST").hash("x")
    real = identity.Passwords("RFC_9106_LOW_MEMORY").hash("x")
    assert "m=8,t=1,p=1" in cheap and "m=65536,t=3,p=4" in real
    with pytest.raises(ValueError):
        identity.Passwords("NOPE")


def test_signing_in_upgrades_a_hash_made_with_another_profile(demo, db_session, clock):
    production = identity.Passwords("RFC_9106_LOW_MEMORY")
    service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr", passwords=production)
    stored = db_session.scalar(select(m.Contact.password_hash).where(m.Contact.email == "billing@dupont.example"))
    assert "m=65536,t=3,p=4" in stored


def test_get_contact(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "billing@northwind.example", "demo-pass-en", passwords=CHEAP)
    assert service.get_contact(db_session, contact.contact_id) == contact
    assert service.get_contact(db_session, 999999) is None
    assert service.get_contact(db_session, "not-a-number") is None
