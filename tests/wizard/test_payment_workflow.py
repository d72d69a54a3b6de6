"""The payment-details workflow (/<lang>/wizard/payment/, article 5): a new card checked with the
gateway, the VAT number for EU accounts, confirm, done and an email; refusals as for seats."""
import re

import pytest
from sqlalchemy import select

from helpcenter.billing import models as bm
from helpcenter.billing import service

GOOD_CARD = {"card_number": "5555 5555 5555 4444", "exp_month": "11", "exp_year": "2031", "cvc": "123",
             "cardholder": "Claire Dupont"}
REFERENCE = re.compile(r"\bHC-[2-9A-HJ-NP-Z]{6}\b")


def account_of(db_session, name):
    db_session.expire_all()
    account_id = db_session.scalar(select(bm.Account.id).where(bm.Account.name == name))
    return service.get_account(db_session, account_id)


@pytest.mark.parametrize("lang, heading, button, sent", [
    ("en", "Enter the new card", "Save changes", "Your payment details are saved"),
    ("fr", "Saisir la nouvelle carte", "Enregistrer les modifications", "Vos informations de paiement sont enregistrées"),
])
def test_dupont_replaces_its_card_and_records_its_vat_number(visitor, db_session, lang, heading, button, sent):
    visitor.lang = lang
    card = visitor.start_payment()
    assert visitor.step(card) == "card" and heading in visitor.text(card)
    assert ("Step 2 of 4" if lang == "en" else "Étape 2 sur 4") in visitor.text(card)
    vat = visitor.enter_card(card)
    assert visitor.step(vat) == "vat"
    assert account_of(db_session, "Atelier Dupont SARL").payment_method.last4 == "4242"  # not before confirming
    confirm = visitor.submit(vat, {"vat_number": "FR 40 303 265 045"})
    assert visitor.step(confirm) == "confirm"
    text = visitor.text(confirm)
    assert "4444" in text and "4242" in text and "FR40303265045" in text
    done = visitor.submit(confirm, button=button, has=())
    assert visitor.step(done) == "done" and sent in visitor.text(done)
    account = account_of(db_session, "Atelier Dupont SARL")
    assert (account.payment_method.brand, account.payment_method.last4) == ("Mastercard", "4444")
    assert account.vat_number == "FR40303265045"
    [message] = db_session.scalars(select(bm.EmailMessage)).all()
    assert message.kind == "payment_details_changed" and message.locale == "fr"  # the account's language
    assert "Mastercard" in message.text_body and "FR40303265045" in message.text_body
    assert "5555 5555" not in message.text_body


@pytest.mark.parametrize("number, message", [
    ("4000 0000 0000 0002", "Your card was declined. Use another card or contact your bank."),
    ("4000 0000 0000 9995", "Your card was declined for insufficient funds. Use another card."),
])
def test_a_refused_card_stays_on_the_card_step_and_the_old_card_stays_on_file(visitor, db_session, number,
                                                                              message):
    r = visitor.enter_card(visitor.start_payment(), dict(GOOD_CARD, card_number=number))
    assert r.status_code == 422 and visitor.step(r) == "card"
    soup = visitor.soup(r)
    assert soup.title.get_text().startswith("Error:")
    assert message in soup.select_one('.error-summary a[href="#card_number"]').get_text()
    assert soup.select_one("#card_number")["value"] == "" and soup.select_one("#cvc")["value"] == ""
    assert soup.select_one("#cardholder")["value"] == "Claire Dupont"
    assert account_of(db_session, "Atelier Dupont SARL").payment_method.last4 == "4242"
    run = visitor.run(r)
    assert visitor.client.get(f"/en/wizard/payment/confirm?run={run}").location.endswith(f"/card?run={run}")


def test_card_form_errors_are_listed_in_field_order_and_nothing_changes(visitor, db_session):
    r = visitor.enter_card(visitor.start_payment(), {"card_number": "4242 4242 4242 4241", "exp_month": "13",
                                             "exp_year": "2031", "cvc": "12", "cardholder": ""})
    assert r.status_code == 422
    assert [a["href"] for a in visitor.soup(r).select(".error-summary a")] == [
        "#card_number", "#exp_month", "#cvc", "#cardholder"]
    assert account_of(db_session, "Atelier Dupont SARL").payment_method.last4 == "4242"


def test_keeping_the_card_and_recording_only_a_vat_number(visitor, db_session):
    card = visitor.start_payment()
    vat = visitor.submit(card, button=r"keep the card on file", has=())
    assert visitor.step(vat) == "vat"
    r = visitor.submit(vat, {"vat_number": "FR40303265046"})
    assert r.status_code == 422 and "This VAT number is not valid: check its digits." in visitor.text(r)
    assert visitor.soup(r).select_one("#vat_number")["value"] == "FR40303265046"
    confirm = visitor.submit(r, {"vat_number": "FR40303265045"})
    assert "Visa ending 4242 (unchanged)" in visitor.text(confirm)
    done = visitor.submit(confirm, button="Save changes", has=())
    assert visitor.step(done) == "done"
    account = account_of(db_session, "Atelier Dupont SARL")
    assert account.payment_method.last4 == "4242" and account.vat_number == "FR40303265045"


def test_an_account_outside_the_eu_has_no_vat_step(visitor, db_session):
    visitor.lang = "en"
    confirm = visitor.enter_card(visitor.start_payment("northwind"))
    assert visitor.step(confirm) == "confirm"
    items = visitor.soup(confirm).select("ol.steps li")
    assert [li.get_text(" ", strip=True) for li in items][2].startswith("3. Enter your VAT number")
    assert "not needed" in items[2].get_text()
    assert visitor.client.get(f"/en/wizard/payment/vat?run={visitor.run(confirm)}").status_code == 303
    done = visitor.submit(confirm, button="Save changes", has=())
    assert account_of(db_session, "Northwind Traders Inc.").payment_method.last4 == "4444"
    assert visitor.step(done) == "done"


@pytest.mark.parametrize("lang, heading", [
    ("en", "Your payment details are managed on the corporate billing portal"),
    ("fr", "Vos informations de paiement se gèrent sur le portail de facturation Corporate"),
])
def test_a_corporate_contact_is_sent_to_the_corporate_portal(visitor, lang, heading):
    visitor.lang = lang
    page = visitor.start_payment("globex")
    assert visitor.step(page) == "corporate" and heading in visitor.text(page)
    assert not visitor.soup(page).select('main form, [name="card_number"]')


def test_an_admin_is_told_only_billing_contacts_change_payment_details(visitor):
    page = visitor.start_payment("dupont-admin")
    assert visitor.step(page) == "not-billing-contact"
    assert "Only billing contacts can change payment details" in visitor.text(page)
    assert visitor.client.get("/en/wizard/payment/card").location.endswith("/en/wizard/payment/not-billing-contact")


@pytest.mark.parametrize("workflow, step, first", [
    ("payment", "vat", "card"), ("payment", "confirm", "card"), ("payment", "done", "card"),
    ("seats", "review", "product"), ("seats", "confirm", "product"), ("seats", "done", "product"),
])
def test_a_step_opened_early_redirects_to_the_first_pending_step(visitor, workflow, step, first):
    page = visitor.get(f"/en/wizard/{workflow}/")
    page = visitor.submit(page, {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    run = visitor.run(page)
    assert visitor.step(page) == first and run
    r = visitor.client.get(f"/en/wizard/{workflow}/{step}?run={run}")
    assert r.status_code == 303 and r.location.endswith(f"/en/wizard/{workflow}/{first}?run={run}")


def test_a_run_of_one_workflow_is_not_a_run_of_the_other(visitor):
    seats = visitor.sign_in()
    assert visitor.client.get(f"/en/wizard/payment/card?run={visitor.run(seats)}").status_code == 404


def test_every_page_with_a_run_shows_its_reference_and_the_reference_stays(visitor):
    card = visitor.start_payment()
    references = set()
    page = card
    for fields, kwargs in (({}, {"card": GOOD_CARD}), ({"vat_number": ""}, {}), ({}, {"button": "Save changes"})):
        found = REFERENCE.findall(visitor.text(page))
        assert len(found) == 1, visitor.step(page)
        references.update(found)
        if "card" in kwargs:
            page = visitor.enter_card(page)
        elif "button" in kwargs:
            page = visitor.submit(page, button=kwargs["button"], has=())
        else:
            page = visitor.submit(page, fields)
    assert visitor.step(page) == "done"
    references.update(REFERENCE.findall(visitor.text(page)))
    assert len(references) == 1
    assert not REFERENCE.search(visitor.text(visitor.get("/en/wizard/payment/sign-in?x=1")) or "")


def test_a_finished_run_only_shows_its_done_page(visitor):
    confirm = visitor.submit(visitor.enter_card(visitor.start_payment()), {"vat_number": ""})
    done = visitor.submit(confirm, button="Save changes", has=())
    run = visitor.run(done)
    page = visitor.get(f"/en/wizard/payment/card?run={run}")
    assert visitor.step(page) == "done" and "already been saved" in visitor.text(page)


def test_a_duplicated_tab_cannot_overwrite(visitor):
    card = visitor.start_payment()
    vat = visitor.enter_card(card)
    r = visitor.submit(card, dict(GOOD_CARD, card_number="4242 4242 4242 4242"), has=tuple(GOOD_CARD))
    assert "This workflow was changed in another tab or window" in visitor.text(r)
    assert visitor.step(vat) == "vat"


@pytest.mark.parametrize("accept, lang", [("fr-FR,fr;q=0.9", "fr"), ("en-GB", "en")])
def test_the_language_neutral_link_and_the_language_switch(visitor, accept, lang):
    r = visitor.client.get("/wizard/payment/", headers={"Accept-Language": accept})
    assert r.status_code == 302 and r.location == f"/{lang}/wizard/payment/"
    card = visitor.start_payment()
    switch = visitor.soup(card).select_one('a.lang-switch[hreflang="fr"]')["href"]
    assert switch == f"/fr/wizard/payment/card?run={visitor.run(card)}"


def test_every_post_needs_the_csrf_token(visitor, db_session):
    card = visitor.start_payment()
    run = visitor.run(card)
    r = visitor.client.post(f"/en/wizard/payment/card?run={run}", data=dict(GOOD_CARD, revision="1"))
    assert r.status_code == 400
    assert account_of(db_session, "Atelier Dupont SARL").payment_method.last4 == "4242"


def test_pages_are_not_cached(visitor):
    card = visitor.start_payment()
    assert card.headers["Cache-Control"] == "no-store"


def test_article_5_links_to_the_workflow_in_both_languages(client, demo):
    for lang in ("en", "fr"):
        page = client.get(f"/{lang}/articles/5", follow_redirects=True)
        from bs4 import BeautifulSoup
        links = [a["href"] for a in BeautifulSoup(page.get_data(as_text=True), "html.parser").select(
            ".article-body a[href]")]
        assert f"/{lang}/wizard/payment/" in links


@pytest.mark.parametrize("lang, label", [("en", "Update"), ("fr", "Modifier")])
def test_the_account_page_offers_update_links_for_card_and_vat_number(visitor, lang, label):
    visitor.lang = lang
    visitor.sign_in()
    page = visitor.get(f"/{lang}/account/")
    links = [a for a in visitor.soup(page).select("a.update-link")]
    assert len(links) == 2
    assert all(a["href"] == f"/{lang}/wizard/payment/" and a.get_text(" ", strip=True).startswith(label)
               for a in links)
