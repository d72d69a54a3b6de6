"""The sign-in, account and seat-assignment pages in a real browser: keyboard only, and axe-core."""
import re

import pytest
from sqlalchemy import select

from helpcenter.billing import models, service
from tests.conftest import assert_accessible

EMAIL, PASSWORD = "billing@dupont.example", "demo-pass-fr"


@pytest.fixture
def dupont_with_an_order(demo, db_session):
    """Dupont after one order (5 -> 8 Agents), so that the order history has figures to check."""
    contact = db_session.scalar(select(models.Contact).where(models.Contact.email == EMAIL))
    sub_id = db_session.scalar(select(models.Subscription.id).where(models.Subscription.account_id == contact.account_id))
    clock = demo.extensions["clock"]
    quote = service.quote_seat_change(db_session, clock, contact_id=contact.id, subscription_id=sub_id, new_seats=8)
    service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale="fr",
                        assign_seats_url="http://127.0.0.1/fr/account/seats/1")
    return sub_id


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement && document.activeElement.matches(sel)", selector):
            return
    raise AssertionError(f"{selector} never received the focus with Tab")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sign_in_account_and_assign_a_seat_with_the_keyboard(live_server, page, dupont_with_an_order, lang):
    base = live_server.url
    sub_id = dupont_with_an_order

    # Sign in, with a mistake first: the error summary and the field errors must be accessible too.
    page.goto(f"{base}/{lang}/sign-in?next=/{lang}/account/")
    assert_accessible(page)
    tab_to(page, "#email")
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error-summary a[href='#email']").count() == 1
    assert page.title().startswith("Error:" if lang == "en" else "Erreur")
    assert page.input_value("#email") == EMAIL and page.input_value("#password") == ""
    assert_accessible(page)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/{lang}/account/"

    # The account page: subscription, order with its figures, activity.
    assert page.locator("h1").inner_text() == ("Your account" if lang == "en" else "Votre compte")
    assert page.locator(".subscription").count() == 1
    assert page.locator(".order").count() == 1
    assert "8" in page.locator(".order").inner_text()
    assert_accessible(page)

    # To the seat page through its link, by keyboard.
    tab_to(page, f"a[href='/{lang}/account/seats/{sub_id}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/{lang}/account/seats/{sub_id}"
    assert_accessible(page)

    free_before = int(page.locator(".seat-counts dd").nth(3).inner_text())
    button = page.locator("button[name=assign]").first
    user_id = button.get_attribute("value")
    user_name = page.locator(f"#user-{user_id} th").inner_text()
    tab_to(page, f"button[name=assign][value='{user_id}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/{lang}/account/seats/{sub_id}"
    notice = page.locator(".notice-success").inner_text()
    assert user_name in notice
    assert page.locator(f"button[name=unassign][value='{user_id}']").count() == 1
    assert int(page.locator(".seat-counts dd").nth(3).inner_text()) == free_before - 1
    assert_accessible(page)

    # The add-user form with errors: summary linked to the fields, nothing typed cleared.
    tab_to(page, "#user-name")
    page.keyboard.type("Nouvelle Personne")
    page.keyboard.press("Tab")
    page.keyboard.type("pas-une-adresse")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".error-summary a[href='#user-email']").count() == 1
    assert page.input_value("#user-name") == "Nouvelle Personne"
    assert page.input_value("#user-email") == "pas-une-adresse"
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("email, password", [
    ("admin@dupont.example", "demo-pass-admin"),
    ("billing@northwind.example", "demo-pass-en"),
    ("billing@globex.example", "demo-pass-corp"),
])
def test_other_contacts_account_pages_are_accessible(live_server, page, demo, lang, email, password):
    page.goto(f"{live_server.url}/{lang}/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert re.search(rf"/{lang}/account/$", page.url)
    assert_accessible(page)
    with page.expect_navigation():
        page.click(".subscription .action-links a >> nth=0")
    assert "/account/seats/" in page.url
    assert_accessible(page)
    # Signed in, the sign-in page says who you are; signing out comes back home with a notice.
    page.goto(f"{live_server.url}/{lang}/sign-in")
    assert email in page.locator("main").inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == f"{live_server.url}/{lang}/"
    assert page.locator(".notice-success").count() == 1
