"""The real articles (articles/): complete translations, links that resolve, the seat steps."""
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from helpcenter.config import PROJECT_ROOT
from helpcenter.help.store import load_store

REAL_ARTICLES = Path(PROJECT_ROOT) / "articles"
LANGS = ("en", "fr")


@pytest.fixture
def app_config(app_config):
    app_config["ARTICLES_DIR"] = str(REAL_ARTICLES)
    return app_config


@pytest.fixture(scope="module")
def real_store():
    return load_store(REAL_ARTICLES)  # renders all: anchors of article:N#x are checked


def test_the_five_articles_exist(real_store):
    assert set(real_store.ids()) >= {1, 2, 3, 4, 5}


def test_every_article_has_its_translation(real_store):
    for article_id in real_store.ids():
        assert set(real_store.translations(article_id)) == set(LANGS), f"article {article_id}"


def test_translations_share_category_and_related_articles(real_store):
    for article_id in real_store.ids():
        en, fr = (real_store.get(article_id, lang) for lang in LANGS)
        assert en.category == fr.category, article_id
        assert set(en.related) == set(fr.related), article_id


@pytest.mark.parametrize("lang", LANGS)
def test_the_seat_article_has_six_steps(real_store, lang):
    article = real_store.get(1, lang)
    assert article.category == "seats"
    assert {f"step-{n}" for n in range(1, 7)} <= article.rendered.anchors
    assert "step-7" not in article.rendered.anchors
    for n in range(1, 7):
        assert article.step_html(n), n


@pytest.mark.parametrize("lang", LANGS)
def test_every_internal_link_resolves(client, real_store, lang):
    for article in real_store.articles(lang):
        response = client.get(f"/{lang}/articles/{article.id}-{article.slug}")
        assert response.status_code == 200
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for link in page.select(".article-body a[href]"):
            href = link["href"]
            assert not href.startswith(("article:", "wizard:")), href
            if href.startswith("#"):
                assert page.find(id=href[1:]), f"{article.path}: {href}"
            match = re.fullmatch(r"/(en|fr)/articles/([^#]+)(?:#(.+))?", href)
            if match:
                assert match.group(1) == lang, f"{article.path}: {href} is in another language"
                target = client.get(f"/{lang}/articles/{match.group(2)}")
                assert target.status_code == 200, f"{article.path}: {href}"  # canonical, no redirect
                if match.group(3):
                    target_page = BeautifulSoup(target.get_data(as_text=True), "html.parser")
                    assert target_page.find(id=match.group(3)), f"{article.path}: {href}"
            elif href.startswith("/"):
                workflow = re.fullmatch(rf"/{lang}/wizard/(seats|payment)/(\?.*)?", href)
                assert workflow is not None, href
                assert client.get(href).status_code == 303, href  # the workflow's start redirects


def test_the_articles_check_command(runner):
    result = runner.invoke(args=["articles", "check"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ articles are valid", result.output)


def test_the_seat_article_is_on_the_french_home_page(client, real_store):
    page = BeautifulSoup(client.get("/fr/").get_data(as_text=True), "html.parser")
    seat = real_store.get(1, "fr")
    link = page.select_one(f".topics a[href=\"/fr/articles/1-{seat.slug}\"]")
    assert link is not None and link.get_text(strip=True) == seat.title
    assert re.search("poste", seat.title, re.I)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_seat_article_sidebar_does_not_link_to_itself(client, lang):
    own = BeautifulSoup(client.get(f"/{lang}/articles/1", follow_redirects=True).get_data(as_text=True), "html.parser")
    assert own.select_one(".seat-workflow a[href*='/wizard/seats/']") is not None
    assert own.select(".seat-workflow a[href*='/articles/1']") == []
    other = BeautifulSoup(client.get(f"/{lang}/articles/2", follow_redirects=True).get_data(as_text=True), "html.parser")
    assert other.select(".seat-workflow a[href*='/articles/1']") != []
