""""Still need help?": the contact form (/<lang>/contact), what it stores, the acknowledgement
email in the customer's language, its rate limit, and the links that lead to it."""
import re
from email.header import decode_header, make_header
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from helpcenter.billing import models as billing_models
from helpcenter.contact.models import SupportRequest
from tests.conftest import csrf_token_from

LANGS = ["en", "fr"]
ARTICLE = {"en": "/en/articles/1-add-or-remove-user-seats", "fr": "/fr/articles/1-ajouter-ou-retirer-des-postes-utilisateur"}


def subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def send(client, lang, data, query=""):
    page = client.get(f"/{lang}/contact{query}")
    form = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    return client.post(f"/{lang}/contact", data=form)


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port)
    return app_config


@pytest.mark.parametrize("lang", LANGS)
def test_the_form_is_prefilled_with_the_page_and_the_reference(client, lang, translate):
    page = soup(client.get(f"/{lang}/contact?page={ARTICLE[lang]}&reference=hc-7k2q9d"))
    assert page.h1.get_text(strip=True) == translate(lang, "Contact support")
    assert page.select_one("input[name=page]")["value"] == ARTICLE[lang]
    assert page.select_one("input[name=reference]")["value"] == "HC-7K2Q9D"
    assert page.select_one("textarea[name=message]") is not None
    assert page.select_one("input[name=email]").get("value", "") == ""
    assert page.select_one("input[name=csrf_token]") is not None


def test_the_page_comes_from_the_referer_when_the_query_does_not_say(client):
    page = soup(client.get("/en/contact", headers={"Referer": "http://localhost/en/search?q=refund"}))
    assert page.select_one("input[name=page]")["value"] == "/en/search?q=refund"


@pytest.mark.parametrize("query", ["?page=https://evil.example/x", "?page=//evil.example/x", "?reference=DROP TABLE"])
def test_foreign_pages_and_bad_references_are_not_prefilled(client, query):
    page = soup(client.get(f"/en/contact{query}", headers={"Referer": "https://evil.example/"}))
    assert page.select_one("input[name=page]").get("value", "") == ""
    assert page.select_one("input[name=reference]").get("value", "") == ""


def test_a_signed_in_contact_gets_the_email_and_the_request_names_the_account(client, auth, demo, db_session,
                                                                              smtp_server):
    auth.sign_in("billing@dupont.example", "demo-pass-fr", "fr")
    page = soup(client.get("/fr/contact"))
    assert page.select_one("input[name=email]")["value"] == "billing@dupont.example"
    response = send(client, "fr", {"email": "billing@dupont.example", "message": "Mon paiement a échoué.",
                                   "reference": "HC-7K2Q9D", "page": "/fr/wizard/seats/payment"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/fr/contact/sent")
    stored = db_session.scalars(select(SupportRequest)).one()
    contact = db_session.scalar(select(billing_models.Contact).where(billing_models.Contact.email == "billing@dupont.example"))
    assert (stored.email, stored.reference, stored.page, stored.lang) == (
        "billing@dupont.example", "HC-7K2Q9D", "/fr/wizard/seats/payment", "fr")
    assert stored.account_id == contact.account_id and stored.contact_id == contact.id
    assert stored.created_at is not None and stored.answered_at is None
    # The acknowledgement, in French, went through the outbox to the SMTP server.
    [mail] = smtp_server.received
    assert mail["To"] == "billing@dupont.example" and mail["Content-Language"] == "fr"
    assert subject(mail) == f"Nous avons bien reçu votre demande (n°\u00a0{stored.id})"
    text = mail.get_payload()[0].get_payload(decode=True).decode()
    assert "HC-7K2Q9D" in text and "Mon paiement a échoué." in text
    kept = db_session.scalars(select(billing_models.EmailMessage)).one()
    assert kept.kind == "support_request_received" and kept.sent_at is not None
    # The thank-you page gives the request's number.
    sent = soup(client.get("/fr/contact/sent"))
    assert f"Demande n°\u00a0{stored.id}" in sent.get_text()


@pytest.mark.parametrize("lang", LANGS)
def test_an_anonymous_request_is_acknowledged_in_the_page_language(client, db_session, smtp_server, lang, translate):
    response = send(client, lang, {"email": "someone@example.org", "message": "Where is my invoice?", "page": ARTICLE[lang]})
    assert response.status_code == 303
    stored = db_session.scalars(select(SupportRequest)).one()
    assert stored.account_id is None and stored.contact_id is None and stored.reference is None
    assert stored.lang == lang and stored.page == ARTICLE[lang]
    [mail] = smtp_server.received
    assert subject(mail) == translate(lang, "We have your request (number %(number)s)", number=stored.id)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("data, field, message", [
    ({"email": "", "message": "Help"}, "email", "Enter your email address."),
    ({"email": "not-an-address", "message": "Help"}, "email", "Enter an email address like name@example.com."),
    ({"email": "a@example.org", "message": "   "}, "message", "Tell us what you need help with."),
    ({"email": "a@example.org", "message": "x" * 5001}, "message", "Shorten your message to %(max)d characters or fewer."),
    ({"email": "a@example.org", "message": "Help", "reference": "HC-12"}, "reference",
     "Enter the reference as it is shown on the workflow page, like HC-7K2Q9D."),
])
def test_bad_input_is_refused_with_a_translated_error_and_nothing_stored(client, db_session, smtp_server, lang,
                                                                         translate, data, field, message):
    response = send(client, lang, data)
    assert response.status_code == 200
    page = soup(response)
    expected = translate(lang, message, max=5000) if "%(max)d" in message else translate(lang, message)
    assert page.select_one(f".error-summary a[href='#{field}']").get_text(strip=True) == expected
    assert page.title.get_text().startswith(translate(lang, "Error:"))
    assert page.select_one("input[name=email]").get("value", "") == data["email"]  # what was typed is kept
    assert db_session.scalars(select(SupportRequest)).all() == []
    assert smtp_server.received == []


def test_a_post_without_csrf_token_is_refused(client, db_session):
    response = client.post("/en/contact", data={"email": "a@example.org", "message": "Help"})
    assert response.status_code == 400
    assert db_session.scalars(select(SupportRequest)).all() == []


def test_the_sent_page_without_a_request_goes_back_to_the_form(client):
    response = client.get("/en/contact/sent")
    assert response.status_code == 303 and response.headers["Location"].endswith("/en/contact")


def test_requests_are_rate_limited(app_config, db_session):
    from helpcenter import create_app
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_CONTACT="2 per minute")
    app = create_app(app_config)
    client = app.test_client()
    statuses = [send(client, "en", {"email": "a@example.org", "message": f"Help {n}"}).status_code for n in range(3)]
    assert statuses == [303, 303, 429]
    assert len(db_session.scalars(select(SupportRequest)).all()) == 2
    app.extensions["db_engine"].dispose()


# --- the links that lead to it ------------------------------------------------

def contact_link(page):
    links = [a for a in page.select("main a[href*='/contact']")]
    assert links, "no link to the contact form in the page's main content"
    return links[0]


@pytest.mark.parametrize("lang", LANGS)
def test_every_article_offers_still_need_help_with_its_page(client, lang, translate):
    page = soup(client.get(ARTICLE[lang]))
    link = contact_link(page)
    assert translate(lang, "Still need help?") in link.get_text()
    target = urlsplit(link["href"])
    assert target.path == f"/{lang}/contact"
    assert parse_qs(target.query)["page"] == [ARTICLE[lang]]


@pytest.mark.parametrize("lang", LANGS)
def test_the_404_page_and_empty_search_results_offer_it(client, lang, translate):
    missing = client.get(f"/{lang}/no-such-page")
    assert missing.status_code == 404
    assert parse_qs(urlsplit(contact_link(soup(missing))["href"]).query)["page"] == [f"/{lang}/no-such-page"]
    empty = soup(client.get(f"/{lang}/search?q=zzzqqqxx"))
    assert parse_qs(urlsplit(contact_link(empty)["href"]).query)["page"] == [f"/{lang}/search?q=zzzqqqxx"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_footer_offers_it_everywhere_but_on_the_form(client, lang, translate):
    footer = soup(client.get(f"/{lang}/")).select_one("footer a[href*='/contact']")
    assert footer.get_text(strip=True) == f'{translate(lang, "Still need help?")} {translate(lang, "Contact support")}'
    assert soup(client.get(f"/{lang}/contact")).select_one("footer a[href*='/contact']") is None


def test_the_macro_carries_a_workflow_reference_and_never_the_run_id(app):
    with app.test_request_context("/fr/wizard/seats/review?run=secret-run-id&x=1"):
        from flask import render_template_string
        html = render_template_string('{% from "contact/_macros.html" import still_need_help %}'
                                      '{{ still_need_help(reference="HC-7K2Q9D") }}')
    href = BeautifulSoup(html, "html.parser").a["href"]
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "/fr/contact"
    assert query["reference"] == ["HC-7K2Q9D"] and query["page"] == ["/fr/wizard/seats/review?x=1"]
    assert "secret-run-id" not in href
    assert re.search(r"Besoin d’aide supplémentaire\u00a0\?", BeautifulSoup(html, "html.parser").get_text())


# --- one transaction: the request is stored and acknowledged exactly once --------------------

def test_the_acknowledgement_is_sent_only_after_the_request_is_committed(app, client, smtp_server, monkeypatch):
    from helpcenter.billing import outbox
    seen_at_send = []
    real_deliver = outbox.deliver_message

    def deliver(session, settings, message_id):
        with app.extensions["db_sessionmaker"]() as other:  # what another connection sees: the committed
            seen_at_send.append((len(other.scalars(select(SupportRequest)).all()),
                                 len(other.scalars(select(billing_models.EmailMessage)).all())))
        return real_deliver(session, settings, message_id)

    monkeypatch.setattr(outbox, "deliver_message", deliver)
    assert send(client, "en", {"email": "someone@example.org", "message": "Where is my invoice?"}).status_code == 303
    assert seen_at_send == [(1, 1)]
    assert len(smtp_server.received) == 1


def test_a_request_that_fails_after_storing_lands_once_when_sent_again(app, client, db_session, smtp_server,
                                                                       monkeypatch):
    """A server error after the request was stored: nothing is kept and nothing is sent (the 500
    page says nothing was changed), so sending the form again makes exactly one request."""
    from helpcenter.contact import views
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as in production
    real_url_for = views.url_for

    def failing_url_for(endpoint, **kwargs):
        if endpoint == "contact.sent":
            raise RuntimeError("a failure after the request was stored")
        return real_url_for(endpoint, **kwargs)

    monkeypatch.setattr(views, "url_for", failing_url_for)
    data = {"email": "someone@example.org", "message": "Where is my invoice?"}
    assert send(client, "en", data).status_code == 500
    assert db_session.scalars(select(SupportRequest)).all() == []
    assert db_session.scalars(select(billing_models.EmailMessage)).all() == []
    assert smtp_server.received == []
    monkeypatch.undo()
    assert send(client, "en", data).status_code == 303
    assert len(db_session.scalars(select(SupportRequest)).all()) == 1
    [kept] = db_session.scalars(select(billing_models.EmailMessage)).all()
    assert kept.sent_at is not None and len(smtp_server.received) == 1
