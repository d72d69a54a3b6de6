"""The search engine library beside the project's index: tantivy (Rust, through its Python bindings).

Run as `python -m bench.tantivy_child DIR CACHE_DIR QUERIES`, after a warm start of the same
folder has filled CACHE_DIR. It indexes the same fields of the same articles (title, keywords,
summary, plain body) in a tantivy index in memory, with analyzers doing what the project's
index does (lower case, ASCII folding, the language's Snowball stemmer), then runs the same
queries the same way (every word must match, the last one also as a prefix; the best 20 with
the count of all matches; a highlighted title and body snippet per hit). Prints one JSON line:
build seconds, and the time of each query.
"""
import json
import re
import sys
import time
import unicodedata

import tantivy

FIELDS = ("title", "keywords", "summary", "body")
BOOSTS = {"title": 10.0, "keywords": 5.0, "summary": 3.0, "body": 1.0}
STEMMERS = {"en": "english", "fr": "french"}


def analyzer(lang: str):
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold()).filter(tantivy.Filter.stemmer(STEMMERS[lang])).build())


def build(store):
    indexes = {}
    for lang in ("en", "fr"):
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("id", stored=True)
        for name in FIELDS:
            builder.add_text_field(name, stored=True, tokenizer_name=f"hc_{lang}")
        schema = builder.build()
        index = tantivy.Index(schema)
        index.register_tokenizer(f"hc_{lang}", analyzer(lang))
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        articles = store.articles(lang)
        for article, text in zip(articles, store.cache.plains([a.content_hash for a in articles])):
            writer.add_document(tantivy.Document(id=article.id, title=article.title, keywords=" ; ".join(article.keywords),
                                                 summary=article.summary, body=text))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        indexes[lang] = (index, schema)
    return indexes


def fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()


def make_query(index, schema, words: list[str]):
    """Every word required (in any field, boosted as the project's index weighs them); the last
    word also matches as a prefix (a regex on each field's folded terms)."""
    def word_query(word):
        query, _errors = index.parse_query_lenient(word, list(FIELDS), field_boosts=BOOSTS)
        return query
    clauses = [(tantivy.Occur.Must, word_query(w)) for w in words[:-1]]
    last = words[-1]
    either = [(tantivy.Occur.Should, word_query(last))]
    if len(last) >= 2 and fold(last).isalnum():
        either += [(tantivy.Occur.Should, tantivy.Query.regex_query(schema, field, re.escape(fold(last)) + ".*"))
                   for field in FIELDS]
    clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(either)))
    return tantivy.Query.boolean_query(clauses)


def search(indexes, lang: str, text: str):
    index, schema = indexes[lang]
    words = [w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()]
    if not words:
        return 0, []
    query = make_query(index, schema, words)
    searcher = index.searcher()
    found = searcher.search(query, limit=20, count=True)
    titles = tantivy.SnippetGenerator.create(searcher, query, schema, "title")
    bodies = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
    shown = []
    for _score, address in found.hits:
        doc = searcher.doc(address)
        shown.append((titles.snippet_from_doc(doc).to_html(), bodies.snippet_from_doc(doc).to_html()))
    return found.count, shown


def main() -> None:
    folder, cache_dir, n_queries = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from bench.articles import queries
    from helpcenter.help.store import load_store
    store = load_store(folder, cache_dir=cache_dir)
    started = time.perf_counter()
    indexes = build(store)
    built = time.perf_counter() - started
    mixed = queries(n_queries)
    for _kind, lang, text in mixed[:50]:
        search(indexes, lang, text)
    timings, counts = [], []
    for kind, lang, text in mixed:
        t = time.perf_counter()
        count, _shown = search(indexes, lang, text)
        timings.append((kind, time.perf_counter() - t))
        counts.append(count)
    print(json.dumps({"build_seconds": built, "queries": timings, "hits": counts}))


if __name__ == "__main__":
    main()
