"""Full-text search over the articles of one language.

An SQLite FTS5 index in an in-memory connection of its own (the app's database may be
PostgreSQL), built once at start-up: SQLite's tokenizer folds case and accents, and every
distinct word of the index is stemmed once (Snowball), so that a query word expands to the
indexed words that share its stem ("poste" -> poste, postes). Ranking is bm25 with the title
weighted far above the body. Every query word must match (any word, when that finds nothing);
the last word also matches as a prefix, for readers who stop typing early.
"""
import bisect
import heapq
import os
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from helpcenter.help.render import index_text, markdown_to_text
from helpcenter.help.text import analyzer, fold

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_EXPANSIONS = 30  # indexed words one query word may stand for (the most frequent first)
MAX_PREFIX_EXPANSIONS = 15
MIN_PREFIX_LENGTH = 2
CACHE_SIZE = 512  # recent result pages kept: readers ask the same questions
SNIPPET_TOKENS = 30  # words around the match in a result's snippet
COLUMNS = ("title", "keywords", "summary", "body")
WEIGHTS = (10.0, 5.0, 3.0, 1.0)  # bm25 weight of each column, in that order

# British and American spellings of the same word (stems): either finds both.
SPELLINGS = {"en": {"licenc": "licens", "licens": "licenc", "organis": "organiz", "organiz": "organis",
                    "centr": "center", "center": "centr"}}

# Queries about the task itself: the results page shows the guided workflow first.
# A phrase matches when the query holds every one of its (non stop-word) stems.
SEAT_TASK_PHRASES = {
    "en": ["seat", "seats", "licence", "licences", "license", "licenses", "agents", "organizers",
           "organisers", "experts", "add users", "remove users", "more users", "fewer users",
           "number of users"],
    "fr": ["poste", "postes", "licence", "licences", "agents", "organisateurs", "experts",
           "ajouter des utilisateurs", "retirer des utilisateurs", "supprimer des utilisateurs",
           "nombre d'utilisateurs", "plus d'utilisateurs", "moins d'utilisateurs"],
}


@dataclass(frozen=True)
class Term:
    """One word of a query and the indexed words it stands for."""

    word: str
    surface: str                # folded, as the index stores words
    words: tuple[str, ...]      # indexed words sharing its stem, or starting with it (last word)

    def expression(self) -> str | None:
        """The FTS5 expression for this term, None when no indexed word matches it."""
        return "(" + " OR ".join(f'"{w}"' for w in self.words) + ")" if self.words else None


@dataclass(frozen=True)
class SearchHit:
    article: object
    title_html: Markup
    snippet_html: Markup


@dataclass(frozen=True)
class SearchResults:
    query: str                      # what was searched, cut to MAX_QUERY_LENGTH
    hits: tuple[SearchHit, ...]
    total: int
    matched_all_words: bool
    about_seats: bool


def clean_query(raw: str | None) -> str:
    """Whitespace collapsed, cut to MAX_QUERY_LENGTH characters."""
    text = unicodedata.normalize("NFC", raw or "")
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def _phrase_stems(lang: str) -> list[set[str]]:
    lang_analyzer = analyzer(lang)
    return [{lang_analyzer.query_stems(w)[0] for w in lang_analyzer.words(phrase) if not lang_analyzer.is_stop_word(w)}
            for phrase in SEAT_TASK_PHRASES[lang]]


_TASK_STEMS: dict[str, list[set[str]]] = {}


def is_about_seats(query: str) -> bool:
    """Whether a query asks about changing seats (in either language: readers mix them)."""
    for lang in SEAT_TASK_PHRASES:
        if lang not in _TASK_STEMS:
            _TASK_STEMS[lang] = _phrase_stems(lang)
        lang_analyzer = analyzer(lang)
        stems = {s for w in lang_analyzer.words(query) for s in lang_analyzer.query_stems(w)}
        if any(phrase <= stems for phrase in _TASK_STEMS[lang]):
            return True
    return False


MARK_START, MARK_END = "\x01", "\x02"  # what SQLite puts around matches; never in article text


def marked(text: str, clean: bool = False) -> Markup:
    """Text from the index's highlight() or snippet(): escaped, its matches wrapped in <mark>.

    Snippets come from the indexed Markdown: `clean` reduces them to plain text first.
    """
    if clean:
        text = markdown_to_text(text)
    text = str(escape(text)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return Markup(text)


class SearchIndex:
    """FTS5 tables (one per language) in a private in-memory SQLite database."""

    def __init__(self, articles_by_lang: dict[str, Sequence]):
        self._articles = {lang: list(articles) for lang, articles in articles_by_lang.items()}
        self._lock = threading.Lock()
        self._connect()

    def _connect(self) -> None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._by_stem: dict[str, dict[str, list[str]]] = {}
        self._frequency: dict[str, dict[str, int]] = {}
        self._vocabulary: dict[str, list[str]] = {}
        self._cache: OrderedDict = OrderedDict()
        for lang, articles in self._articles.items():
            table = f"docs_{lang}"
            conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(COLUMNS)},"
                         " tokenize='unicode61 remove_diacritics 2')")
            conn.executemany(
                f"INSERT INTO {table} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                ((rowid, a.title, " ; ".join(a.keywords), a.summary, index_text(a.body))
                 for rowid, a in enumerate(articles, start=1)))
            conn.execute(f"CREATE VIRTUAL TABLE temp.vocab_{lang} USING fts5vocab(main, {table}, 'row')")
            # Every distinct indexed word, stemmed once: a query word expands to the words
            # that share its stem, the most frequent first.
            stem = analyzer(lang).stem
            by_stem: dict[str, list[str]] = {}
            frequency: dict[str, int] = {}
            for term, docs in conn.execute(f"SELECT term, doc FROM temp.vocab_{lang} ORDER BY doc DESC"):
                by_stem.setdefault(stem(term), []).append(term)
                frequency[term] = docs
            self._by_stem[lang] = by_stem
            self._frequency[lang] = frequency
            self._vocabulary[lang] = sorted(frequency)
        conn.commit()
        self._conn = conn
        self._pid = os.getpid()

    def _starting_with(self, lang: str, prefix: str) -> list[str]:
        """The most frequent indexed words that start with a prefix."""
        vocabulary = self._vocabulary.get(lang, [])
        start = bisect.bisect_left(vocabulary, prefix)
        end = bisect.bisect_left(vocabulary, prefix + "\U0010ffff", start)
        frequency = self._frequency[lang]
        return heapq.nlargest(MAX_PREFIX_EXPANSIONS, vocabulary[start:end], key=frequency.__getitem__)

    def terms(self, lang: str, query: str) -> list[Term]:
        """The terms of a query: stop words dropped (unless nothing else is left), words expanded."""
        lang_analyzer = analyzer(lang)
        by_stem = self._by_stem.get(lang, {})
        words = lang_analyzer.words(query)
        meaningful = [w for w in words if not lang_analyzer.is_stop_word(w)] or words
        terms: list[Term] = []
        seen: set[str] = set()
        for position, word in enumerate(meaningful[:MAX_TERMS]):
            surface = fold(word)
            if surface in seen:
                continue
            seen.add(surface)
            expanded: list[str] = []
            stems = lang_analyzer.query_stems(word)
            for stem in stems + tuple(SPELLINGS.get(lang, {}).get(s) for s in stems if s in SPELLINGS.get(lang, {})):
                expanded += [w for w in by_stem.get(stem, ()) if w not in expanded]
            expanded = expanded[:MAX_EXPANSIONS]
            # The last word typed may be unfinished: it also stands for the words it starts.
            if word == words[-1] and position == len(meaningful) - 1 and len(surface) >= MIN_PREFIX_LENGTH:
                expanded += [w for w in self._starting_with(lang, surface) if w not in expanded]
            terms.append(Term(word, surface, tuple(expanded)))
        return terms

    def _rows(self, lang: str, expression: str, limit: int) -> tuple[list[int], int]:
        table = f"docs_{lang}"
        weights = ", ".join(str(w) for w in WEIGHTS)
        with self._lock:
            if self._pid != os.getpid():  # a forked worker must not share its parent's connection
                self._connect()
            rowids = [row[0] for row in self._conn.execute(
                f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}, {weights}) LIMIT ?",
                (expression, limit))]
            total = len(rowids)
            if total == limit:
                total = self._conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                                           (expression,)).fetchone()[0]
        return rowids, total

    def _highlights(self, lang: str, expression: str, rowids: list[int]) -> dict[int, tuple[Markup, Markup]]:
        """(title, snippet) of each result, marked by SQLite: exactly the words the query matched.

        The snippet is the body around its best match, else the summary.
        """
        table = f"docs_{lang}"
        marks = (MARK_START, MARK_END)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT rowid, highlight({table}, 0, ?, ?), highlight({table}, 2, ?, ?),"
                f" snippet({table}, 3, ?, ?, '…', {SNIPPET_TOKENS}) FROM {table}"
                f" WHERE {table} MATCH ? AND rowid IN ({', '.join('?' * len(rowids))})",
                (*marks, *marks, *marks, expression, *rowids)).fetchall()
        return {rowid: (marked(title), marked(body, clean=True) if MARK_START in body else marked(summary))
                for rowid, title, summary, body in rows}

    def search(self, lang: str, raw_query: str | None, limit: int = 20) -> SearchResults:
        """The best `limit` articles of a language for a query, with highlighted snippets."""
        query = clean_query(raw_query)
        key = (lang, query, limit)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        results = self._search(lang, query, limit)
        with self._lock:
            self._cache[key] = results
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return results

    def _search(self, lang: str, query: str, limit: int) -> SearchResults:
        about_seats = bool(query) and is_about_seats(query)
        terms = self.terms(lang, query) if lang in self._articles and query else []
        if not terms:
            return SearchResults(query, (), 0, True, about_seats)
        expressions = [t.expression() for t in terms]
        rowids, total, all_words, expression = [], 0, True, None
        if all(expressions):
            expression = " AND ".join(expressions)
            rowids, total = self._rows(lang, expression, limit)
        if not rowids and len(terms) > 1 and any(expressions):
            expression = " OR ".join(e for e in expressions if e)
            rowids, total = self._rows(lang, expression, limit)
            all_words = False
        articles = self._articles[lang]
        highlights = self._highlights(lang, expression, rowids) if rowids else {}
        hits = [SearchHit(articles[rowid - 1], *highlights[rowid]) for rowid in rowids]
        return SearchResults(query, tuple(hits), total, all_words, about_seats)
