"""Loading, validating and rendering articles (helpcenter.help.store and render)."""
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from helpcenter import create_app
from helpcenter.help.render import markdown_to_text, sanitize
from helpcenter.help.store import ArticleError, load_store


def test_fixture_articles_load(fixture_articles):
    store = load_store(fixture_articles)
    assert store.count() == 7
    assert store.ids() == [1, 2, 3, 4, 5]
    seats = store.get(1, "fr")
    assert seats.title == "Ajouter ou retirer des postes"
    assert seats.updated == date(2026, 11, 20)
    assert seats.redirect_from == ("ancien-article-postes",)
    assert list(store.categories) == ["seats", "billing", "empty"]


def test_missing_translation_resolves_to_the_other_language(fixture_articles):
    store = load_store(fixture_articles)
    assert store.get(3, "fr") is None
    assert store.resolve(3, "fr").lang == "en"
    assert store.resolve(5, "en").lang == "fr"
    assert store.resolve(99, "en") is None


def test_slugs_and_former_slugs_find_the_article(fixture_articles):
    store = load_store(fixture_articles)
    assert store.by_slug("en", "add-or-remove-seats").id == 1
    assert store.by_slug("en", "old-seat-article").id == 1
    assert store.by_slug("fr", "old-seat-article") is None  # slugs belong to a language
    assert store.by_slug("fr", "ancien-article-postes").id == 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_steps_are_numbered_in_both_languages(fixture_articles, lang):
    article = load_store(fixture_articles).get(1, lang)
    html = "".join(p for p in article.rendered.parts if isinstance(p, str))
    assert [f"step-{n}" for n in range(1, 7)] == re.findall(r'<li id="(step-\d+)"', html)
    assert article.step_html(1) and "<li" not in article.step_html(1)
    assert article.step_html(7) is None


def test_step_html_is_the_sanitized_item(fixture_articles):
    article = load_store(fixture_articles).get(1, "en")
    assert str(article.step_html(2)) == "Click <strong>Add Agents</strong>."
    # internal links inside a step are rewritten to the article's language
    assert '<a href="/en/articles/2-download-your-invoices#proration">' in article.step_html(4)
    assert '<a href="/fr/articles/2-telecharger-vos-factures#proration">' in load_store(fixture_articles).get(1, "fr").step_html(4)


def test_headings_get_stable_and_derived_anchors(fixture_articles):
    rendered = load_store(fixture_articles).get(1, "en").rendered
    assert [(h.anchor, h.text) for h in rendered.toc] == [("how", "How to change your seats"),
                                                         ("after-the-order", "After the order")]
    french = load_store(fixture_articles).get(1, "fr").rendered
    assert [h.anchor for h in french.toc] == ["how", "apres-la-commande"]  # accents folded


def test_links_to_articles_and_to_the_workflow_are_rewritten(fixture_articles):
    store = load_store(fixture_articles)
    html = "".join(p for p in store.get(1, "fr").rendered.parts if isinstance(p, str))
    assert 'href="/fr/wizard/seats/"' in html
    assert 'href="/fr/articles/2-telecharger-vos-factures#proration"' in html
    assert "article:" not in html and "wizard:" not in html
    assert '<p class="callout">' in html


def test_raw_html_scripts_handlers_and_javascript_urls_are_inert(fixture_articles):
    article = load_store(fixture_articles).get(4, "en")
    html = "".join(p for p in article.rendered.parts if isinstance(p, str))
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "iframe", "style", "object"])
    for tag in soup.find_all(True):
        assert not any(name.startswith("on") or name == "style" for name in tag.attrs), tag
        assert not tag.get("href", "").strip().lower().startswith("javascript"), tag
        assert not tag.get("src", "").strip().lower().startswith("javascript"), tag
    assert "alert('onerror-attribute')" not in html and 'alert("script-tag")' not in html
    assert "Plain words before the attempts." in html
    assert '<h2 id="safe-heading">' in html
    assert "Styled paragraph" in html


def test_sanitize_keeps_the_allowlist_only():
    dirty = ('<p class="callout evil" id="x" onclick="a()">t</p><a href="javascript:x()">j</a>'
             '<a href="https://example.com/" target="_blank">e</a><object data="x"></object>')
    clean = sanitize(dirty)
    assert clean == '<p class="callout" id="x">t</p><a>j</a><a href="https://example.com/">e</a>'


def test_markdown_to_text_reads_like_prose():
    text = markdown_to_text("{#a}\n## Title\n\nSome **bold** [link](article:2) text.\n\n- one\n- two\n\n<b>x</b> &amp; y")
    assert text == "Title. Some bold link text. one. two. x & y"


# --- broken articles: a clear start-up error naming the file and the field -------------------

def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN = [
    ("en/2-invoices.md", 'title: "Download your invoices"\n', "", "title", "missing"),
    ("en/2-invoices.md", "id: 2\n", "id: abc\n", "id", "whole number"),
    ("en/2-invoices.md", "id: 2\n", "id: 0\n", "id", "whole number"),
    ("en/2-invoices.md", "id: 2\n", "id: true\n", "id", "whole number"),
    ("en/3-invoice-history.md", "id: 3\n", "id: 2\n", "id", "duplicate id 2"),
    ("en/3-invoice-history.md", "slug: keep-track-of-orders", "slug: download-your-invoices", "slug", "already used"),
    ("en/2-invoices.md", "slug: download-your-invoices", "slug: Download Invoices", "slug", "lowercase"),
    ("en/2-invoices.md", "category: billing", "category: shipping", "category", "unknown category 'shipping'"),
    ("en/2-invoices.md", "updated: 2026-10-02", "updated: last week", "updated", "ISO date"),
    ("en/2-invoices.md", "updated: 2026-10-02", "updated: 2026-10-02\nauthor: me", "author", "unknown field"),
    ("en/2-invoices.md", "updated: 2026-10-02", "updated: 2026-10-02\nrelated: [42]", "related", "no article has id 42"),
    ("en/2-invoices.md", "updated: 2026-10-02", "updated: 2026-10-02\nredirect_from: [add-or-remove-seats]",
     "redirect_from", "already used"),
    ("en/2-invoices.md", "Open the list of orders", "Open [the list](article:77)", "body", "unknown article 77"),
    ("en/2-invoices.md", "Open the list of orders", "Open [the list](article:1#nowhere)", "body", "no such anchor"),
    ("en/2-invoices.md", "{#proration}", "{#main}", "body", "reserved"),
    ("en/2-invoices.md", "Open the list of orders", "Open [it](wizard:Seats!)", "body", "malformed workflow link"),
    ("en/2-invoices.md", 'summary: "Where to find', 'summary: [Where "to find', "front matter", "invalid YAML"),
    ("en/2-invoices.md", "---\nid: 2", "id: 2", "front matter", "must start"),
]


@pytest.mark.parametrize("relative, old, new, field, message", BROKEN, ids=[b[3] + ":" + b[4] for b in BROKEN])
def test_a_broken_article_names_its_file_and_field(articles_copy, relative, old, new, field, message):
    _rewrite(articles_copy / relative, old, new)
    with pytest.raises(ArticleError) as caught:
        load_store(articles_copy)
    error = caught.value
    assert error.field == field
    assert message in error.message
    assert str(error).startswith(str(articles_copy / relative)) and f"'{field}'" in str(error)


def test_duplicate_id_names_both_files(articles_copy):
    _rewrite(articles_copy / "en/3-invoice-history.md", "id: 3", "id: 2")
    with pytest.raises(ArticleError) as caught:
        load_store(articles_copy)
    assert "2-invoices.md" in str(caught.value) and "3-invoice-history.md" in str(caught.value)


def test_categories_file_is_checked(articles_copy):
    _rewrite(articles_copy / "categories.yaml", 'fr: {title: "Facturation", ', 'fr: {')
    with pytest.raises(ArticleError) as caught:
        load_store(articles_copy)
    assert caught.value.field == "[1].fr.title"
    assert caught.value.path.endswith("categories.yaml")


def test_articles_without_categories_file_are_an_error(articles_copy):
    (articles_copy / "categories.yaml").unlink()
    with pytest.raises(ArticleError, match="categories.yaml"):
        load_store(articles_copy)


def test_an_empty_articles_directory_is_an_empty_store(tmp_path):
    assert load_store(tmp_path).count() == 0


def test_create_app_refuses_to_start_with_a_broken_article(app_config, articles_copy):
    _rewrite(articles_copy / "fr/2-factures.md", "category: billing", "category: nowhere")
    app_config["ARTICLES_DIR"] = str(articles_copy)
    with pytest.raises(ArticleError) as caught:
        create_app(app_config)
    assert caught.value.field == "category" and caught.value.path.endswith("2-factures.md")


def test_workflow_links_are_checked_against_the_apps_workflows(app_config, articles_copy, tmp_path):
    """help keeps no list of workflows: the app checks every wizard:<name> link against the
    ones it registered, whether the article was just rendered or read back from the cache."""
    _rewrite(articles_copy / "en/2-invoices.md", "Open the list of orders", "Open [refunds](wizard:refunds?order=7)")
    store = load_store(articles_copy, cache_dir=tmp_path)  # the syntax is fine: the store alone accepts it
    assert store.get(2, "en").workflows == ("refunds",) and store.get(1, "en").workflows == ("seats",)
    with pytest.raises(ArticleError) as caught:
        store.check_workflow_links(["seats", "payment"])
    assert caught.value.path.endswith("en/2-invoices.md") and "wizard:refunds" in caught.value.message
    assert "payment, seats" in caught.value.message

    app_config.update(ARTICLES_DIR=str(articles_copy), ARTICLES_CACHE_DIR=str(tmp_path))
    with pytest.raises(ArticleError, match="unknown workflow wizard:refunds"):
        create_app(app_config)  # from the cache this time


def test_a_workflow_link_leads_to_the_workflow_in_the_page_language(articles_copy):
    _rewrite(articles_copy / "en/2-invoices.md", "Open the list of orders", "Open [it](wizard:payment?step=card)")
    store = load_store(articles_copy)
    assert 'href="/en/wizard/payment/?step=card"' in str(store.get(2, "en").rendered.parts)
    store.check_workflow_links(["seats", "payment"])  # both known: nothing to say


# --- the render cache: keyed by content, kept on disk, refreshed when a linked URL changes ------

def test_a_warm_start_reads_renderings_from_the_cache(articles_copy, tmp_path, monkeypatch):
    from helpcenter.help import store as store_module
    cold = load_store(articles_copy, cache_dir=tmp_path)
    html = str(cold.get(1, "en").step_html(4))
    index_files = [p for p in tmp_path.iterdir() if p.name.startswith("search-index-")]
    assert len(index_files) == 1  # the built index is kept beside the renderings
    monkeypatch.setattr(store_module, "render_article", lambda *a, **k: pytest.fail("rendered again"))
    from helpcenter.help import search as search_module
    monkeypatch.setattr(search_module.SearchIndex, "_build", lambda *a: pytest.fail("index built again"))
    warm = load_store(articles_copy, cache_dir=tmp_path)
    assert str(warm.get(1, "en").step_html(4)) == html
    assert warm.version == cold.version
    assert warm.search("en", "invoices").hits


def test_a_renamed_slug_re_renders_the_articles_that_link_to_it(articles_copy, tmp_path):
    load_store(articles_copy, cache_dir=tmp_path)
    _rewrite(articles_copy / "en/2-invoices.md", "slug: download-your-invoices", "slug: get-your-invoices")
    store = load_store(articles_copy, cache_dir=tmp_path)
    assert 'href="/en/articles/2-get-your-invoices#proration"' in str(store.get(1, "en").step_html(4))


def test_an_edited_article_is_rendered_again_and_a_broken_one_still_stops_the_start(articles_copy, tmp_path):
    load_store(articles_copy, cache_dir=tmp_path)
    path = articles_copy / "en/1-change-seats.md"
    _rewrite(path, "4. Review the billing period", "4. Check the billing period")
    assert "Check the billing period" in str(load_store(articles_copy, cache_dir=tmp_path).get(1, "en").step_html(4))
    _rewrite(path, "(article:2#proration)", "(article:2#nowhere)")
    with pytest.raises(ArticleError) as caught:
        load_store(articles_copy, cache_dir=tmp_path)
    assert caught.value.field == "body" and "nowhere" in caught.value.message


def test_the_cache_lives_in_the_instance_folder_unless_configured(app_config, tmp_path):
    from helpcenter.help.cache import FILE_NAME
    app_config["ARTICLES_CACHE_DIR"] = str(tmp_path / "elsewhere")
    app = create_app(app_config)
    assert (tmp_path / "elsewhere" / FILE_NAME).exists()
    app.extensions["db_engine"].dispose()
    del app_config["ARTICLES_CACHE_DIR"]
    app = create_app(app_config)
    assert app.config["ARTICLES_CACHE_DIR"] == app.instance_path
    app.extensions["db_engine"].dispose()
