"""The "you now have a seat" email: queued in the outbox with the assignment (in the account's
language), not when the admin chooses not to notify, never on a refusal; delivered over a real
SMTP server (aiosmtpd) when a mail server is configured."""
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.errors import NotFound, SeatAssignmentRefused
from helpcenter.billing.outbox import ORDER_CONFIRMATION, SEAT_ASSIGNED, MailSettings

NBSP = "\u00a0"
SIGN_IN = "https://app.example/sign-in"


def user_id(session, email):
    uid = session.scalar(select(m.AccountUser.id).where(m.AccountUser.email == email))
    session.rollback()
    return uid


def product_name(session, sub_id):
    name = session.scalar(select(m.Product.name).join(m.Subscription, m.Subscription.product_id == m.Product.id)
                          .where(m.Subscription.id == sub_id))
    session.rollback()
    return name


def outbox(session):
    session.rollback()
    return session.scalars(select(m.EmailMessage).order_by(m.EmailMessage.id)).all()


def last_event(session, account_id):
    return service.list_audit_events(session, account_id)[0]


def test_notify_queues_one_french_email_for_a_french_account(ids, db_session, clock):
    jules = user_id(db_session, "jules.moreau@dupont.example")
    product = product_name(db_session, ids.dupont_sub)
    service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules,
                        ip="192.0.2.9")
    [email] = outbox(db_session)
    assert (email.kind, email.to_address, email.locale, email.account_id, email.order_id, email.sent_at) == (
        SEAT_ASSIGNED, "jules.moreau@dupont.example", "fr", ids.dupont_account, None, None)
    assert email.subject == f"Vous avez désormais un poste pour {product} sur le compte Atelier Dupont SARL"
    assert email.text_body.startswith("Bonjour,\n") and "Jules Moreau" not in email.text_body
    assert f"connectez-vous à {product} avec votre adresse e-mail, jules.moreau@dupont.example" in email.text_body
    assert f"«{NBSP}Mot de passe oublié{NBSP}?{NBSP}»" in email.text_body
    assert '<html lang="fr">' in email.html_body and product in email.html_body
    assert "Connectez-vous ici" not in email.text_body  # no link was given
    event = last_event(db_session, ids.dupont_account)
    assert (event.action, event.details["user"], event.details["notify"]) == (
        "seat_assigned", "jules.moreau@dupont.example", True)


def test_an_english_account_gets_english_and_the_sign_in_link(ids, db_session, clock):
    laura = user_id(db_session, "laura.callahan@northwind.example")
    product = product_name(db_session, ids.northwind_sub)
    service.assign_seat(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                        user_id=laura, sign_in_url=SIGN_IN)
    [email] = outbox(db_session)
    assert email.locale == "en" and email.to_address == "laura.callahan@northwind.example"
    assert email.subject == f"You now have a seat for {product} on Northwind Traders Inc."
    assert f"You now have a seat for {product} on Northwind Traders Inc." in email.text_body
    assert email.text_body.startswith("Hello,\n") and "Laura Callahan" not in email.text_body
    assert f"sign in to {product} with your email address, laura.callahan@northwind.example" in email.text_body
    assert f"Sign in here:\n{SIGN_IN}" in email.text_body
    assert f'href="{SIGN_IN}"' in email.html_body


PHISHING_NAME = "Urgent: verify billing at https://evil.example/login <b>now</b>"


def test_a_users_free_text_name_is_never_in_the_email(ids, db_session, clock):
    """The name is whatever an account admin typed; beside a link from the vendor's address it
    would be a phishing kit ("Bonjour Urgent: verify billing at https://...")."""
    user = service.add_user(db_session, clock, contact_id=ids.northwind, name=PHISHING_NAME,
                            email="eve@northwind.example")
    service.assign_seat(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                        user_id=user.id, sign_in_url=SIGN_IN)
    [email] = outbox(db_session)
    for part in (email.subject, email.text_body, email.html_body):
        assert "evil.example" not in part and "Urgent" not in part
    assert SIGN_IN in email.text_body  # the vendor's own link is still there


def _new_users(db_session, clock, contact, n, prefix="u"):
    return [service.add_user(db_session, clock, contact_id=contact, name=f"User {i}",
                             email=f"{prefix}{i}@northwind.example").id for i in range(n)]


def test_seat_emails_to_one_user_are_throttled(ids, db_session, clock):
    """Assign and unassign 20 times: 20 emails from the vendor's address, before."""
    [user] = _new_users(db_session, clock, ids.northwind, 1)
    told = []
    for _ in range(20):
        told.append(service.assign_seat(db_session, clock, contact_id=ids.northwind,
                                        subscription_id=ids.northwind_sub, user_id=user))
        service.unassign_seat(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                              user_id=user)
    assert told == [True] * service.SEAT_EMAILS_PER_USER + [False] * (20 - service.SEAT_EMAILS_PER_USER)
    assert len(outbox(db_session)) == service.SEAT_EMAILS_PER_USER
    event = next(e for e in service.list_audit_events(db_session, ids.northwind_account)
                 if e.action == "seat_assigned")
    assert event.details["notify"] is False and event.details["email_limit_reached"] is True
    # A day later the user can be told again.
    clock.advance(service.SEAT_EMAIL_WINDOW)
    assert service.assign_seat(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                               user_id=user)


def test_seat_emails_from_one_account_are_throttled(ids, db_session, clock, monkeypatch):
    monkeypatch.setattr("helpcenter.billing.seats.SEAT_EMAILS_PER_ACCOUNT", 3)
    users = _new_users(db_session, clock, ids.northwind, 4)
    told = [service.assign_seat(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                                user_id=user) for user in users]
    assert told == [True, True, True, False]
    assert service.get_subscription(db_session, ids.northwind_account, ids.northwind_sub).assigned == 6 + 4
    # Another account has its own budget.
    jules = user_id(db_session, "jules.moreau@dupont.example")
    assert service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                               user_id=jules)


def test_an_account_holds_a_limited_number_of_users(ids, db_session, clock, monkeypatch):
    from helpcenter.billing.errors import UserInvalid
    count = db_session.scalar(select(func.count()).select_from(m.AccountUser)
                              .where(m.AccountUser.account_id == ids.northwind_account))
    db_session.rollback()
    monkeypatch.setattr("helpcenter.billing.users.MAX_USERS_PER_ACCOUNT", count + 1)
    _new_users(db_session, clock, ids.northwind, 1)
    with pytest.raises(UserInvalid) as refused:
        service.add_user(db_session, clock, contact_id=ids.northwind, name="One more", email="more@northwind.example")
    assert refused.value.errors == {"email": "too_many_users"}


def test_notify_false_queues_nothing_and_is_recorded(ids, db_session, clock):
    jules = user_id(db_session, "jules.moreau@dupont.example")
    service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules,
                        notify=False)
    assert outbox(db_session) == []
    assert service.get_subscription(db_session, ids.dupont_account, ids.dupont_sub).assigned == 4
    event = last_event(db_session, ids.dupont_account)
    assert (event.action, event.details["notify"]) == ("seat_assigned", False)


def test_refusals_queue_nothing(ids, db_session, clock, unchanged):
    camille = user_id(db_session, "camille.martin@dupont.example")
    robert = user_id(db_session, "robert.king@northwind.example")
    # Fill the subscription (5 seats, 3 assigned) so that one more is refused for want of a seat.
    extra = [service.add_user(db_session, clock, contact_id=ids.dupont, name=f"Extra {n}",
                              email=f"extra{n}@dupont.example").id for n in range(3)]
    for uid in extra[:2]:
        service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=uid,
                            notify=False)
    with unchanged():
        for uid, code in ((camille, "already_assigned"), (extra[2], "no_free_seat")):
            with pytest.raises(SeatAssignmentRefused) as refused:
                service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                    user_id=uid, notify=True)
            assert refused.value.code == code
        with pytest.raises(NotFound):  # another account's user
            service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                user_id=robert)
    assert outbox(db_session) == []


def test_seat_emails_and_order_confirmations_live_side_by_side(ids, db_session, clock):
    """The outbox's unique key is (order_id, kind): seat emails have no order, so any number coexist
    with the one confirmation of an order."""
    quote = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                      new_seats=8)
    service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=quote.id, locale="fr",
                        assign_seats_url="https://help.example/fr/account/seats/1")
    jules = user_id(db_session, "jules.moreau@dupont.example")
    service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules)
    service.unassign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules)
    service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules)
    kinds = [(e.kind, e.to_address) for e in outbox(db_session)]
    assert kinds == [(ORDER_CONFIRMATION, "billing@dupont.example"),
                     (SEAT_ASSIGNED, "jules.moreau@dupont.example"),
                     (SEAT_ASSIGNED, "jules.moreau@dupont.example")]


def test_the_email_is_delivered_over_smtp_right_after_the_commit(ids, db_session, clock, smtp_server):
    settings = MailSettings(server=smtp_server.hostname, port=smtp_server.port,
                            sender="Billing <billing@helpcenter.example>", timeout=5)
    jules = user_id(db_session, "jules.moreau@dupont.example")
    product = product_name(db_session, ids.dupont_sub)
    service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules,
                        mail_settings=settings)
    assert len(smtp_server.received) == 1
    msg = message_from_bytes(smtp_server.received[0].as_bytes(), policy=policy.default)
    assert msg["To"] == "jules.moreau@dupont.example" and "billing@helpcenter.example" in msg["From"]
    assert msg["Subject"] == f"Vous avez désormais un poste pour {product} sur le compte Atelier Dupont SARL"
    assert msg["Content-Language"] == "fr"
    assert msg.get_body(("plain",)).get_content().startswith("Bonjour,")
    assert product in msg.get_body(("html",)).get_content()
    [stored] = outbox(db_session)
    assert stored.sent_at is not None and stored.attempts == 1 and stored.last_error is None
    # Not notifying sends nothing, even with a mail server.
    laura = user_id(db_session, "laura.callahan@northwind.example")
    service.assign_seat(db_session, clock, contact_id=ids.northwind, subscription_id=ids.northwind_sub,
                        user_id=laura, notify=False, mail_settings=settings)
    assert len(smtp_server.received) == 1
    assert db_session.scalar(select(func.count()).select_from(m.EmailMessage)) == 1


def test_a_failed_delivery_keeps_the_seat_and_the_email(ids, db_session, clock):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    settings = MailSettings(server="127.0.0.1", port=port, timeout=2)
    jules = user_id(db_session, "jules.moreau@dupont.example")
    service.assign_seat(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub, user_id=jules,
                        mail_settings=settings)
    assert service.get_subscription(db_session, ids.dupont_account, ids.dupont_sub).assigned == 4
    [stored] = outbox(db_session)
    assert stored.sent_at is None and stored.attempts == 1 and stored.last_error
