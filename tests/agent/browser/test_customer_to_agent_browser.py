"""A customer stumbles in the seat workflow, asks for help with the run's reference, and the
agent finds the request and the trail (real Chromium, the engine's events, the contact page)."""
import re

from playwright.sync_api import expect

from tests.agent.conftest import AGENT
from tests.conftest import assert_accessible

TYPED_CARD = "4242 4242 4242 4241"  # fails the Luhn check: a form error on the payment step


def test_customer_stumbles_asks_for_help_and_the_agent_finds_the_trail(chromium, live_server, agent_demo):
    base = live_server.url
    customer = chromium.new_context(locale="fr-FR")
    page = customer.new_page()
    try:
        page.goto(f"{base}/fr/wizard/seats/")
        page.fill("#email", "billing@dupont.example")
        page.fill("#password", "demo-pass-fr")
        page.get_by_role("button", name="Se connecter et continuer").click()
        page.get_by_role("button", name="Ajouter des agents").click()
        # A first stumble: fewer seats than are assigned.
        page.fill("#quantity", "2")
        page.get_by_role("button", name="Ajouter au panier").click()
        expect(page.locator(".error-summary")).to_be_visible()
        page.fill("#quantity", "8")
        page.get_by_role("button", name="Ajouter au panier").click()
        page.get_by_role("button", name="Commander").click()
        page.get_by_role("button", name="Continuer vers le paiement").click()
        # A second one: a new card whose number is wrong.
        page.locator('label[for="payment_method-new"]').click()
        page.fill("#card_number", TYPED_CARD)
        page.fill("#exp_month", "12")
        page.fill("#exp_year", "2031")
        page.fill("#cvc", "737")
        page.fill("#cardholder", "Claire Dupont")
        page.get_by_role("button", name="Continuer", exact=True).click()
        expect(page.locator(".error-summary")).to_be_visible()
        reference = re.search(r"HC-[A-Z0-9]{6,}", page.locator(".run-reference").inner_text()).group(0)

        # "Still need help?" on the step: the contact form arrives with the run's reference.
        page.locator(".still-need-help a").click()
        expect(page.locator("#reference")).to_have_value(reference)
        page.fill("#message", "Ma carte est refusée, pouvez-vous m’aider ?")
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/fr/contact/sent$"))
    finally:
        customer.close()

    support = chromium.new_context(locale="en-GB")
    agent = support.new_page()
    try:
        agent.goto(f"{base}/en/sign-in")
        agent.fill("#email", AGENT[0])
        agent.fill("#password", AGENT[1])
        agent.locator("main").get_by_role("button", name="Sign in").click()
        agent.locator("nav.agent-nav a", has_text="Requests").click()
        request = agent.locator("article.request").first
        expect(request).to_contain_text("billing@dupont.example")
        expect(request).to_contain_text("Ma carte est refusée")
        expect(request).to_contain_text("Atelier Dupont SARL")
        expect(request).to_contain_text("/fr/wizard/seats/payment")
        assert_accessible(agent)
        request.get_by_role("link", name=f"Trail of {reference}").click()
        expect(agent.locator("h1")).to_have_text(f"Trail of {reference}")
        trail = agent.locator("ol.trail")
        errors = agent.locator(".event-form_error")
        expect(errors).to_have_count(2)
        expect(errors.first.locator("td code").first).to_have_text("quantity")
        expect(errors.first.locator("td code").nth(1)).to_have_text("2")
        card_row = errors.nth(1).locator("tr", has=agent.locator("code", has_text="card_number"))
        expect(card_row).to_contain_text("never recorded")
        expect(agent.locator(".event-quote").first).to_contain_text("€272.00")
        html = agent.content()
        # Whole numbers only: timestamps carry microseconds, whose digits may contain the CVC's.
        for secret in ("4242 4242 4242 4241", "4242424242424241", "737"):
            assert not re.search(rf"(?<!\d){secret}(?!\d)", html), secret
        assert_accessible(agent)
    finally:
        support.close()
