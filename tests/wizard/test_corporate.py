"""The Corporate account page (issue 12, item 3): the portal, the advisor and Corporate Account
Services as links, and a quote request sent to the advisor with a copy to the customer."""
import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from helpcenter.billing import models as billing_models
from helpcenter.billing.corporate import QUOTE_REQUEST, QUOTE_REQUEST_COPY

LANGS = ["en", "fr"]


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port,
                      CORPORATE_PORTAL_URL="https://portal.example.test/corporate")
    return app_config


def subject(mail) -> str:
    """The decoded subject, header folding undone (no-break spaces kept)."""
    return re.sub(r"[\r\n\t ]+", " ", str(make_header(decode_header(mail["Subject"])))).strip()


def text_part(mail) -> str:
    return mail.get_payload()[0].get_payload(decode=True).decode() if mail.is_multipart() else mail.get_payload()


def quote_requests(db_session):
    db_session.expire_all()
    return db_session.scalars(select(billing_models.EmailMessage).where(
        billing_models.EmailMessage.kind.in_((QUOTE_REQUEST, QUOTE_REQUEST_COPY)))
        .order_by(billing_models.EmailMessage.id)).all()


@pytest.mark.parametrize("lang, services", [("en", "Corporate Account Services"),
                                            ("fr", "Services de compte Corporate")])
def test_the_corporate_page_links_to_the_portal_the_advisor_and_corporate_account_services(visitor, lang, services):
    visitor.lang = lang
    page = visitor.sign_in("globex")
    assert visitor.step(page) == "corporate"
    soup = visitor.soup(page)
    hrefs = [a["href"] for a in soup.select("main a")]
    assert "https://portal.example.test/corporate" in hrefs
    # The advisor comes from the account's data, as links.
    assert "mailto:jordan.lee@vendor.example" in hrefs and "tel:+15550100" in hrefs
    assert soup.select_one('a[href="tel:+15550100"]').get_text() == "+1 555 0100"
    assert services in visitor.text(page)
    assert "mailto:corporate-services@vendor.example" in hrefs
    # One link to the FAQ (its seat answer), the other to the portal itself: not twice the same FAQ.
    faq = [h for h in hrefs if h.startswith(f"/{lang}/articles/3")]
    assert len(faq) == 1 and faq[0].endswith("#add-seats")


@pytest.mark.parametrize("lang", LANGS)
def test_the_quantity_of_an_agents_link_prefills_the_quote_request(visitor, lang):
    visitor.lang = lang
    page = visitor.sign_in("globex", query="?product=gotomeeting-business&quantity=260")
    assert visitor.step(page) == "corporate"
    assert visitor.soup(page).select_one("#quantity")["value"] == "260"


@pytest.mark.parametrize("lang, copy_subject, copy_text", [
    ("en", "Copy of your quote request: GoToMeeting Business, 260 seats", "Seats wanted: 260"),
    ("fr", "Copie de votre demande de devis\u00a0: GoToMeeting Business, 260\u00a0postes", "Postes souhaités\u00a0: 260"),
])
def test_a_quote_request_reaches_the_advisor_with_a_copy_to_the_customer(visitor, db_session, smtp_server, lang,
                                                                        copy_subject, copy_text):
    visitor.lang = lang
    page = visitor.sign_in("globex", query="?product=gotomeeting-business&quantity=260")
    done = visitor.submit(page, button=r"quote|devis", has=("quantity",))
    assert done.status_code == 200 and visitor.step(done) == "corporate"
    assert "jordan.lee@vendor.example" in visitor.soup(done).select_one(".flash, .notice, [role=status]").get_text()
    advisor, copy = quote_requests(db_session)
    assert (advisor.kind, advisor.to_address, advisor.locale) == (QUOTE_REQUEST, "jordan.lee@vendor.example", "en")
    assert (copy.kind, copy.to_address, copy.locale) == (QUOTE_REQUEST_COPY, "billing@globex.example", lang)
    for line in ("Account: Globex Corporation", "Product: GoToMeeting Business", "Seats now: 250",
                 "Seats wanted: 260", "billing@globex.example"):
        assert line in advisor.text_body
    assert copy_text in copy.text_body and "https://portal.example.test/corporate" in copy.text_body
    # Delivered through the outbox over SMTP.
    assert sorted(m["To"] for m in smtp_server.received) == ["billing@globex.example", "jordan.lee@vendor.example"]
    sent = {m["To"]: m for m in smtp_server.received}
    assert subject(sent["jordan.lee@vendor.example"]) == "Quote request from Globex Corporation: GoToMeeting Business, 260 seats"
    assert subject(sent["billing@globex.example"]) == copy_subject


@pytest.mark.parametrize("typed, status, message", [
    ("abc", 422, "Enter the number of seats as a whole number, like 8."),
    ("0", 422, "Enter a number of seats from 1 to 100,000."),
    ("250", 422, "Your subscription already has 250 seats: enter a different number."),
])
def test_a_bad_count_is_a_field_error_and_sends_nothing(visitor, db_session, smtp_server, typed, status, message):
    page = visitor.sign_in("globex")
    r = visitor.submit(page, {"quantity": typed}, button=r"quote", has=("quantity",))
    assert r.status_code == status
    soup = visitor.soup(r)
    assert soup.select_one('.error-summary a[href="#quantity"]').get_text(strip=True) == message
    assert soup.select_one("#quantity")["value"] == typed
    assert quote_requests(db_session) == [] and smtp_server.received == []


def test_another_accounts_subscription_is_refused(visitor, db_session, subscription_of):
    dupont_subscription, _ = subscription_of("billing@dupont.example")
    page = visitor.sign_in("globex")
    r = visitor.submit(page, {"quantity": "260", "subscription": str(dupont_subscription.id)}, button=r"quote",
                       has=("quantity",))
    assert r.status_code == 422
    assert quote_requests(db_session) == []


def test_a_quote_request_without_the_csrf_token_is_refused(visitor, db_session):
    page = visitor.sign_in("globex")
    _, data, _ = visitor.form(page, button=r"quote", has=("quantity",))
    data.pop("csrf_token")
    r = visitor.client.post("/en/wizard/seats/corporate", data=data)
    assert r.status_code == 400
    assert quote_requests(db_session) == []


def test_a_self_service_account_cannot_send_a_quote_request(visitor, db_session):
    page = visitor.sign_in("dupont")
    assert visitor.step(page) == "product"
    _, data, _ = visitor.form(page, has=("subscription",))
    r = visitor.client.post("/en/wizard/seats/corporate", data={"csrf_token": data["csrf_token"], "quantity": "9"})
    assert r.status_code == 303 and not r.location.endswith("/corporate")
    assert quote_requests(db_session) == []


def test_the_payment_workflows_corporate_page_has_the_links_but_no_quote_form(visitor):
    page = visitor.get("/en/wizard/payment/")
    page = visitor.submit(page, {"email": "billing@globex.example", "password": "demo-pass-corp"})
    assert visitor.step(page) == "corporate"
    assert visitor.soup(page).select_one("#quantity") is None
    assert "mailto:jordan.lee@vendor.example" in [a["href"] for a in visitor.soup(page).select("main a")]


def test_only_a_billing_contact_of_the_corporate_account_may_ask_for_a_quote(app, demo, db_session):
    from datetime import datetime, timezone

    from helpcenter.billing import corporate, errors
    account = db_session.scalar(select(billing_models.Account).where(billing_models.Account.name == "Globex Corporation"))
    sub = db_session.scalar(select(billing_models.Subscription).where(billing_models.Subscription.account_id == account.id))
    contact = db_session.scalar(select(billing_models.Contact).where(billing_models.Contact.account_id == account.id))
    contact.role = "admin"
    db_session.commit()
    with pytest.raises(errors.NotAllowed) as refused:
        corporate.request_seat_quote(db_session, contact_id=contact.id, subscription_id=sub.id, seats="260",
                                     locale="en", now=datetime.now(timezone.utc),
                                     translations_dir=app.config["TRANSLATIONS_DIR"], portal_url="https://p.example/")
    assert refused.value.code == "not_billing_contact"
    db_session.rollback()
    assert quote_requests(db_session) == []


def test_quote_requests_are_limited_per_account(visitor, db_session):
    page = visitor.sign_in("globex")
    for count in range(261, 266):
        page = visitor.submit(page, {"quantity": str(count)}, button=r"quote", has=("quantity",))
        assert page.status_code == 200
    r = visitor.submit(page, {"quantity": "300"}, button=r"quote", has=("quantity",))
    assert r.status_code == 429
    assert "Several quote requests were sent from your account in the last hour." in visitor.text(r)
    assert len(quote_requests(db_session)) == 10  # five requests, two emails each


# --- one transaction: the request commits the emails, then they are sent ----------------------

def test_a_refused_request_keeps_nothing_of_what_it_flushed(visitor, app, db_session, smtp_server, monkeypatch):
    """A refusal after the operation queued an email (a check made late): the page is a 422,
    which the request commits, yet no email is kept."""
    from helpcenter.billing import corporate, errors
    real = corporate.request_seat_quote

    def refuses_late(session, **kwargs):
        real(session, **kwargs)  # both emails queued and flushed
        raise errors.SeatChangeRefused("out_of_range", minimum=1, maximum=100_000)

    monkeypatch.setattr(corporate, "request_seat_quote", refuses_late)
    page = visitor.sign_in("globex")
    r = visitor.submit(page, {"quantity": "260"}, button=r"quote", has=("quantity",))
    assert r.status_code == 422
    assert visitor.soup(r).select_one('.error-summary a[href="#quantity"]') is not None
    assert quote_requests(db_session) == [] and smtp_server.received == []


def test_the_emails_are_sent_after_the_commit_and_not_at_all_when_the_request_fails(visitor, app, db_session,
                                                                                    smtp_server, monkeypatch):
    from helpcenter.billing import outbox
    from helpcenter.workflows import corporate
    page = visitor.sign_in("globex")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as in production

    def failing_flash(*args, **kwargs):
        raise RuntimeError("a failure after the emails were queued")

    monkeypatch.setattr(corporate, "flash", failing_flash)
    r = visitor.submit(page, {"quantity": "260"}, button=r"quote", has=("quantity",), follow=False)
    assert r.status_code == 500
    assert quote_requests(db_session) == [] and smtp_server.received == []  # "nothing was changed"
    monkeypatch.undo()
    committed_at_send = []
    real_deliver = outbox.deliver_message

    def deliver(session, settings, message_id):
        with app.extensions["db_sessionmaker"]() as other:
            committed_at_send.append(len(quote_requests(other)))
        return real_deliver(session, settings, message_id)

    monkeypatch.setattr(outbox, "deliver_message", deliver)
    r = visitor.submit(page, {"quantity": "260"}, button=r"quote", has=("quantity",))
    assert r.status_code == 200 and committed_at_send == [2, 2]
    assert len(quote_requests(db_session)) == 2 and len(smtp_server.received) == 2
