"""The help centre in a real browser: home, search, an article and its translation, copy links,
and axe-core on each page in both languages (real articles)."""
import re

import pytest

from helpcenter.articles import SEAT_CHANGE
from helpcenter.config import PROJECT_ROOT
from helpcenter.help.store import load_store
from tests.conftest import assert_accessible

STORE = load_store(PROJECT_ROOT / "articles")
SEAT = {lang: f"/{lang}/articles/{SEAT_CHANGE}-{STORE.get(SEAT_CHANGE, lang).slug}" for lang in ("en", "fr")}
SEARCH_WORD = {"en": "seats", "fr": "postes"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_home_search_and_article_are_accessible(live_server, page, lang):
    base = live_server.url
    page.goto(f"{base}/{lang}/")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator(f'.topics a[href="{SEAT[lang]}"]').inner_text() == STORE.get(1, lang).title
    assert_accessible(page)

    # Search from the home page box, as a reader does.
    page.fill("#home-search", SEARCH_WORD[lang])
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{lang}/search\?q="))
    assert page.locator(".seat-workflow").count() == 1  # a question about seats: the workflow first
    assert page.locator("ol.results mark").count() > 0
    assert_accessible(page)

    page.locator(f'ol.results a[href="{SEAT[lang]}"]').click()
    page.wait_for_url(f"{base}{SEAT[lang]}")
    assert page.locator("h1").inner_text() == STORE.get(1, lang).title
    assert [page.locator(f"#step-{n}").count() for n in range(1, 7)] == [1] * 6
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_search_without_results_is_accessible(live_server, page, lang):
    page.goto(f"{live_server.url}/{lang}/search?q=kangourou+quantique")
    assert page.locator(".category-list a").count() > 0
    assert_accessible(page)


def test_french_article_switches_to_its_english_translation(live_server, page):
    base = live_server.url
    page.goto(f"{base}{SEAT['fr']}")
    page.locator("a.lang-switch").click()
    page.wait_for_url(f"{base}{SEAT['en']}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == STORE.get(1, "en").title
    # the choice is remembered: the share link now opens the English article
    page.goto(f"{base}/articles/1")
    assert page.url == f"{base}{SEAT['en']}"


def test_copy_link_copies_the_section_url(live_server, page):
    base = live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(f"{base}{SEAT['fr']}")
    link = page.locator(".article-body h2 a[data-copy-link]").first
    anchor = link.get_attribute("href")
    assert anchor.startswith("#")
    assert link.evaluate("a => a.textContent").strip().startswith("#")
    link.click()
    status = page.locator(".copy-status")
    status.wait_for()
    assert status.inner_text() == "Lien copié"
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}{SEAT['fr']}{anchor}"
    assert page.url.endswith(anchor)


def test_copy_link_is_a_plain_anchor_without_javascript(live_server, chromium):
    context = chromium.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        base = live_server.url
        page.goto(f"{base}{SEAT['fr']}")
        link = page.locator(".article-body h2 a[data-copy-link]").nth(1)
        anchor = link.get_attribute("href")
        link.click()
        assert page.url == f"{base}{SEAT['fr']}{anchor}"
        assert page.evaluate(f"document.querySelector('{anchor}').matches(':target')")
        # a shared link to a step opens at that step
        page.goto(f"{base}{SEAT['fr']}#step-4")
        assert page.evaluate("document.querySelector('#step-4').matches(':target')")
    finally:
        context.close()



FEEDBACK = {"en": ("No", "What was missing?", "It is hard to understand", "Send", "Thank you for your feedback"),
            "fr": ("Non", "Qu’est-ce qui manquait\u00a0?", "Il est difficile à comprendre", "Envoyer", "Merci pour votre avis")}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_asks_what_was_missing_without_javascript(app, live_server, chromium, page, lang):
    from sqlalchemy import select

    from helpcenter.help.models import ArticleFeedback
    no, title, reason, send, thanks = FEEDBACK[lang]
    context = chromium.new_context(java_script_enabled=False, locale=lang)
    try:
        plain = context.new_page()
        plain.set_default_timeout(20_000)
        plain.goto(f"{live_server.url}{SEAT[lang]}")
        plain.locator("#feedback button", has_text=no).click()
        plain.wait_for_url(re.compile(rf"/{lang}/articles/1/feedback/"))
        ask = plain.url
        assert plain.locator("h1").inner_text() == title
        with plain.expect_navigation():  # nothing chosen: an error, linked to the field
            plain.get_by_role("button", name=send).click()
        assert plain.locator(".error-summary a[href='#reason-0']").count() == 1
        plain.get_by_label(reason).check()
        plain.locator("textarea[name=comment]").fill("Le prix par poste")
        plain.get_by_role("button", name=send).click()
        plain.wait_for_url(re.compile(r"feedback=thanks"))
        assert thanks in plain.locator("#feedback").inner_text()
    finally:
        context.close()
    with app.extensions["db_sessionmaker"]() as session:
        row = session.scalars(select(ArticleFeedback)).one()
        assert (row.lang, row.helpful, row.reason, row.comment) == (lang, False, "unclear", "Le prix par poste")
    page.goto(ask)  # axe needs scripting: the same page in an ordinary browser
    assert page.locator("h1").inner_text() == title
    assert_accessible(page)
