"""The confirmation email through a real SMTP server (aiosmtpd on loopback): figures,
language, text and HTML parts; a server that is down or silent leaves the message in the
outbox and the order stands; `send-mail` retries; without a server messages are kept."""
import logging
import socket
import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

from sqlalchemy import select

from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.billing.outbox import MailSettings, deliver_pending

URL = "https://help.example/{lang}/account/seats/{sub}"


def settings_for(server, **kw) -> MailSettings:
    return MailSettings(server=server.hostname, port=server.port, sender="Billing <billing@helpcenter.example>",
                        timeout=5, **kw)


def order(session, clock, contact, sub, seats, locale, mail=None):
    q = service.quote_seat_change(session, clock, contact_id=contact, subscription_id=sub, new_seats=seats)
    return service.place_order(session, clock, contact_id=contact, quote_id=q.id, locale=locale,
                               assign_seats_url=URL.format(lang=locale, sub=sub), mail_settings=mail)


def parts(received):
    """(message, text, html) of a message kept by aiosmtpd."""
    msg = message_from_bytes(received.as_bytes(), policy=policy.default)
    return msg, msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_french_confirmation_is_received_with_the_right_figures(ids, db_session, clock, smtp_server):
    placed = order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr", settings_for(smtp_server))
    assert len(smtp_server.received) == 1
    msg, text, html = parts(smtp_server.received[0])
    assert msg["To"] == "billing@dupont.example" and "billing@helpcenter.example" in msg["From"]
    assert msg["Subject"] == f"Confirmation de commande {placed.number}\u00a0: GoToAssist Remote Support v5"
    assert msg["Content-Language"] == "fr"
    for expected in (placed.number, "Agents", "Postes avant\u00a0: 5", "Postes après\u00a0: 8",
                     "du 26 novembre 2026 au 26 décembre 2026", "40,00\u00a0€ par poste et par mois",
                     "\u221293,33\u00a0€", "320,00\u00a0€", "TVA (20\u00a0%)\u00a0: 45,33\u00a0€", "Total\u00a0: 272,00\u00a0€",
                     "Nouvelle période à 8 postes\u00a0: 320,00\u00a0€", "Solde du compte utilisé\u00a0: 0,00\u00a0€", "Montant débité\u00a0: 272,00\u00a0€",
                     "Visa se terminant par 4242", URL.format(lang="fr", sub=ids.dupont_sub)):
        assert expected in text, expected
    assert '<html lang="fr">' in html and "272,00\u00a0€" in html and "Visa se terminant par 4242" in html
    assert f'href="{URL.format(lang="fr", sub=ids.dupont_sub)}"' in html
    db_session.rollback()
    stored = db_session.scalars(select(m.EmailMessage)).one()
    assert stored.sent_at is not None and stored.attempts == 1 and stored.last_error is None


def test_the_english_confirmation_shows_the_balance_applied(ids, db_session, clock, smtp_server):
    order(db_session, clock, ids.northwind, ids.northwind_sub, 12, "en", settings_for(smtp_server))
    msg, text, html = parts(smtp_server.received[0])
    assert msg["Subject"].startswith("Order confirmation HC-")
    for expected in ("Seats before: 10", "Seats after: 12", "Organizers", "$192.00 per seat per year",
                     "Credit for unused time: \u2212$1,393.97", "New period at 12 seats: $2,304.00",
                     "Total: $910.03", "Balance applied: $25.00", "Amount charged: $885.03",
                     "Mastercard ending 4444", "26 November 2026 to 26 November 2027"):
        assert expected in text, expected
    assert "$885.03" in html
    # No VAT applies outside the EU: no "VAT (0%)" line in the email.
    assert "VAT" not in text and "VAT" not in html


def test_the_email_follows_the_workflow_language_not_the_account(ids, db_session, clock, smtp_server):
    order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "en", settings_for(smtp_server))
    msg, text, _html = parts(smtp_server.received[0])
    assert "Total: €272.00" in text and msg["Content-Language"] == "en"


def test_double_submit_sends_one_email(ids, db_session, clock, smtp_server):
    mail = settings_for(smtp_server)
    q = service.quote_seat_change(db_session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                  new_seats=8)
    for _ in range(2):
        service.place_order(db_session, clock, contact_id=ids.dupont, quote_id=q.id, locale="fr",
                            assign_seats_url="/", mail_settings=mail)
    assert len(smtp_server.received) == 1
    assert deliver_pending(db_session, mail).sent == 0
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_keeps_the_message_and_the_order_stands(ids, db_session, clock, smtp_server):
    down = MailSettings(server="127.0.0.1", port=closed_port(), timeout=2)
    placed = order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr", down)
    assert placed.seats_after == 8
    db_session.rollback()
    stored = db_session.scalars(select(m.EmailMessage)).one()
    assert stored.sent_at is None and stored.attempts == 1
    assert "Connection refused" in stored.last_error
    assert db_session.get(m.Subscription, ids.dupont_sub).seats == 8
    # Later the server is back: the retry sends it once.
    report = deliver_pending(db_session, settings_for(smtp_server))
    assert (report.sent, report.failed, report.pending) == (1, 0, 0)
    assert str(report) == "sent 1, failed 0, pending 0"
    assert len(smtp_server.received) == 1
    db_session.rollback()
    stored = db_session.scalars(select(m.EmailMessage)).one()
    assert stored.sent_at is not None and stored.attempts == 2 and stored.last_error is None


def test_a_silent_server_times_out(ids, db_session, clock):
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        mail = MailSettings(server="127.0.0.1", port=silent.getsockname()[1], timeout=0.5)
        began = time.monotonic()
        placed = order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr", mail)
        assert time.monotonic() - began < 10
    assert placed.seats_after == 8
    db_session.rollback()
    stored = db_session.scalars(select(m.EmailMessage)).one()
    assert stored.sent_at is None and "timed out" in stored.last_error


def test_without_a_server_messages_stay_and_are_logged(ids, db_session, clock, caplog):
    order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr", MailSettings())
    with caplog.at_level(logging.INFO, logger="helpcenter.billing.outbox"):
        report = deliver_pending(db_session, MailSettings())
    assert (report.sent, report.pending) == (0, 1)
    assert "kept in the outbox" in caplog.text and "billing@dupont.example" in caplog.text
    assert db_session.scalars(select(m.EmailMessage.sent_at)).one() is None


def test_a_message_held_by_another_sender_is_not_sent_twice(ids, db_session, clock, smtp_server):
    order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr")
    stored = db_session.scalars(select(m.EmailMessage)).one()
    stored.claimed_until = datetime.now(timezone.utc) + timedelta(minutes=1)
    db_session.commit()
    assert deliver_pending(db_session, settings_for(smtp_server)).sent == 0
    assert smtp_server.received == []


def test_settings_from_the_app_config():
    settings = MailSettings.from_mapping({"MAIL_SERVER": "smtp.example", "MAIL_PORT": "2525",
                                          "MAIL_DEFAULT_SENDER": "x@y.example", "MAIL_TIMEOUT": "3"})
    assert (settings.server, settings.port, settings.sender, settings.timeout, settings.enabled) == (
        "smtp.example", 2525, "x@y.example", 3.0, True)
    assert not MailSettings.from_mapping({"MAIL_SERVER": None}).enabled


def test_the_send_mail_command_retries_what_failed(request, app_config, smtp_server, clock):
    app_config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port)
    ids = request.getfixturevalue("ids")
    db_session = request.getfixturevalue("db_session")
    runner = request.getfixturevalue("runner")
    order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr")  # queued, not sent
    order(db_session, clock, ids.northwind, ids.northwind_sub, 12, "en")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0, pending 0" in result.output
    assert sorted(msg["To"] for msg in smtp_server.received) == ["billing@dupont.example",
                                                                 "billing@northwind.example"]
    assert "sent 0, failed 0, pending 0" in runner.invoke(args=["send-mail"]).output


def test_the_send_mail_command_without_a_server(request, app_config):
    ids = request.getfixturevalue("ids")  # noqa: F841  (demo data)
    result = request.getfixturevalue("runner").invoke(args=["send-mail"])
    assert result.exit_code == 0 and "no mail server configured" in result.output


def test_send_mail_stops_at_an_unreachable_server_and_keeps_everything(ids, db_session, clock):
    order(db_session, clock, ids.dupont, ids.dupont_sub, 8, "fr")
    order(db_session, clock, ids.northwind, ids.northwind_sub, 12, "en")
    report = deliver_pending(db_session, MailSettings(server="127.0.0.1", port=closed_port(), timeout=2))
    assert (report.sent, report.failed, report.pending) == (0, 1, 2)
    db_session.rollback()
    assert [(e.sent_at, e.attempts) for e in db_session.scalars(select(m.EmailMessage).order_by(m.EmailMessage.id))] \
        == [(None, 1), (None, 0)]
