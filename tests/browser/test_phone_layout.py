"""Every page a customer meets, on a 390 px phone, in both languages: nothing wider than the
screen, and axe-core finds no violation.

The pages are listed as data. A workflow is a `Walk`: where it starts, who signs in, and the
stops it makes, each with the language-neutral action that moves on from it. Adding the pages of
another workflow (the payment-details workflow, say) is one more `Walk` in WALKS.
"""
import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from sqlalchemy import select

from helpcenter.billing import models, service
from tests.conftest import assert_accessible

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
LANGS = ["en", "fr"]

# Pages anyone can open (the 404 page and empty search results included).
PUBLIC_PAGES = [
    "/{lang}/",
    "/{lang}/articles/1",
    "/{lang}/articles/2",
    "/{lang}/articles/3",
    "/{lang}/articles/4",
    "/{lang}/articles/5",
    "/{lang}/search?q=seats",
    "/{lang}/search?q=zzzqqq",
    "/{lang}/sign-in",
    "/{lang}/contact?reference=HC-7K2Q9D",
    "/{lang}/no-such-page",
]

# Account pages, per demo sign-in: the billing contact with an order, the admin, the corporate
# account with 250 users.
ACCOUNT_PAGES = [
    ("billing@dupont.example", "demo-pass-fr", ["/{lang}/account/", "/{lang}/account/seats/{subscription}"]),
    ("admin@dupont.example", "demo-pass-admin", ["/{lang}/account/"]),
    ("billing@northwind.example", "demo-pass-en", ["/{lang}/account/", "/{lang}/account/seats/{subscription}"]),
    ("billing@globex.example", "demo-pass-corp", ["/{lang}/account/", "/{lang}/account/seats/{subscription}"]),
]


def submit(selector: str) -> Callable:
    """Press the submit button matching `selector` (language-neutral: names and values, not labels)."""
    def act(page):
        with page.expect_navigation():
            page.locator(selector).first.click()
    return act


def press_continue(page):
    """The step's main button: the first submit button of the step's form."""
    submit("main form button[type=submit]:not(.link-button)")(page)


def fill(values: dict, then: Callable = press_continue) -> Callable:
    def act(page):
        for selector, value in values.items():
            page.fill(selector, value)
        then(page)
    return act


def sign_in_as(email: str, password: str) -> Callable:
    return fill({"#email": email, "#password": password})


@dataclass(frozen=True)
class Stop:
    """A page of a workflow (its URL matches `url`), and how to move on from it (None: the last)."""

    url: str
    next: Callable | None = None


@dataclass(frozen=True)
class Walk:
    name: str
    start: str  # with {lang}
    stops: list[Stop] = field(default_factory=list)


SEATS = "/{lang}/wizard/seats/"
PAYMENT = "/{lang}/wizard/payment/"


def card(number: str) -> dict:
    return {"#card_number": number, "#exp_month": "11", "#exp_year": "2031", "#cvc": "123",
            "#cardholder": "Claire Dupont"}
WALKS = [
    # Dupont adds 3 Agents: every step, the payment step included, with a form error on the way.
    Walk("seats: add seats", SEATS + "?product=gotoassist-rs5", [
        Stop(r"/wizard/seats/sign-in", fill({"#email": "billing@dupont.example", "#password": "wrong-password"})),
        Stop(r"/wizard/seats/sign-in", sign_in_as("billing@dupont.example", "demo-pass-fr")),  # with its error summary
        Stop(r"/wizard/seats/product", submit("button[name=subscription]")),
        Stop(r"/wizard/seats/seats", fill({"#quantity": "0"}, submit("button[name=action][value=cart]"))),
        Stop(r"/wizard/seats/seats", fill({"#quantity": "8"}, submit("button[name=action][value=cart]"))),
        Stop(r"/wizard/seats/seats", submit("button[name=action][value=checkout]")),  # with the cart
        Stop(r"/wizard/seats/review", press_continue),
        Stop(r"/wizard/seats/payment", press_continue),
        Stop(r"/wizard/seats/confirm", press_continue),
        Stop(r"/wizard/seats/done"),
    ]),
    Walk("seats: corporate account", SEATS + "?product=gotomeeting-business&quantity=260", [
        Stop(r"/wizard/seats/sign-in", sign_in_as("billing@globex.example", "demo-pass-corp")),
        Stop(r"/wizard/seats/corporate", fill({"#quantity": "abc"})),  # the quote request, with its error
        Stop(r"/wizard/seats/corporate", fill({"#quantity": "260"})),
        Stop(r"/wizard/seats/corporate"),  # the request sent
    ]),
    Walk("seats: not a billing contact", SEATS, [
        Stop(r"/wizard/seats/sign-in", sign_in_as("admin@dupont.example", "demo-pass-admin")),
        Stop(r"/wizard/seats/not-billing-contact"),
    ]),
    # Dupont replaces its card (a declined one first) and records a VAT number (article 5).
    Walk("payment: new card and VAT number", PAYMENT, [
        Stop(r"/wizard/payment/sign-in", sign_in_as("billing@dupont.example", "demo-pass-fr")),
        Stop(r"/wizard/payment/card", fill(card("4000 0000 0000 0002"), submit("button[name=action][value=card]"))),
        Stop(r"/wizard/payment/card", fill(card("5555 5555 5555 4444"), submit("button[name=action][value=card]"))),
        Stop(r"/wizard/payment/vat", fill({"#vat_number": "FR00000000000"})),  # with its error
        Stop(r"/wizard/payment/vat", fill({"#vat_number": "FR40303265045"})),
        Stop(r"/wizard/payment/confirm", press_continue),
        Stop(r"/wizard/payment/done"),
    ]),
    Walk("payment: corporate account", PAYMENT, [
        Stop(r"/wizard/payment/sign-in", sign_in_as("billing@globex.example", "demo-pass-corp")),
        Stop(r"/wizard/payment/corporate"),
    ]),
    Walk("payment: not a billing contact", PAYMENT, [
        Stop(r"/wizard/payment/sign-in", sign_in_as("admin@dupont.example", "demo-pass-admin")),
        Stop(r"/wizard/payment/not-billing-contact"),
    ]),
]


def check_fits_the_phone(page) -> None:
    """No horizontal scrolling on a 390 px screen, and nothing for axe-core to report."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('main *, header *, footer *')]
        .filter(el => el.getBoundingClientRect().right > 390.5 && el.getClientRects().length)
        .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' '
                          + Math.round(el.getBoundingClientRect().right) + 'px')""")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px screen: {wide}"
    assert not wide, f"{page.url}: elements past the right edge: {wide}"
    assert not spilling_out_of_cards(page), f"{page.url}: {spilling_out_of_cards(page)}"
    assert_accessible(page)


def spilling_out_of_cards(page) -> list[str]:
    """Elements whose right edge passes their card's (a value spilling out of the box)."""
    return page.evaluate("""() => [...document.querySelectorAll('.card, .callout')].flatMap(card => {
        const edge = card.getBoundingClientRect().right + 0.5;
        return [...card.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > edge)
            .slice(0, 3).map(el => el.tagName.toLowerCase() + ' ' + (el.textContent || '').trim().slice(0, 40));
    })""")


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def dupont_with_an_order(demo, db_session):
    """Dupont after one order, so that the order history shows every line."""
    contact = db_session.scalar(select(models.Contact).where(models.Contact.email == "billing@dupont.example"))
    sub_id = db_session.scalar(select(models.Subscription.id)
                               .where(models.Subscription.account_id == contact.account_id))
    clock = demo.extensions["clock"]
    quote = service.quote_seat_change(db_session, clock, contact_id=contact.id, subscription_id=sub_id, new_seats=8)
    service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale="fr",
                        assign_seats_url="http://127.0.0.1/fr/account/seats/1")
    return demo


def subscription_of(db_session, email: str) -> int:
    contact = db_session.scalar(select(models.Contact).where(models.Contact.email == email))
    return db_session.scalar(select(models.Subscription.id).where(models.Subscription.account_id == contact.account_id))


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages_fit_a_phone(phone, live_server, demo, lang):
    for path in PUBLIC_PAGES:
        phone.goto(live_server.url + path.format(lang=lang))
        check_fits_the_phone(phone)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("email, password, paths", ACCOUNT_PAGES, ids=[a[0].split("@")[1] for a in ACCOUNT_PAGES])
def test_account_pages_fit_a_phone(phone, live_server, dupont_with_an_order, db_session, lang, email, password, paths):
    phone.goto(f"{live_server.url}/{lang}/sign-in")
    sign_in_as(email, password)(phone)
    subscription = subscription_of(db_session, email)
    for path in paths:
        phone.goto(live_server.url + path.format(lang=lang, subscription=subscription))
        assert phone.locator("h1").count() == 1
        check_fits_the_phone(phone)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("walk", WALKS, ids=[w.name for w in WALKS])
def test_every_workflow_page_fits_a_phone(phone, live_server, demo, lang, walk):
    phone.goto(live_server.url + walk.start.format(lang=lang))
    for number, stop in enumerate(walk.stops, 1):
        assert re.search(stop.url, phone.url), f"{walk.name}, stop {number}: expected {stop.url}, at {phone.url}"
        check_fits_the_phone(phone)
        if stop.next:
            stop.next(phone)


def placeholder_fits(page, selector: str) -> bool:
    """The field's placeholder is shown whole (its text is narrower than the field's content box)."""
    return page.evaluate("""(sel) => {
        const input = document.querySelector(sel);
        const style = getComputedStyle(input);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = style.font;
        const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return ctx.measureText(input.placeholder).width <= room;
    }""", selector)


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_phone_the_search_placeholder_is_whole_and_the_contents_come_first(phone, live_server, lang):
    phone.goto(f"{live_server.url}/{lang}/articles/1")
    assert placeholder_fits(phone, "#site-search")
    # "On this page" comes before the article's body, not after it.
    toc = phone.locator("nav.toc-top")
    assert toc.is_visible() and not phone.locator("nav.toc-aside").is_visible()
    body_top = phone.locator(".article-body").bounding_box()["y"]
    assert toc.bounding_box()["y"] < body_top


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_phone_a_workflow_heading_is_not_pushed_down_by_the_step_list(phone, live_server, demo, lang):
    phone.goto(f"{live_server.url}/{lang}/wizard/seats/")
    sign_in_as("billing@dupont.example", "demo-pass-fr")(phone)
    header_bottom = phone.locator("header.site-header").bounding_box()
    header_bottom = header_bottom["y"] + header_bottom["height"]
    gap = phone.locator("main h1").bounding_box()["y"] - header_bottom
    assert gap < 90, f"{gap:.0f} px between the header and the step's heading"


@pytest.mark.parametrize("lang", LANGS)
def test_on_a_wide_screen_the_product_cards_hold_their_values(chromium, live_server, demo, lang):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/{lang}/wizard/seats/")
        sign_in_as("billing@dupont.example", "demo-pass-fr")(page)
        assert "/wizard/seats/product" in page.url
        assert page.locator(".card").count() >= 1
        assert spilling_out_of_cards(page) == []
    finally:
        context.close()
