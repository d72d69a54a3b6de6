"""Help centre pages on the fixture articles: locale, redirects, articles, search, feedback, sitemap."""
import re
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from helpcenter.help.models import ArticleFeedback, SearchMiss

SEATS = {"en": "/en/articles/1-add-or-remove-seats", "fr": "/fr/articles/1-ajouter-ou-retirer-des-postes"}


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


# --- locale negotiation and share links -------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_help_pages_take_the_language_of_the_url(client, lang):
    for url in (f"/{lang}/", SEATS[lang], f"/{lang}/search?q=x", f"/{lang}/categories/billing"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert soup(response).html["lang"] == lang
    assert client.get_cookie("lang").value == lang  # remembered for / and the share links


def test_unknown_language_is_404(client):
    assert client.get("/de/articles/1-add-or-remove-seats").status_code == 404


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_bare_id_redirects_permanently_to_the_canonical_url(client, lang):
    response = client.get(f"/{lang}/articles/1")
    assert response.status_code == 301 and response.location == SEATS[lang]


@pytest.mark.parametrize("wrong", ["1-not-the-slug", "1-", "1-add-or-remove-seats-extra", "1-ajouter-ou-retirer-des-postes"])
def test_wrong_slug_redirects_permanently(client, wrong):
    response = client.get(f"/en/articles/{wrong}")
    assert response.status_code == 301 and response.location == SEATS["en"]


@pytest.mark.parametrize("lang, old", [("en", "old-seat-article"), ("fr", "ancien-article-postes")])
def test_former_slug_redirects_with_or_without_id(client, lang, old):
    for ref in (old, f"1-{old}"):
        response = client.get(f"/{lang}/articles/{ref}")
        assert response.status_code == 301 and response.location == SEATS[lang]


def test_share_link_follows_the_browser_language(app):
    response = app.test_client().get("/articles/1", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 302 and response.location == SEATS["fr"]
    assert "Accept-Language" in response.headers["Vary"] and "Cookie" in response.headers["Vary"]
    response = app.test_client().get("/articles/1", headers={"Accept-Language": "de"})
    assert response.location == SEATS["en"]


def test_share_link_prefers_the_remembered_language(client):
    client.get("/fr/")  # remembers French
    response = client.get("/articles/1", headers={"Accept-Language": "en"})
    assert response.location == SEATS["fr"]
    client.set_cookie("lang", "en")
    assert client.get("/articles/1-anything", headers={"Accept-Language": "fr"}).location == SEATS["en"]


def test_share_link_to_an_article_missing_in_the_readers_language(app):
    response = app.test_client().get("/articles/5", headers={"Accept-Language": "en"})
    assert response.location == "/en/articles/5-numero-de-tva-intracommunautaire"


@pytest.mark.parametrize("url", ["/articles/99", "/articles/abc", "/en/articles/99", "/en/articles/99-x", "/en/articles/no-such-slug"])
def test_unknown_articles_are_404(client, url):
    assert client.get(url).status_code == 404


def test_the_404_is_translated(client):
    response = client.get("/fr/articles/99-rien")
    assert response.status_code == 404
    assert soup(response).html["lang"] == "fr" and "Page introuvable" in response.get_data(as_text=True)


# --- the article page ---------------------------------------------------------------------------

def test_article_page_shows_title_breadcrumbs_date_and_toc(client):
    page = soup(client.get(SEATS["fr"]))
    assert page.h1.get_text(strip=True) == "Ajouter ou retirer des postes"
    crumbs = [a.get_text(strip=True) for a in page.select("nav.breadcrumbs a")]
    assert crumbs == ["Centre d’aide", "Postes et utilisateurs", "Ajouter ou retirer des postes"]
    assert page.select_one("nav.breadcrumbs a[aria-current=page]")["href"] == SEATS["fr"]
    assert "Mis à jour le 20 novembre 2026" in page.select_one(".article-meta").get_text()
    # The table of contents twice: above the body (shown on phones) and beside it (wide screens).
    assert [a["href"] for a in page.select("nav.toc-top a")] == ["#how", "#apres-la-commande"]
    assert [a["href"] for a in page.select("nav.toc-aside a")] == ["#how", "#apres-la-commande"]
    assert page.select_one("nav.toc-top").find_parent("article") is not None
    assert page.title.get_text().startswith("Ajouter ou retirer des postes")


def test_english_date_format_is_british(client):
    assert "Last updated on 20 November 2026" in soup(client.get(SEATS["en"])).select_one(".article-meta").get_text()


def test_alternates_canonical_and_opengraph(client):
    page = soup(client.get(SEATS["fr"]))
    alternates = {link["hreflang"]: link["href"] for link in page.select('head link[rel=alternate]')}
    assert alternates == {"en": "http://localhost" + SEATS["en"], "fr": "http://localhost" + SEATS["fr"],
                          "x-default": "http://localhost/articles/1"}
    assert page.select_one("link[rel=canonical]")["href"] == "http://localhost" + SEATS["fr"]
    og = {m["property"]: m["content"] for m in page.select("meta[property]")}
    assert og["og:title"] == "Ajouter ou retirer des postes"
    assert og["og:description"].startswith("Les contacts de facturation")
    assert og["og:url"] == "http://localhost" + SEATS["fr"]
    assert og["og:locale"] == "fr_FR" and og["og:locale:alternate"] == "en_GB"
    assert page.select_one("meta[name=description]")["content"] == og["og:description"]


def test_language_switcher_leads_to_the_translation(client):
    page = soup(client.get(SEATS["fr"]))
    assert page.select_one("a.lang-switch")["href"] == SEATS["en"]
    page = soup(client.get(SEATS["en"]))
    assert page.select_one("a.lang-switch")["href"] == SEATS["fr"]


@pytest.mark.parametrize("lang, label", [("en", "Copy link to section: How to change your seats"),
                                         ("fr", "Copier le lien vers la section\u00a0: Modifier vos postes")])
def test_each_heading_has_a_copy_link_that_is_a_plain_anchor(client, lang, label):
    page = soup(client.get(SEATS[lang]))
    links = page.select(".article-body h2 a[data-copy-link]")
    assert [a["href"] for a in links][0] == "#how" and len(links) == 2
    assert links[0].select_one(".visually-hidden").get_text() == label
    assert links[0].find("span", attrs={"aria-hidden": "true"})
    assert page.find(id="how").name == "h2"


def test_steps_have_anchors_and_the_workflow_link(client):
    page = soup(client.get(SEATS["fr"]))
    assert [li["id"] for li in page.select("ol.steps > li")] == [f"step-{n}" for n in range(1, 7)]
    assert page.select_one('.article-body a[href="/fr/wizard/seats/"]')
    assert page.select_one(".seat-workflow a.button")["href"] == "/fr/wizard/seats/"


def test_related_articles(client):
    page = soup(client.get(SEATS["en"]))
    assert [a["href"] for a in page.select(".related a")] == ["/en/articles/2-download-your-invoices"]


@pytest.mark.parametrize("url, shown, notice", [
    ("/fr/articles/3", "en", "Cet article n’est pas encore disponible en français"),
    ("/en/articles/5", "fr", "This article is not available in English yet"),
])
def test_missing_translation_falls_back_with_a_notice_and_lang(client, url, shown, notice):
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200
    page = soup(response)
    page_lang = url.split("/")[1]
    assert page.html["lang"] == page_lang
    assert notice in page.select_one(".fallback-notice").get_text()
    assert page.select_one("article")["lang"] == shown
    assert page.select_one(".article-meta")["lang"] == page_lang
    # the only alternate is the article in its language, which is also the canonical URL
    alternates = {link["hreflang"] for link in page.select('head link[rel=alternate]')}
    assert alternates == {shown, "x-default"}
    assert f"/{shown}/articles/" in page.select_one("link[rel=canonical]")["href"]


def test_fallback_redirects_use_the_shown_slug(client):
    response = client.get("/fr/articles/3-wrong")
    assert response.status_code == 301 and response.location == "/fr/articles/3-keep-track-of-orders"


def test_article_content_is_inert_on_the_page(client):
    body = client.get("/en/articles/4-formatting-that-must-stay-inert").get_data(as_text=True)
    article = BeautifulSoup(body, "html.parser").select_one(".article-body")
    assert not article.find_all(["script", "iframe"])
    assert "onerror" not in str(article) and 'href="javascript' not in str(article)


# --- home and categories ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_home_lists_topics_with_article_titles_and_the_seat_workflow(client, lang):
    page = soup(client.get(f"/{lang}/"))
    titles = {a.get_text(strip=True): a["href"] for a in page.select(".topics a") if "/articles/" in a["href"]}
    expected = {"en": "Add or remove seats", "fr": "Ajouter ou retirer des postes"}[lang]
    assert titles[expected] == SEATS[lang]
    assert len({re.match(r"/\w\w/articles/(\d+)", h).group(1) for h in titles.values()}) == 5
    assert page.select_one(".seat-workflow a.button")["href"] == f"/{lang}/wizard/seats/"
    assert page.select_one("form.home-search")["action"] == f"/{lang}/search"
    assert "Nothing here" not in page.get_text() and "Rien ici" not in page.get_text()  # empty topics hidden


def test_home_marks_untranslated_articles(client):
    page = soup(client.get("/fr/"))
    link = page.find("a", href="/fr/articles/3-keep-track-of-orders")
    assert link["lang"] == "en" and link.get_text() == "Keep track of orders"


def test_category_page(client):
    page = soup(client.get("/fr/categories/billing"))
    assert page.h1.get_text() == "Facturation"
    assert [a["href"] for a in page.select(".results a")] == [
        "/fr/articles/2-telecharger-vos-factures", "/fr/articles/3-keep-track-of-orders",
        "/fr/articles/4-formatting-that-must-stay-inert", "/fr/articles/5-numero-de-tva-intracommunautaire"]
    assert client.get("/fr/categories/nowhere").status_code == 404


# --- search --------------------------------------------------------------------------------------

def test_search_results_link_and_highlight(client):
    page = soup(client.get("/fr/search", query_string={"q": "periode facturation"}))
    results = page.select("ol.results > li")
    assert results and results[0].select_one("a")["href"].startswith("/fr/articles/")
    assert page.select("ol.results mark")
    assert page.select_one("#search-q")["value"] == "periode facturation"
    # The page's own search form replaces the header's: one search box, not two.
    assert page.select_one("#site-search") is None and len(page.select("input[name=q]")) == 1
    assert "Résultats de la recherche «\u00a0periode facturation\u00a0»" in page.h1.get_text()


def test_search_ranks_titles_first_on_the_page(client):
    page = soup(client.get("/en/search?q=invoices"))
    assert [a["href"] for a in page.select("ol.results h2 a")][:2] == [
        "/en/articles/2-download-your-invoices", "/en/articles/3-keep-track-of-orders"]


def test_search_escapes_the_query(client):
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    body = client.get("/fr/search", query_string={"q": attack}).get_data(as_text=True)
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_empty_search_shows_a_prompt(client):
    response = client.get("/en/search")
    assert response.status_code == 200
    page = soup(response)
    assert "Type a few words about your question" in page.get_text()
    assert page.select_one(".seat-workflow") and page.select(".category-list a")
    assert client.get("/en/search?q=").status_code == 200


def test_search_about_seats_shows_the_workflow_first(client):
    page = soup(client.get("/fr/search?q=postes"))
    box = page.select_one(".seat-workflow")
    assert box is not None and box.select_one("a.button")["href"] == "/fr/wizard/seats/"
    assert box.find_next("ol", class_="results") is not None  # above the results
    assert soup(client.get("/fr/search?q=factures")).select_one(".seat-workflow") is None


def test_search_without_results_helps_and_is_counted(client, db_session):
    for _ in range(2):
        response = client.get("/en/search", query_string={"q": "  Quantum   Kangaroo "})
    page = soup(response)
    assert response.status_code == 200
    assert "No article matches your search" in page.get_text()
    assert page.select(".category-list a") and page.select_one(".seat-workflow")
    miss = db_session.scalars(select(SearchMiss)).one()
    assert (miss.lang, miss.query, miss.count) == ("en", "quantum kangaroo", 2)
    client.get("/fr/search?q=quantum kangaroo")
    assert db_session.scalar(select(func.count()).select_from(SearchMiss)) == 2


def test_search_with_results_is_not_counted_as_a_miss(client, db_session):
    client.get("/en/search?q=seats")
    assert db_session.scalar(select(func.count()).select_from(SearchMiss)) == 0


def test_long_queries_are_cut_to_200_characters(client):
    page = soup(client.get("/en/search", query_string={"q": "seats " * 100}))
    assert len(page.select_one("#search-q")["value"]) <= 200
    assert page.select("ol.results > li")


# --- feedback ------------------------------------------------------------------------------------

SAME_ORIGIN = {"Origin": "http://localhost"}


def test_feedback_is_stored_and_thanked_in_the_page_language(client, db_session):
    page = soup(client.get(SEATS["fr"]))
    assert page.select_one("#feedback-title").get_text() == "Cet article vous a-t-il été utile\u00a0?"
    assert page.select_one("#feedback input[name=csrf_token]") is None  # the same page for every reader
    response = client.post("/fr/articles/1/feedback", data={"helpful": "yes"}, headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert response.location == SEATS["fr"] + "?feedback=thanks#feedback"
    page = soup(client.get(response.location))
    assert "Merci pour votre avis" in page.select_one("#feedback").get_text()
    assert page.select_one("#feedback form") is None
    row = db_session.scalars(select(ArticleFeedback)).one()
    assert (row.article_id, row.lang, row.helpful, row.reason, row.comment) == (1, "fr", True, None, None)


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
                                     {"Sec-Fetch-Site": "same-site"}])
def test_feedback_from_another_site_is_refused_and_not_stored(client, db_session, headers):
    response = client.post("/fr/articles/1/feedback", data={"helpful": "yes"}, headers=headers)
    assert response.status_code == 403
    assert soup(response).html["lang"] == "fr" and "Accès refusé" in soup(response).get_text()
    assert db_session.scalar(select(func.count()).select_from(ArticleFeedback)) == 0


def test_feedback_is_accepted_on_fetch_metadata_alone(client, db_session):
    response = client.post("/en/articles/1/feedback", data={"helpful": "yes"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303
    assert db_session.scalar(select(func.count()).select_from(ArticleFeedback)) == 1


def test_feedback_with_a_bad_answer_or_article(client, db_session):
    assert client.post("/en/articles/1/feedback", data={"helpful": "maybe"}, headers=SAME_ORIGIN).status_code == 400
    assert client.post("/en/articles/99/feedback", data={"helpful": "yes"}, headers=SAME_ORIGIN).status_code == 404
    assert client.get("/en/articles/1/feedback").status_code == 405
    assert db_session.scalar(select(func.count()).select_from(ArticleFeedback)) == 0


MISSING = {"en": ("What was missing?", "It is hard to understand", "Choose what was missing", "Thank you for your feedback"),
           "fr": ("Qu’est-ce qui manquait\u00a0?", "Il est difficile à comprendre", "Choisissez ce qui manquait",
                  "Merci pour votre avis")}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_asks_what_was_missing_before_thanking(client, db_session, lang):
    title, unclear, required, thanks = MISSING[lang]
    response = client.post(f"/{lang}/articles/1/feedback", data={"helpful": "no"}, headers=SAME_ORIGIN)
    assert response.status_code == 303 and response.location.startswith(f"/{lang}/articles/1/feedback/")
    ask = response.location
    page = soup(client.get(ask))
    assert page.html["lang"] == lang and page.h1.get_text() == title
    labels = [label.get_text() for label in page.select("fieldset label")]
    assert unclear in labels and len(labels) == 4
    assert page.select_one("textarea[name=comment]") is not None
    assert page.select_one("input[name=csrf_token]") is None
    assert db_session.scalars(select(ArticleFeedback.helpful)).all() == [False]  # the "No" is kept already

    response = client.post(ask, data={"comment": "x"}, headers=SAME_ORIGIN)  # no choice: an error, nothing stored
    assert response.status_code == 400
    page = soup(response)
    assert required in page.select_one(".error-summary").get_text()
    assert page.select_one("textarea[name=comment]").get_text().strip() == "x"  # what was typed is kept
    assert db_session.scalars(select(ArticleFeedback.reason)).all() == [None]

    response = client.post(ask, data={"reason": "unclear", "comment": "  Where is the <b>price</b>?  "}, headers=SAME_ORIGIN)
    assert response.status_code == 303 and response.location == SEATS[lang] + "?feedback=thanks#feedback"
    assert thanks in soup(client.get(response.location)).select_one("#feedback").get_text()
    db_session.expire_all()
    row = db_session.scalars(select(ArticleFeedback)).one()
    assert (row.article_id, row.lang, row.helpful, row.reason, row.comment) == (1, lang, False, "unclear", "Where is the <b>price</b>?")
    assert row.created_at is not None
    # The same link cannot rewrite the answer.
    client.post(ask, data={"reason": "other", "comment": "changed"}, headers=SAME_ORIGIN)
    db_session.expire_all()
    assert db_session.scalars(select(ArticleFeedback.reason)).all() == ["unclear"]


def test_what_was_missing_refuses_forged_links_other_sites_and_bad_input(client, db_session):
    ask = client.post("/en/articles/1/feedback", data={"helpful": "no"}, headers=SAME_ORIGIN).location
    assert client.get("/en/articles/1/feedback/1.forged.token").status_code == 404
    assert client.get(ask.replace("/articles/1/", "/articles/99/")).status_code == 404
    assert client.post(ask, data={"reason": "unclear"}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(ask, data={"reason": "no-such-reason"}, headers=SAME_ORIGIN).status_code == 400
    assert client.post(ask, data={"reason": "other", "comment": "x" * 1001}, headers=SAME_ORIGIN).status_code == 400
    # A "yes" has nothing to explain: a link made for another row changes nothing.
    db_session.expire_all()
    assert db_session.scalars(select(ArticleFeedback.reason)).all() == [None]


# --- sitemap and robots --------------------------------------------------------------------------

def test_sitemap_lists_every_article_in_every_language_with_alternates(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ET.fromstring(response.data)
    urls = {u.find("s:loc", ns).text: u for u in root.findall("s:url", ns)}
    base = "http://localhost"
    for lang in ("en", "fr"):
        assert base + SEATS[lang] in urls
        assert base + f"/{lang}/" in urls
    seat = urls[base + SEATS["fr"]]
    links = {link.get("hreflang"): link.get("href") for link in seat.findall("x:link", ns)}
    assert links == {"en": base + SEATS["en"], "fr": base + SEATS["fr"], "x-default": base + "/articles/1"}
    assert seat.find("s:lastmod", ns).text == "2026-11-20"
    article_urls = [u for u in urls if "/articles/" in u]
    assert len(article_urls) == 7  # every written translation, no fallback page
    assert base + "/en/articles/5-numero-de-tva-intracommunautaire" not in urls


def test_robots_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /fr/wizard/" in text and "Disallow: /en/search" in text


# --- functions other parts use --------------------------------------------------------------------

def test_article_url_and_step_html(app):
    from helpcenter.help import article_url, get_store, step_html
    with app.test_request_context("/fr/"):
        from flask import g
        g.lang = "fr"
        assert article_url(1) == SEATS["fr"]
        assert article_url(1, "en", anchor="step-4") == SEATS["en"] + "#step-4"
        assert article_url(3, "fr") == "/fr/articles/3-keep-track-of-orders"
        assert get_store().count() == 7
        assert str(step_html(1, "fr", 2)) == "Cliquez sur <strong>Ajouter des agents</strong>."
        assert step_html(1, "en", 6) == "Place the order."
        assert step_html(1, "en", 7) is None
        assert step_html(3, "fr", 1) is None  # not written in French
    template = app.jinja_env.from_string("{{ article_url(1, 'en') }} {{ step_html(1, 'en', 1) }}")
    with app.test_request_context("/en/"):
        assert template.render() == SEATS["en"] + " Sign in to the billing centre."

