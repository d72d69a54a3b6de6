"""The console: articles of both languages side by side with their links, and the workflow link builder."""
import pytest

from tests.agent.conftest import soup, text


def test_search_finds_both_languages_side_by_side_with_sections_and_steps(as_agent):
    response = as_agent.get("/en/agent/?q=seats")
    assert response.status_code == 200
    page = soup(response)
    match = page.select_one("#match-1").find_parent("article")
    versions = {v["lang"]: v for v in match.select(".version")}
    assert set(versions) == {"en", "fr"}
    en_links = [a["href"] for a in versions["en"].select("a.share-url")]
    fr_links = [a["href"] for a in versions["fr"].select("a.share-url")]
    assert any(h.startswith("http://localhost/en/articles/1-") and "#" not in h for h in en_links)
    assert any(h.startswith("http://localhost/fr/articles/1-") and "#" not in h for h in fr_links)
    assert any(h.startswith("http://localhost/en/articles/1-") and h.endswith("#step-4") for h in en_links)
    assert any(h.startswith("http://localhost/fr/articles/1-") and h.endswith("#step-4") for h in fr_links)
    assert "http://localhost/articles/1#step-4" in en_links
    assert "http://localhost/articles/1" in [a["href"] for a in match.select("a.share-url")]
    # Sections: at least one heading link per language
    assert versions["en"].find("h5") is not None and versions["fr"].find("h5") is not None


def test_a_french_word_finds_the_article_too(as_agent):
    page = soup(as_agent.get("/fr/agent/?q=postes"))
    assert page.select_one("#match-1") is not None


def test_copy_buttons_are_an_enhancement_links_are_plain_anchors(as_agent):
    page = soup(as_agent.get("/en/agent/?q=seats"))
    holders = page.select("[data-copy-url]")
    assert holders
    for holder in holders[:5]:
        link = holder.select_one("a.share-url")
        assert link["href"] == holder["data-copy-url"] == link.get_text()
    assert page.select_one("script[src='/en/agent/static/agent.js']") is not None


@pytest.mark.parametrize("lang,expected", [("en", "No article in either language matches"),
                                           ("fr", "Aucun article, dans l’une ou l’autre langue, ne correspond")])
def test_no_match(as_agent, lang, expected):
    assert expected in text(as_agent.get(f"/{lang}/agent/?q=zzzqqq"))


@pytest.mark.parametrize("lang,count_text", [("en", "8 agents"), ("fr", "8 agents")])
def test_link_builder_prefilled_seat_link_and_what_the_customer_sees(as_agent, lang, count_text):
    response = as_agent.get(f"/{lang}/agent/?workflow=seats&product=gotoassist-rs5&quantity=8&link_lang=fr")
    assert response.status_code == 200
    built = soup(response).select_one("#built-link")
    assert built.select_one("a.share-url")["href"] == \
        "http://localhost/fr/wizard/seats/?product=gotoassist-rs5&quantity=8"
    shown = " ".join(built.get_text(" ").split())
    assert "GoToAssist Remote Support v5" in shown
    assert "Agents" in shown
    assert count_text in shown


def test_link_builder_language_neutral_link(as_agent):
    built = soup(as_agent.get("/en/agent/?workflow=seats&product=gotomeeting-business&quantity=12&link_lang=neutral"))
    shown = " ".join(built.select_one("#built-link").get_text(" ").split())
    assert built.select_one("#built-link a.share-url")["href"] == \
        "http://localhost/wizard/seats/?product=gotomeeting-business&quantity=12"
    assert "12 organizers" in shown and "12 organisateurs" in shown


def test_link_builder_payment_workflow(as_agent):
    built = soup(as_agent.get("/en/agent/?workflow=payment&product=&quantity=&link_lang=en"))
    assert built.select_one("#built-link a.share-url")["href"] == "http://localhost/en/wizard/payment/"


@pytest.mark.parametrize("lang,query,message", [
    ("en", "product=gotoassist-rs5&quantity=501", "Enter a whole number of seats from 1 to 500"),
    ("fr", "product=gotoassist-rs5&quantity=0", "Saisissez un nombre entier de postes compris entre 1 et 500"),
    ("en", "product=gotoassist-rs5&quantity=abc", "Enter a whole number of seats from 1 to 500"),
    ("en", "product=acme-unknown&quantity=3", "Choose one of the products in the list"),
    ("fr", "product=acme-unknown&quantity=3", "Choisissez l’un des produits de la liste"),
    ("en", "product=&quantity=3", "Choose the product the number of seats is for"),
])
def test_link_builder_refuses_bad_input_with_a_clear_error(as_agent, lang, query, message):
    response = as_agent.get(f"/{lang}/agent/?workflow=seats&{query}&link_lang=neutral")
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one("#built-link") is None
    assert message in page.select_one(".error-summary").get_text()


def test_link_builder_refuses_a_product_for_the_payment_workflow(as_agent):
    response = as_agent.get("/en/agent/?workflow=payment&product=gotoassist-rs5&link_lang=neutral")
    assert response.status_code == 400
    assert "Only the seat workflow takes a product" in text(response)


def test_find_a_trail_form_goes_to_the_trail_page(as_agent):
    response = as_agent.get("/en/agent/runs/?reference=hc-7k2q9d")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/agent/runs/HC-7K2Q9D"
