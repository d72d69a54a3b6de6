"""Signing a contact in: argon2 hashes, the same answer for unknown emails and wrong
passwords, throttling after repeated failures, and the corporate flag and role."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import SignInFailed, SignInThrottled


def test_a_billing_contact_signs_in(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr")
    assert contact.email == "billing@dupont.example"
    assert contact.is_billing_contact and contact.role == "billing_contact"
    assert contact.account_name == "Atelier Dupont SARL" and contact.locale == "fr"
    assert not contact.corporate and contact.advisor is None


def test_email_is_case_and_space_insensitive(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "  Billing@Dupont.Example ", "demo-pass-fr")
    assert contact.email == "billing@dupont.example"


def test_the_corporate_flag_and_advisor_come_with_the_contact(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "billing@globex.example", "demo-pass-corp")
    assert contact.corporate
    assert (contact.advisor.name, contact.advisor.email, contact.advisor.phone) == (
        "Jordan Lee", "jordan.lee@vendor.example", "+1 555 0100")


def test_an_admin_is_not_a_billing_contact(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "admin@dupont.example", "demo-pass-admin")
    assert contact.role == "admin" and not contact.is_billing_contact


@pytest.mark.parametrize("email, password", [
    ("billing@dupont.example", "wrong"),
    ("billing@dupont.example", ""),
    ("nobody@dupont.example", "demo-pass-fr"),
    ("billing@dupont.example", "demo-pass-fr" + "x" * 2000),
])
def test_wrong_credentials_get_one_answer(demo, db_session, clock, email, password):
    with pytest.raises(SignInFailed) as failed:
        service.authenticate(db_session, clock, email, password)
    assert failed.value.code == "bad_credentials"


def test_passwords_are_stored_as_argon2id_hashes(demo, db_session):
    hashes = db_session.scalars(select(m.Contact.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("demo-pass" in h for h in hashes)


def test_an_unknown_email_is_verified_against_a_dummy_hash(demo, db_session, clock, monkeypatch):
    """Timing safety: the slow hash check runs whether or not the email exists."""
    calls = []
    real = service._hasher

    class Spy:
        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(service, "_hasher", Spy())
    for email in ("nobody@example.com", "billing@dupont.example"):
        with pytest.raises(SignInFailed):
            service.authenticate(db_session, clock, email, "wrong")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_five_failures_throttle_the_email_for_the_window(demo, db_session, clock):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            service.authenticate(db_session, clock, "billing@dupont.example", "wrong", ip="192.0.2.1")
    # Even the right password is refused while throttled, with the minutes to wait.
    with pytest.raises(SignInThrottled) as throttled:
        service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr")
    assert throttled.value.code == "throttled" and throttled.value.params == {"minutes": 15}
    clock.advance(timedelta(minutes=10))
    with pytest.raises(SignInThrottled) as throttled:
        service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr")
    assert throttled.value.params["minutes"] == 5
    # Other emails are not affected.
    service.authenticate(db_session, clock, "billing@northwind.example", "demo-pass-en")
    clock.advance(timedelta(minutes=5, seconds=1))
    contact = service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr")
    assert contact.email == "billing@dupont.example"
    # A success clears the failures.
    assert db_session.scalar(select(func.count()).select_from(m.SignInFailure)
                             .where(m.SignInFailure.email == "billing@dupont.example")) == 0


def test_four_failures_do_not_throttle(demo, db_session, clock):
    for _ in range(4):
        with pytest.raises(SignInFailed):
            service.authenticate(db_session, clock, "billing@dupont.example", "wrong")
    assert service.authenticate(db_session, clock, "billing@dupont.example", "demo-pass-fr")


def test_get_contact(demo, db_session, clock):
    contact = service.authenticate(db_session, clock, "billing@northwind.example", "demo-pass-en")
    assert service.get_contact(db_session, contact.contact_id) == contact
    assert service.get_contact(db_session, 999999) is None
    assert service.get_contact(db_session, "not-a-number") is None
