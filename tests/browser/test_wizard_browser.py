"""The seat workflow in a real Chromium: both languages, with and without JavaScript, keyboard only,
axe-core on every step, and the confirmation email received by a real SMTP server."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import assert_accessible

pytestmark = [pytest.mark.slow, pytest.mark.emails]


# The site's script under its content-hashed name (/static/js/site.<hash>.js).
SITE_JS = re.compile(r"/static/js/site\.[0-9a-f]+\.js$")


def visible_text(page) -> str:
    """The page's text with the locale's no-break spaces made plain."""
    return page.inner_text("main").replace("\u202f", " ").replace("\xa0", " ")


def expect_step(page, step, heading):
    expect(page).to_have_url(re.compile(rf"/wizard/seats/{step}(\?|$)"))
    expect(page.locator("h1")).to_contain_text(heading)


def check_step(page, step, heading, indicator=None):
    """The step's URL, heading, "Step N of 6" with aria-current, no axe violation."""
    expect_step(page, step, heading)
    if indicator:
        expect(page.locator("h1 .step-indicator")).to_have_text(indicator)
        expect(page.locator('ol.steps [aria-current="step"]')).to_have_count(1)
    assert_accessible(page)


def sign_in(page, email, password, button):
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name=button).click()


def test_french_flow_from_the_article_to_the_done_page(page, server, smtp_server):
    page.goto(f"{server.url}/fr/articles/1")
    page.locator('main a[href="/fr/wizard/seats/"]').first.click()

    check_step(page, "sign-in", "Se connecter au centre de facturation", "Étape 1 sur 6")
    sign_in(page, "billing@dupont.example", "demo-pass-fr", "Se connecter et continuer")

    check_step(page, "product", "Quel abonnement souhaitez-vous modifier", "Étape 2 sur 6")
    page.get_by_role("button", name="Ajouter des agents").click()

    check_step(page, "seats", "De combien d’agents avez-vous besoin", "Étape 3 sur 6")
    expect(page.locator("#quantity")).to_have_value("5")
    add_one = page.get_by_role("button", name="Augmenter d’un poste")
    for _ in range(3):
        add_one.click()
    expect(page.locator("#quantity")).to_have_value("8")
    page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.locator("#cart")).to_contain_text("de 5 agents à 8 agents")
    assert_accessible(page)
    page.get_by_role("button", name="Commander").click()

    check_step(page, "review", "Vérifier la commande", "Étape 4 sur 6")
    text = visible_text(page)
    for figure in ["93,33 €", "320,00 €", "226,67 €", "45,33 €", "272,00 €", "du 26 novembre 2026 au 26 décembre 2026"]:
        assert figure in text, figure
    page.get_by_role("button", name="Continuer vers le paiement").click()

    check_step(page, "payment", "Paiement et numéro de TVA", "Étape 5 sur 6")
    expect(page.locator("#payment_method-saved")).to_be_checked()
    expect(page.locator("#new-card")).to_be_hidden()  # CSS shows it only for a new card
    page.locator('label[for="payment_method-new"]').click()
    expect(page.locator("#new-card")).to_be_visible()
    page.locator('label[for="payment_method-saved"]').click()
    page.get_by_role("button", name="Continuer", exact=True).click()

    check_step(page, "confirm", "Passer la commande", "Étape 6 sur 6")
    assert "272,00 €" in visible_text(page)
    page.get_by_role("button", name="Passer la commande").click()

    check_step(page, "done", "Commande passée")
    text = visible_text(page)
    # The order number (HC- and six digits), not the run's reference code shown under the heading.
    number = re.search(r"HC-\d{6}\b", page.inner_text(".confirmation-number")).group(0)
    assert "de 5 agents à 8 agents" in text
    assert "272,00 € ont été débités" in text
    assert "26 novembre 2026" in text
    expect(page.get_by_role("link", name="Attribuer des postes", exact=True)).to_have_attribute(
        "href", re.compile(r"^/fr/account/seats/\d+$"))

    # The confirmation email, in French, reached the SMTP server during the request.
    [mail] = smtp_server.received
    assert mail["To"] == "billing@dupont.example"
    body = mail.as_string()
    assert number in body or number in mail["Subject"]

    page.get_by_role("link", name="Accéder à votre compte").click()
    expect(page.locator("main")).to_contain_text("8")


def test_english_flow_for_northwind_with_the_balance_applied(page, server, smtp_server):
    page.goto(f"{server.url}/en/wizard/seats/")
    check_step(page, "sign-in", "Sign in to the billing centre", "Step 1 of 6")
    sign_in(page, "billing@northwind.example", "demo-pass-en", "Sign in and continue")
    check_step(page, "product", "Which subscription", "Step 2 of 6")
    page.get_by_role("button", name="Add Organizers").click()
    check_step(page, "seats", "How many organizers", "Step 3 of 6")
    page.fill("#quantity", "12")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Checkout").click()
    check_step(page, "review", "Review your order", "Step 4 of 6")
    text = visible_text(page)
    for figure in ["$1,393.97", "$2,304.00", "$910.03", "$25.00", "$885.03"]:
        assert figure in text, figure
    page.get_by_role("button", name="Continue to payment").click()
    check_step(page, "payment", "Payment and VAT number", "Step 5 of 6")
    expect(page.locator("#vat_number")).to_have_count(0)  # not offered outside the EU
    page.get_by_role("button", name="Continue", exact=True).click()
    check_step(page, "confirm", "Place your order", "Step 6 of 6")
    assert "$885.03 will be charged to the card on file, Mastercard ending 4444." in visible_text(page)
    page.get_by_role("button", name="Place order").click()
    check_step(page, "done", "Order placed")
    assert "$885.03 was charged to Mastercard ending 4444." in visible_text(page)
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize("lang, button, heading", [
    ("en", "Sign in and continue", "Your seats are managed on the corporate billing portal"),
    ("fr", "Se connecter et continuer", "Vos postes se gèrent sur le portail de facturation Corporate"),
])
def test_corporate_path(page, server, lang, button, heading):
    page.goto(f"{server.url}/{lang}/wizard/seats/")
    sign_in(page, "billing@globex.example", "demo-pass-corp", button)
    check_step(page, "corporate", heading)
    text = visible_text(page)
    assert "Jordan Lee" in text and "jordan.lee@vendor.example" in text and "+1 555 0100" in text
    # No seat controls: the one form asks the advisor for a quote, prefilled with the current count.
    expect(page.locator("main form")).to_have_count(1)
    expect(page.locator("#quantity")).to_have_value("250")
    expect(page.locator('main a[href^="mailto:jordan.lee@vendor.example"]')).to_have_count(1)
    page.locator(f'main a[href^="/{lang}/articles/3"]').first.click()
    expect(page).to_have_url(re.compile(rf"/{lang}/articles/3-"))


def test_not_billing_contact_page(page, server):
    page.goto(f"{server.url}/fr/wizard/seats/")
    sign_in(page, "admin@dupont.example", "demo-pass-admin", "Se connecter et continuer")
    check_step(page, "not-billing-contact", "Seuls les contacts de facturation peuvent modifier les postes")
    assert "Marc Lefèvre" in visible_text(page)


def check_step_without_javascript(chromium, page, step, heading, indicator=None):
    """check_step for a page shown with scripts disabled.

    axe-core needs scripts (and timers) to run, so the same URL is opened in a second context
    that shares the cookies and has JavaScript on but the site's own script blocked: it renders
    what a browser without JavaScript renders. Only GETs: nothing changes."""
    expect_step(page, step, heading)
    if indicator:
        expect(page.locator("h1 .step-indicator")).to_have_text(indicator)
    context = chromium.new_context(storage_state=page.context.storage_state(), locale="en-GB")
    context.route(SITE_JS, lambda route: route.abort())
    try:
        twin = context.new_page()
        twin.goto(page.url)
        expect_step(twin, step, heading)
        assert_accessible(twin)
    finally:
        context.close()


def test_flow_without_javascript_from_a_support_agents_link(chromium, server):
    """A prefilled link, a decrease that still costs (no payment step), every page without scripts."""
    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{server.url}/wizard/seats/?product=gotoassist-rs5&quantity=4")
        check_step_without_javascript(chromium, page, "sign-in", "Sign in to the billing centre", "Step 1 of 6")
        sign_in(page, "billing@dupont.example", "demo-pass-fr", "Sign in and continue")
        check_step_without_javascript(chromium, page, "product", "Which subscription", "Step 2 of 6")
        assert "The link you followed suggests GoToAssist Remote Support v5" in visible_text(page)
        page.get_by_role("button", name="Add Agents").click()
        check_step_without_javascript(chromium, page, "seats", "How many agents", "Step 3 of 6")
        expect(page.locator("#quantity")).to_have_value("4")
        expect(page.get_by_role("button", name="Add one seat")).to_have_count(0)  # no script, no stepper
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_role("button", name="Checkout").click()
        check_step_without_javascript(chromium, page, "review", "Review your order", "Step 4 of 6")
        assert "You are reducing your seats, yet there is an amount to pay" in visible_text(page)
        expect(page.locator("ol.steps li").nth(4)).to_contain_text("not needed")
        page.get_by_role("button", name="Continue", exact=True).click()
        check_step_without_javascript(chromium, page, "confirm", "Place your order", "Step 6 of 6")
        page.get_by_role("button", name="Place order").click()
        check_step_without_javascript(chromium, page, "done", "Order placed")
        assert "from 5 agents to 4 agents" in visible_text(page)
        # Without scripts the browser's back button reloads the page: it shows the done order.
        page.go_back()
        expect(page).to_have_url(re.compile(r"/wizard/seats/(confirm|done)"))
        # Again, adding seats: the payment step shows every field at once without scripts.
        page.goto(f"{server.url}/en/wizard/seats/")
        page.get_by_role("button", name="Add Agents").click()
        page.fill("#quantity", "6")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_role("button", name="Checkout").click()
        page.get_by_role("button", name="Continue to payment").click()
        check_step_without_javascript(chromium, page, "payment", "Payment and VAT number", "Step 5 of 6")
        expect(page.locator("#card_number")).to_be_visible()
        expect(page.locator("#payment_method-saved")).to_be_checked()
    finally:
        context.close()


def tab_to(page, predicate_js, limit=60):
    """Press Tab until the focused element satisfies the JavaScript predicate (el => bool)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(({predicate_js}))(document.activeElement)"):
            return
    raise AssertionError(f"no focusable element matching {predicate_js}")


def by_text(text):
    return f"el => el && (el.innerText || el.value || '').trim() === {text!r}"


def test_keyboard_only_flow_with_a_vat_number(page, server):
    """Dupont adds seats with a VAT number (reverse charge), using nothing but the keyboard."""
    page.goto(f"{server.url}/en/wizard/seats/")
    tab_to(page, "el => el.id === 'email'")
    page.keyboard.type("billing@dupont.example")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pass-fr")
    page.keyboard.press("Enter")
    expect_step(page, "product", "Which subscription")
    tab_to(page, by_text("Add Agents"))
    page.keyboard.press("Enter")
    expect_step(page, "seats", "How many agents")
    tab_to(page, "el => el.getAttribute('aria-label') === 'Add one seat'")
    for _ in range(3):
        page.keyboard.press("Space")
    expect(page.locator("#quantity")).to_have_value("8")
    tab_to(page, by_text("Add to cart"))
    page.keyboard.press("Enter")
    expect(page.locator("#cart")).to_be_visible()
    tab_to(page, by_text("Checkout"))
    page.keyboard.press("Enter")
    expect_step(page, "review", "Review your order")
    tab_to(page, by_text("Continue to payment"))
    page.keyboard.press("Enter")
    expect_step(page, "payment", "Payment and VAT number")
    tab_to(page, "el => el.id === 'vat_number'")
    page.keyboard.type("FR40303265045")
    page.keyboard.press("Enter")
    expect_step(page, "confirm", "Place your order")
    text = visible_text(page)
    assert "VAT: reverse charge" in text and "€226.67" in text and "€272.00" not in text
    tab_to(page, by_text("Place order"))
    page.keyboard.press("Enter")
    expect_step(page, "done", "Order placed")
    assert "€226.67 was charged" in visible_text(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_error_states_are_accessible_and_focus_the_summary(page, server, lang):
    words = {"en": ("Sign in and continue", "Add Agents", "Add to cart", "Error:"),
             "fr": ("Se connecter et continuer", "Ajouter des agents", "Ajouter au panier", "Erreur\u00a0:")}[lang]
    page.goto(f"{server.url}/{lang}/wizard/seats/")
    sign_in(page, "billing@dupont.example", "not-the-password", words[0])
    expect(page).to_have_title(re.compile("^" + words[3]))
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page)
    sign_in(page, "billing@dupont.example", "demo-pass-fr", words[0])
    page.get_by_role("button", name=words[1]).click()
    page.fill("#quantity", "2")
    page.get_by_role("button", name=words[2]).click()
    expect(page).to_have_title(re.compile("^" + words[3]))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#quantity")).to_have_value("2")
    expect(page.locator("#quantity-error a")).to_have_count(2)
    assert_accessible(page)
    page.locator('.error-summary a[href="#quantity"]').click()
    expect(page.locator("#quantity")).to_be_focused()


def test_declined_card_is_shown_and_accessible(page, server):
    page.goto(f"{server.url}/fr/wizard/seats/")
    sign_in(page, "billing@dupont.example", "demo-pass-fr", "Se connecter et continuer")
    page.get_by_role("button", name="Ajouter des agents").click()
    page.fill("#quantity", "6")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.get_by_role("button", name="Commander").click()
    page.get_by_role("button", name="Continuer vers le paiement").click()
    page.locator('label[for="payment_method-new"]').click()
    page.fill("#card_number", "4000 0000 0000 0002")
    page.fill("#exp_month", "12")
    page.fill("#exp_year", "2031")
    page.fill("#cvc", "123")
    page.fill("#cardholder", "Claire Dupont")
    page.get_by_role("button", name="Continuer", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("Votre carte a été refusée")
    # The card number and the security code are never sent back (issue 11); the rest is kept.
    expect(page.locator("#card_number")).to_have_value("")
    expect(page.locator("#cvc")).to_have_value("")
    expect(page.locator("#cardholder")).to_have_value("Claire Dupont")
    expect(page.locator("#new-card")).to_be_visible()
    assert_accessible(page)
    # Fields with an error stay on screen even when the card on file is chosen again.
    page.locator('label[for="payment_method-saved"]').click()
    expect(page.locator("#cardholder")).to_be_visible()


# Sums the layout shifts of the page so far that no input caused (what CLS is made of).
LAYOUT_SHIFT_JS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) { if (!entry.hadRecentInput) { total += entry.value; } }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


def open_holding_the_script(chromium, page):
    """page's URL in a tall window sharing its cookies, the site's script held back; returns the
    new page and a function that lets the script through and waits for the load event."""
    # A tall window, so that everything under the form is on screen and a shift of it would count.
    context = chromium.new_context(storage_state=page.context.storage_state(), locale="en-GB",
                                   viewport={"width": 1280, "height": 2000})
    held = []
    context.route(SITE_JS, lambda route: held.append(route))
    twin = context.new_page()
    twin.goto(page.url, wait_until="commit")
    # The script is held, but the page is measured as first painted: with its stylesheet and
    # fonts (a box measured before the stylesheet arrived would "move" when it does).
    twin.wait_for_function("""() => document.readyState !== 'loading'
        && [...document.querySelectorAll('link[rel=stylesheet]')].every(link => link.sheet)
        && document.fonts.status === 'loaded'""")

    def release():
        while not held:
            twin.wait_for_timeout(50)
        held[0].continue_()
        twin.wait_for_load_state("load")
        twin.wait_for_timeout(200)  # a frame or two after the script ran

    return twin, release


def to_the_seats_step(page, server, quantity=None):
    page.goto(f"{server.url}/en/wizard/seats/")
    sign_in(page, "billing@dupont.example", "demo-pass-fr", "Sign in and continue")
    page.get_by_role("button", name="Add Agents").click()
    expect_step(page, "seats", "How many agents")
    if quantity:
        page.fill("#quantity", quantity)
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_role("button", name="Checkout").click()


def test_payment_step_is_laid_out_before_the_script_runs(chromium, page, server):
    """The new-card fields are hidden from the first paint while the card on file is chosen (CSS,
    not the script, decides), so nothing shifts when the script arrives; choosing a new card
    shows them with the script still held back."""
    to_the_seats_step(page, server, "7")
    page.get_by_role("button", name="Continue to payment").click()
    expect_step(page, "payment", "Payment and VAT number")
    twin, release = open_holding_the_script(chromium, page)
    try:
        expect(twin.locator("#payment_method-saved")).to_be_checked()
        expect(twin.locator("#new-card")).to_be_hidden()
        expect(twin.get_by_role("button", name="Continue", exact=True)).to_be_visible()
        release()
        assert twin.evaluate(LAYOUT_SHIFT_JS) == 0
        twin.locator('label[for="payment_method-new"]').click()
        expect(twin.locator("#card_number")).to_be_visible()
        twin.locator('label[for="payment_method-saved"]').click()
        expect(twin.locator("#new-card")).to_be_hidden()
    finally:
        twin.context.close()


def test_seat_stepper_buttons_take_their_place_without_a_shift(chromium, page, server):
    """The script adds "−" and "+" beside the number field into room kept for them: the field and
    everything under it stay where they were painted first."""
    to_the_seats_step(page, server)
    twin, release = open_holding_the_script(chromium, page)
    try:
        expect(twin.locator("#quantity")).to_be_visible()
        before = [twin.locator(s).bounding_box() for s in ("#quantity", ".button-row button")]
        release()
        expect(twin.get_by_role("button", name="Add one seat")).to_be_visible()
        assert [twin.locator(s).bounding_box() for s in ("#quantity", ".button-row button")] == before
        assert twin.evaluate(LAYOUT_SHIFT_JS) == 0
    finally:
        twin.context.close()


@pytest.mark.parametrize("lang, add, cart, checkout, review", [
    ("en", "Add to cart", "Add Agents", "Checkout", "15 agents"),
    ("fr", "Ajouter au panier", "Ajouter des agents", "Commander", "15 agents"),
])
def test_checkout_reviews_the_number_typed_after_adding_to_the_cart(page, server, lang, add, cart, checkout, review):
    """Add 12 to the cart, type 15, press Checkout: the review shows 15, not 12 (issue 12, item 2)."""
    page.goto(f"{server.url}/{lang}/wizard/seats/")
    sign_in(page, "billing@dupont.example", "demo-pass-fr", "Sign in and continue" if lang == "en" else "Se connecter et continuer")
    page.get_by_role("button", name=cart).click()
    page.fill("#quantity", "12")
    page.get_by_role("button", name=add).click()
    expect(page.locator("#cart")).to_contain_text("12")
    page.fill("#quantity", "15")
    page.get_by_role("button", name=checkout, exact=True).click()
    expect_step(page, "review", "")
    text = visible_text(page)
    assert review in text and "12 agents" not in text
