"""Ten thousand generated articles per language: the store starts without rendering them all,
and the index still answers (the benchmark, bench/startup.py and bench/search.py, times it)."""
import random
import time

import pytest

from helpcenter.help.store import EAGER_RENDER_LIMIT, load_store

WORDS = {
    "en": "account seat seats invoice billing period payment card order price credit balance charge "
          "contact plan product team agent expert licence renewal total tax number address portal".split(),
    "fr": "compte poste postes facture facturation période paiement carte commande prix crédit solde "
          "montant contact offre produit équipe agent expert licence renouvellement total taxe numéro".split(),
}
PER_LANGUAGE = 10_000


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
def test_ten_thousand_articles_per_language(tmp_path):
    write_corpus(tmp_path, PER_LANGUAGE)
    started = time.perf_counter()
    store = load_store(tmp_path)
    loading = time.perf_counter() - started
    assert store.count() == 2 * PER_LANGUAGE > EAGER_RENDER_LIMIT
    assert store.get(1, "en")._rendered is None  # rendered on first reading, not at start-up
    # Generous bound for a shared machine: rendering everything eagerly would take minutes.
    assert loading < 60, f"loading took {loading:.1f} s"

    started = time.perf_counter()
    results = store.search("fr", "unique7777x")
    assert time.perf_counter() - started < 0.5
    assert [hit.article.id for hit in results.hits] == [7777]
    common = store.search("fr", "periode")  # accents folded across ten thousand articles
    assert len(common.hits) == 20 and common.total > 1000
    assert all("<mark>" in str(hit.snippet_html) or "<mark>" in str(hit.title_html) for hit in common.hits)
    assert store.get(9999, "en").step_html(2) is not None
