"""The payment-details workflow in a real Chromium, in both languages: from article 5 to the done
page, axe-core on every step, a declined card refused on the card step, and the email received."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_accessible

pytestmark = [pytest.mark.slow, pytest.mark.emails]

TEXTS = {
    "en": {"sign_in": "Sign in and continue", "card": "Enter the new card", "check": "Check the card and continue",
           "vat": "Enter your VAT number", "continue": "Continue", "confirm": "Check and save",
           "save": "Save changes", "done": "Payment details saved", "panel": "Your payment details are saved", "step": "Step {n} of 4",
           "declined": "Your card was declined. Use another card or contact your bank.",
           "link": "update your payment details"},
    "fr": {"sign_in": "Se connecter et continuer", "card": "Saisir la nouvelle carte",
           "check": "Vérifier la carte et continuer", "vat": "Saisir votre numéro de TVA", "continue": "Continuer",
           "confirm": "Vérifier et enregistrer", "save": "Enregistrer les modifications",
           "done": "Informations de paiement enregistrées",
           "panel": "Vos informations de paiement sont enregistrées", "step": "Étape {n} sur 4",
           "declined": "Votre carte a été refusée. Utilisez une autre carte ou contactez votre banque.",
           "link": "modifiez vos informations de paiement"},
}


def check_step(page, step, heading, indicator=None, axe=True):
    """The step's URL, heading, "Step N of 4" and its reference code, no axe violation
    (axe needs JavaScript: pages without it are checked by the other test)."""
    expect(page).to_have_url(re.compile(rf"/wizard/payment/{step}(\?|$)"))
    expect(page.locator("h1")).to_contain_text(heading)
    if indicator:
        expect(page.locator("h1 .step-indicator")).to_have_text(indicator)
        expect(page.locator('ol.steps [aria-current="step"]')).to_have_count(1)
    if step != "sign-in":
        expect(page.locator(".run-reference")).to_contain_text(re.compile(r"HC-[2-9A-HJ-NP-Z]{6}"))
    if axe:
        assert_accessible(page)


def fill_card(page, number):
    page.fill("#card_number", number)
    page.fill("#exp_month", "11")
    page.fill("#exp_year", "2031")
    page.fill("#cvc", "123")
    page.fill("#cardholder", "Claire Dupont")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_dupont_updates_its_card_and_vat_number_from_article_5(page, server, smtp_server, lang):
    t = TEXTS[lang]
    page.goto(f"{server.url}/{lang}/articles/5")
    page.locator(f'main a[href="/{lang}/wizard/payment/"]').first.click()
    check_step(page, "sign-in", "", t["step"].format(n=1))
    page.fill("#email", "billing@dupont.example")
    page.fill("#password", "demo-pass-fr")
    page.get_by_role("button", name=t["sign_in"]).click()

    check_step(page, "card", t["card"], t["step"].format(n=2))
    fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("button", name=t["check"]).click()
    check_step(page, "card", t["card"])
    expect(page.locator(".error-summary")).to_contain_text(t["declined"])
    expect(page.locator("#card_number")).to_have_value("")
    assert page.title().startswith("Error:" if lang == "en" else "Erreur")
    fill_card(page, "5555 5555 5555 4444")
    page.get_by_role("button", name=t["check"]).click()

    check_step(page, "vat", t["vat"], t["step"].format(n=3))
    page.fill("#vat_number", "FR40303265045")
    page.get_by_role("button", name=t["continue"], exact=True).click()

    check_step(page, "confirm", t["confirm"], t["step"].format(n=4))
    text = page.inner_text("main")
    assert "4444" in text and "4242" in text and "FR40303265045" in text
    page.get_by_role("button", name=t["save"]).click()

    check_step(page, "done", t["done"])
    expect(page.locator(".confirmation-panel")).to_contain_text(t["panel"])
    page.goto(f"{server.url}/{lang}/account/")
    account = page.inner_text("main")
    assert "4444" in account and "FR40303265045" in account
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    assert message["To"] == "billing@dupont.example"
    assert "Les informations de paiement" in message["Subject"]  # the account's language, French


def test_the_account_page_update_link_starts_the_workflow_without_javascript(chromium, server):
    context = chromium.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/en/wizard/payment/")
        page.fill("#email", "billing@northwind.example")
        page.fill("#password", "demo-pass-en")
        page.get_by_role("button", name="Sign in and continue").click()
        page.goto(f"{server.url}/en/account/")
        page.locator("a.update-link").first.click()
        check_step(page, "card", "Enter the new card", "Step 2 of 4", axe=False)
        page.get_by_role("button", name="Keep the card on file").click()
        check_step(page, "confirm", "Check and save", "Step 4 of 4", axe=False)  # no VAT step outside the EU
        expect(page.locator("ol.steps")).to_contain_text("not needed")
    finally:
        context.close()
