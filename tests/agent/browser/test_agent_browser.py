"""The agent pages in a real Chromium, in both languages: sign-in, console (copy links with and
without JavaScript), link builder, trail, requests, insights; axe-core on every page."""
import re

import pytest
from playwright.sync_api import expect

from tests.agent.conftest import AGENT
from tests.conftest import assert_accessible

HEADINGS = {
    "en": {"console": "Agent console", "trail": "Trail of HC-7K2Q9D", "requests": "Support requests",
           "insights": "Insights", "unknown": "No such reference", "button": "Sign in", "copied": "Link copied"},
    "fr": {"console": "Console de l’agent", "trail": "Suivi de HC-7K2Q9D", "requests": "Demandes de support",
           "insights": "Statistiques", "unknown": "Référence inconnue", "button": "Se connecter",
           "copied": "Lien copié"},
}


@pytest.fixture
def activity(record, support_request, dupont):
    """A run where Dupont stumbled, and the request they sent with its reference."""
    ref = "HC-7K2Q9D"
    record(ref, "step_shown", "seats", contact_id=dupont.id)
    record(ref, "form_error", "seats", {"fields": {"quantity": {"messages": ["Enter a number"], "value": "dix"}}},
           contact_id=dupont.id)
    record(ref, "step_shown", "payment", contact_id=dupont.id)
    record(ref, "refusal", "payment", {"code": "card_declined"}, contact_id=dupont.id)
    support_request(reference=ref, account_id=dupont.account_id, contact_id=dupont.id,
                    page="/fr/wizard/seats/payment", message="Ma carte est refusée, que faire ?")
    return ref


def sign_in_as_agent(page, base, lang):
    page.goto(f"{base}/{lang}/sign-in")
    page.fill("#email", AGENT[0])
    page.fill("#password", AGENT[1])
    page.locator("main").get_by_role("button", name=HEADINGS[lang]["button"]).click()
    expect(page).to_have_url(f"{base}/{lang}/agent/")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_agent_page_is_accessible(page, live_server, agent_demo, activity, lang):
    base, h = live_server.url, HEADINGS[lang]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    sign_in_as_agent(page, base, lang)
    expect(page.locator("h1")).to_have_text(h["console"])
    assert_accessible(page)

    # Search both languages; copy a step link with the button JavaScript adds.
    page.fill("#q", "seats" if lang == "en" else "postes")
    page.locator("#q").press("Enter")
    expect(page.locator("#match-1")).to_be_visible()
    assert_accessible(page)
    step4 = page.locator(f".version[lang={lang}] [data-copy-url$='#step-4']").first
    step4.get_by_role("button").click()
    expect(step4.locator(".copy-status")).to_have_text(h["copied"])
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(rf"{re.escape(base)}/{lang}/articles/1-[a-z0-9-]+#step-4", copied)

    # The link builder, with an error, then a good link.
    page.goto(f"{base}/{lang}/agent/?workflow=seats&product=gotoassist-rs5&quantity=900&link_lang=neutral")
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.fill("#quantity", "8")
    page.locator("#builder ~ form button[type=submit], section[aria-labelledby=builder] button[type=submit]").click()
    expect(page.locator("#built-link a.share-url")).to_have_text(
        f"{base}/wizard/seats/?product=gotoassist-rs5&quantity=8")
    assert_accessible(page)

    # Requests, then the trail from the request's link.
    page.locator("nav.agent-nav a").nth(1).click()
    expect(page.locator("h1")).to_have_text(h["requests"])
    assert_accessible(page)
    page.locator(f"a[href='/{lang}/agent/runs/HC-7K2Q9D']").click()
    expect(page.locator("h1")).to_have_text(h["trail"])
    expect(page.locator(".trail > li")).to_have_count(4)
    assert_accessible(page)

    page.goto(f"{base}/{lang}/agent/runs/HC-NOSUCH")
    expect(page.locator("h1")).to_have_text(h["unknown"])
    assert_accessible(page)

    page.locator("nav.agent-nav a").nth(2).click()
    expect(page.locator("h1")).to_have_text(h["insights"])
    expect(page.locator("svg.chart")).to_have_count(1)
    assert_accessible(page)
    page.fill("#start", "2026-12-40")
    page.locator("form.period-form button").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)


def test_links_are_visible_and_selectable_without_javascript(chromium, live_server, agent_demo):
    context = chromium.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in_as_agent(page, live_server.url, "fr")
        page.goto(f"{live_server.url}/fr/agent/?q=postes")
        links = page.locator(".version[lang=fr] a.share-url")
        assert links.count() > 3
        expect(links.first).to_be_visible()
        assert page.locator(".copy-button").count() == 0
        page.goto(f"{live_server.url}/fr/agent/?workflow=seats&product=gotomeeting-business&quantity=12&link_lang=fr")
        expect(page.locator("#built-link")).to_contain_text("12 organisateurs")
    finally:
        context.close()
