"""The workflow's words (issue 12, items 3, 5 and 7): validity in the account's zone, the seller's
country named, the seat type of the products on screen, no VAT row where none applies, the
glossary's line items, and "Still need help?" with the run's reference on every page."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from helpcenter.messages import audit_event_message


@pytest.mark.parametrize("lang, pattern", [
    ("en", r"These figures are valid for 30 minutes \(until \d{1,2}:\d\d [ap]m Paris time\)\."),
    ("fr", r"Ces montants sont valables 30 minutes \(jusqu’à \d{1,2} h \d\d, heure de Paris\)\."),
])
def test_the_review_says_how_long_its_figures_hold_in_the_accounts_zone(visitor, lang, pattern):
    visitor.lang = lang
    text = visitor.text(visitor.to_review("dupont", 8))
    assert re.search(pattern, text), text[-600:]
    assert "UTC" not in text


@pytest.mark.parametrize("lang, line_item, balance", [
    ("en", "New period at 8 seats", "Balance applied"),
    ("fr", "Nouvelle période à 8 postes", "Solde du compte utilisé"),
])
def test_the_review_uses_the_glossarys_line_items(visitor, lang, line_item, balance):
    visitor.lang = lang
    text = visitor.text(visitor.to_review("dupont", 8))
    assert line_item in text and balance in text
    assert "Subscription rate for the new period" not in text and "Account balance applied" not in text


@pytest.mark.parametrize("lang, hint", [
    ("en", "With a valid number from an EU country other than the seller’s (Ireland), no VAT is charged"),
    ("fr", "Avec un numéro valide d’un pays de l’UE autre que celui du vendeur (Irlande), aucune TVA n’est facturée"),
])
def test_the_vat_hint_names_the_sellers_country(visitor, lang, hint):
    visitor.lang = lang
    payment = visitor.continue_review(visitor.to_review("dupont", 8))
    assert visitor.step(payment) == "payment"
    text = visitor.text(payment)
    assert hint in text and "than ours" not in text


@pytest.mark.parametrize("lang, sentence", [
    ("en", "For GoToMeeting Business, it is Add Organizers."),
    ("fr", "Pour GoToMeeting Business, c’est « Ajouter des organisateurs »."),
])
def test_the_product_steps_sidebar_names_the_seat_type_of_the_product_on_screen(visitor, lang, sentence):
    visitor.lang = lang
    page = visitor.sign_in("northwind")
    assert visitor.step(page) == "product"
    sidebar = " ".join(visitor.soup(page).select_one("aside.article-excerpt").get_text(" ").split())
    sidebar = sidebar.replace("\u00a0", " ").replace("\u202f", " ")
    assert sentence in sidebar
    assert "GoToAssist" not in sidebar


def help_link(page, soup_of):
    link = soup_of(page).select_one(".wizard-main .still-need-help a")
    return parse_qs(urlsplit(link["href"]).query)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_workflow_page_offers_help_with_the_runs_reference(visitor, runs, lang):
    visitor.lang = lang
    sign_in = visitor.get(f"/{lang}/wizard/seats/")
    assert "reference" not in help_link(sign_in, visitor.soup)  # no run yet
    page = visitor.choose_product(visitor.sign_in())
    pages = [page]
    page = visitor.add_to_cart(page, 8)
    pages.append(visitor.checkout(page))
    pages.append(visitor.continue_review(pages[-1]))
    reference = runs()[0].reference
    for shown in pages:
        assert help_link(shown, visitor.soup)["reference"] == [reference], shown.request.path
        assert reference in visitor.text(shown)


def test_the_audit_trail_names_a_seat_by_its_product(app):
    from types import SimpleNamespace
    event = SimpleNamespace(action="seat_assigned", details={"product": "gotomeeting-business", "user": "a@b.example"})
    with app.test_request_context("/en/"):
        assert audit_event_message(event, {"gotomeeting-business": "GoToMeeting Business"}) == \
            "GoToMeeting Business seat assigned to a@b.example"


def test_a_workflow_page_has_one_help_link_the_one_with_the_reference(visitor, runs):
    page = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 8)
    links = [a for a in visitor.soup(page).select("a") if "/en/contact" in a["href"]]
    assert len(links) == 1 and runs()[0].reference in links[0]["href"]
