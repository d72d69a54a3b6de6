"""Sessions in a real browser: after sign-out on a shared computer, Back shows nothing of the
account (signed-in pages are no-store), and a copy of the cookie no longer works."""
import pytest

EMAIL, PASSWORD = "billing@dupont.example", "demo-pass-fr"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_back_after_sign_out_shows_nothing_of_the_account(live_server, page, demo, lang):
    base = live_server.url
    page.goto(f"{base}/{lang}/sign-in?next=/{lang}/account/")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url == f"{base}/{lang}/account/"
    assert "Visa" in page.content()  # the card on file is on the page
    stolen = [c for c in page.context.cookies() if c["name"] == "session"]

    with page.expect_navigation():
        page.locator("form[action$='/sign-out'] button").click()
    assert page.url == f"{base}/{lang}/"
    page.go_back()
    page.wait_for_load_state()
    # The browser asked the server again (nothing was cached), which sent it to sign in.
    assert "/sign-in" in page.url
    assert "Visa" not in page.content() and "4242" not in page.content()

    # The cookie copied before sign-out is refused by the server.
    other = page.context.browser.new_context()
    try:
        other.add_cookies(stolen)
        thief = other.new_page()
        thief.goto(f"{base}/{lang}/account/")
        assert "/sign-in" in thief.url and "4242" not in thief.content()
    finally:
        other.close()
