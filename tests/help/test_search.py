"""Full-text search over the articles (helpcenter.help.search) on the fixture articles."""
import pytest
from bs4 import BeautifulSoup

from helpcenter.help.search import MAX_QUERY_LENGTH, is_about_seats
from helpcenter.help.store import load_store


@pytest.fixture(scope="module")
def fixtures_store():
    from pathlib import Path
    return load_store(Path(__file__).resolve().parent / "articles")


def ids(results):
    return [hit.article.id for hit in results.hits]


def test_a_title_match_ranks_above_body_matches(fixtures_store):
    # "invoices" is in article 2's title; article 3 says "invoice" five times in its body
    results = fixtures_store.search("en", "invoices")
    assert ids(results)[:2] == [2, 3]
    results = fixtures_store.search("fr", "factures")
    assert ids(results)[0] == 2


@pytest.mark.parametrize("query", ["poste", "postes", "POSTES", "Postés"])
def test_french_stems_and_accents(fixtures_store, query):
    assert 1 in ids(fixtures_store.search("fr", query))


@pytest.mark.parametrize("query", ["periode facturation", "période de facturation", "PERIODE DE FACTURATION"])
def test_french_query_without_accents_finds_accented_words(fixtures_store, query):
    results = fixtures_store.search("fr", query)
    assert results.matched_all_words
    assert {1, 2} <= set(ids(results))


@pytest.mark.parametrize("query", ["seat", "seats", "Seats", "seating"])
def test_english_stems(fixtures_store, query):
    assert 1 in ids(fixtures_store.search("en", query))


def test_english_query_with_accents_still_matches(fixtures_store):
    assert 1 in ids(fixtures_store.search("en", "séats"))


def test_british_and_american_spellings_meet(fixtures_store):
    assert 1 in ids(fixtures_store.search("en", "licenses"))  # keyword "licence"


@pytest.mark.parametrize("lang, query, expected", [
    ("en", "invo", 2), ("en", "prora", 2), ("fr", "factu", 2), ("fr", "autoliq", 5), ("fr", "intracom", 5),
])
def test_the_last_word_matches_as_a_prefix(fixtures_store, lang, query, expected):
    assert expected in ids(fixtures_store.search(lang, query))


def test_only_the_last_word_is_a_prefix(fixtures_store):
    assert not fixtures_store.search("en", "invo seats").matched_all_words  # "invo" alone is no word
    results = fixtures_store.search("en", "seats invo")  # "invo" finishes as invoice(s)
    assert results.matched_all_words and ids(results) == [3]


def test_stop_words_do_not_hide_results(fixtures_store):
    assert ids(fixtures_store.search("en", "how do I add seats"))[0] == 1
    assert ids(fixtures_store.search("fr", "comment ajouter des postes"))[0] == 1


def test_some_words_when_no_article_has_them_all(fixtures_store):
    results = fixtures_store.search("en", "seats zebra")
    assert not results.matched_all_words
    assert 1 in ids(results)


def test_search_is_per_language(fixtures_store):
    assert fixtures_store.search("en", "autoliquidation").total == 0  # only in a French article
    assert 5 in ids(fixtures_store.search("fr", "autoliquidation"))


def test_matches_are_highlighted_and_escaped(fixtures_store):
    hit = fixtures_store.search("fr", "postes").hits[0]
    assert "<mark>postes</mark>" in str(hit.title_html) or "<mark>postes</mark>" in str(hit.snippet_html)
    hit = next(h for h in fixtures_store.search("en", "attempts").hits if h.article.id == 4)
    snippet = str(hit.snippet_html)
    assert "<mark>attempts</mark>" in snippet
    assert "<script" not in snippet and "<img" not in snippet


def test_snippet_reads_as_text_not_markdown(fixtures_store):
    hit = fixtures_store.search("en", "agents").hits[0]
    snippet = str(hit.snippet_html)
    assert "<mark>Agents</mark>" in snippet
    assert "**" not in snippet and "{" not in snippet and "](" not in snippet


def test_a_query_cannot_inject_markup_or_fts_syntax(fixtures_store):
    for query in ['<script>alert(1)</script>', '" OR 1=1 --', "seats NEAR(x) NOT AND *", "title:seats", "^seats"]:
        results = fixtures_store.search("en", query)
        for hit in results.hits:
            assert "<script" not in str(hit.snippet_html) + str(hit.title_html)


def test_empty_and_blank_queries(fixtures_store):
    for query in ["", "   ", None, "?!", "-"]:
        results = fixtures_store.search("en", query)
        assert results.hits == () and results.total == 0


def test_very_long_queries_are_cut(fixtures_store):
    results = fixtures_store.search("en", "seats " + "x" * 1000)
    assert len(results.query) == MAX_QUERY_LENGTH


def test_results_are_cached_but_not_shared_between_languages(fixtures_store):
    first = fixtures_store.search("fr", "postes")
    assert fixtures_store.search("fr", "postes") is first
    assert fixtures_store.search("en", "postes") is not first


@pytest.mark.parametrize("query", ["seats", "seat", "licences", "licenses", "postes", "poste", "agents", "organizers",
                                   "organisateurs", "experts", "add users", "how to add more users",
                                   "ajouter des utilisateurs", "change number of seats"])
def test_queries_about_the_seat_task(query):
    assert is_about_seats(query)


@pytest.mark.parametrize("query", ["invoice", "vat number", "users", "add", "période de facturation", ""])
def test_queries_about_something_else(query):
    assert not is_about_seats(query)


# --- did you mean ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang, query, suggestion", [("en", "invoce", "invoice"), ("en", "invocies", "invoices"),
                                                     ("fr", "factrues", "factures")])
def test_a_misspelt_word_gets_a_suggestion_that_finds_articles(fixtures_store, lang, query, suggestion):
    results = fixtures_store.search(lang, query)
    assert results.hits == () and results.suggestion == suggestion
    assert fixtures_store.search(lang, suggestion).hits


def test_no_suggestion_when_the_words_are_found_or_nothing_is_close(fixtures_store):
    assert fixtures_store.search("en", "invoice").suggestion is None
    assert fixtures_store.search("en", "zyxwvut").suggestion is None
    assert fixtures_store.search("en", "inv").suggestion is None  # too short to guess from


def test_only_the_misspelt_word_is_corrected(fixtures_store):
    results = fixtures_store.search("en", "seats invoce")
    assert results.suggestion == "seats invoice"


@pytest.mark.parametrize("lang, text", [("en", "Did you mean"), ("fr", "Vouliez-vous dire")])
def test_the_results_page_links_the_suggestion(client, lang, text):
    query = "invoce" if lang == "en" else "factrues"
    page = BeautifulSoup(client.get(f"/{lang}/search?q={query}").get_data(as_text=True), "html.parser")
    suggestion = page.select_one(".suggestion")
    assert text in suggestion.get_text()
    link = suggestion.a
    assert link["href"] == f"/{lang}/search?q=" + ("invoice" if lang == "en" else "factures")
