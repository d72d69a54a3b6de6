"""Many generated articles per language: a cold start renders them all (in worker processes)
into the render cache, a warm start reads them back without rendering, and the index answers
(the benchmark, bench/startup.py and bench/search.py, times 10,000 per language)."""
import random

import pytest

from helpcenter.help import store as store_module
from helpcenter.help.cache import FILE_NAME
from helpcenter.help.store import PARALLEL_RENDER_FROM, load_store

WORDS = {
    "en": "account seat seats invoice billing period payment card order price credit balance charge "
          "contact plan product team agent expert licence renewal total tax number address portal".split(),
    "fr": "compte poste postes facture facturation période paiement carte commande prix crédit solde "
          "montant contact offre produit équipe agent expert licence renouvellement total taxe numéro".split(),
}
PER_LANGUAGE = 1_000


def write_corpus(root, count):
    (root / "categories.yaml").write_text(
        '- key: general\n  en: {title: "General", description: "Everything."}\n'
        '  fr: {title: "Général", description: "Tout."}\n', encoding="utf-8")
    for lang, words in WORDS.items():
        rng = random.Random(lang)
        folder = root / lang
        folder.mkdir()
        for ident in range(1, count + 1):
            title = " ".join(rng.choice(words) for _ in range(3)) + f" unique{ident}x"
            paragraphs = "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(4))
            folder.joinpath(f"{ident}-a{ident}.md").write_text(
                f'---\nid: {ident}\ntitle: "{title}"\nslug: a{ident}\ncategory: general\n'
                f'summary: "Summary {ident}."\nupdated: 2026-11-01\n---\n\n{paragraphs}\n\n'
                f"## Steps {ident}\n\n{{.steps}}\n1. {rng.choice(words)}\n2. {rng.choice(words)}\n", encoding="utf-8")


@pytest.mark.slow
def test_cold_then_warm_start_of_a_large_store(tmp_path, monkeypatch):
    articles, cache = tmp_path / "articles", tmp_path / "cache"
    articles.mkdir()
    write_corpus(articles, PER_LANGUAGE)
    cold = load_store(articles, cache_dir=cache, workers=2)
    assert cold.count() == 2 * PER_LANGUAGE > PARALLEL_RENDER_FROM
    assert (cache / FILE_NAME).exists()
    assert all(a.body == "" for a in cold.all_articles())  # sources left memory once rendered and indexed

    def no_rendering(*_args, **_kwargs):
        raise AssertionError("a warm start must not render")
    monkeypatch.setattr(store_module, "render_article", no_rendering)
    store = load_store(articles, cache_dir=cache)
    assert store.version == cold.version
    assert str(store.get(999, "en").step_html(2)) == str(cold.get(999, "en").step_html(2))

    results = store.search("fr", "unique777x")
    assert [hit.article.id for hit in results.hits] == [777]
    common = store.search("fr", "periode")  # accents folded
    assert len(common.hits) == 20 and common.total > 100
    assert all("<mark>" in str(hit.snippet_html) or "<mark>" in str(hit.title_html) for hit in common.hits)


def test_a_file_changed_between_loading_and_rendering_is_not_rendered_under_the_old_content(tmp_path, monkeypatch):
    """Rendering reads each file again (the loader does not keep the bodies): a file edited in
    between must not be cached under the hash of the content that was checked."""
    articles, cache = tmp_path / "articles", tmp_path / "cache"
    articles.mkdir()
    write_corpus(articles, 3)
    edited = articles / "en" / "2-a2.md"
    parse = store_module.parse_article

    def parse_then_edit(path, *args, **kwargs):
        article = parse(path, *args, **kwargs)
        if path == edited:
            edited.write_text(edited.read_text(encoding="utf-8") + "\nAdded later.\n", encoding="utf-8")
        return article
    monkeypatch.setattr(store_module, "parse_article", parse_then_edit)
    with pytest.raises(store_module.ArticleError) as error:
        load_store(articles, cache_dir=cache)
    assert error.value.path == str(edited) and "changed while the articles were loading" in str(error.value)

    monkeypatch.setattr(store_module, "parse_article", parse)  # the next start reads the new content
    store = load_store(articles, cache_dir=cache)
    assert "Added later." in store.get(2, "en").plain_text
