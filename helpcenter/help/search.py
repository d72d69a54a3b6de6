"""Full-text search over the articles of one language.

An SQLite FTS5 index in an in-memory connection of its own (the app's database may be
PostgreSQL), built once at start-up: SQLite's tokenizer folds case and accents, and every
distinct word of the index is stemmed once (Snowball), so that a query word expands to the
indexed words that share its stem ("poste" -> poste, postes). Ranking is bm25 with the title
weighted far above the body. Every query word must match (any word, when that finds nothing);
the last word also matches as a prefix, for readers who stop typing early.
"""
import bisect
import functools
import heapq
import re
import os
import sqlite3
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from rapidfuzz.distance import OSA

from helpcenter.help.text import WORD_RE, analyzer, fold

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_EXPANSIONS = 30  # indexed words one query word may stand for (the most frequent first)
MAX_PREFIX_EXPANSIONS = 15
MIN_PREFIX_LENGTH = 2
MIN_CORRECTION_LENGTH = 4  # shorter words have too many neighbours to guess from
CACHE_SIZE = 512  # recent result pages kept: readers ask the same questions
SNIPPET_TOKENS = 30  # words around the match in a result's snippet
SNIPPET_LEAD = 4  # words shown before the snippet's first match (fewer at a sentence's start)
SNIPPET_SPAN = 200  # characters in which a snippet's matches are counted to pick the best place
# Ranking reads every matching row: a very common word matches most articles. Each ranking
# pass ranks at most this many candidates, the most recently updated first (the index's rowid
# order, in which SQLite stops early); titles, keywords and summaries are ranked first.
RANK_CANDIDATES = 300
HIGH_COLUMNS = ("title", "keywords", "summary")  # also indexed alone (the short texts: a small index)
PLAIN_CACHE_SIZE = 4096  # articles whose plain body text is kept for snippets
COLUMNS = ("title", "keywords", "summary", "body")
INDEX_FILE_PREFIX = "search-index-"  # + the store's version: the index kept between starts
STALE_INDEX_AGE = 24 * 3600  # seconds after which an index file nobody opened is removed
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
    suggestion: str | None = None   # "did you mean": the query with misspelt words corrected, when nothing matched


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


@functools.lru_cache(maxsize=256)
def match_pattern(words: tuple[str, ...]) -> re.Pattern:
    """Matches any of these indexed (folded) words as a whole word of folded text."""
    # No look-behind at the start: it would stop the regex engine's fast scan for the words'
    # letters (twenty times slower); word_matches checks the character before instead.
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})(?![^\W_])")


_WORD_CHAR = re.compile(r"[^\W_]")


def word_matches(pattern: re.Pattern, folded: str, start: int = 0, end: int | None = None):
    """The pattern's matches in folded[start:end] that start a word."""
    for match in pattern.finditer(folded, start, len(folded) if end is None else end):
        at = match.start()
        if at == 0 or not _WORD_CHAR.match(folded, at - 1):
            yield match


def folded_copy(text: str) -> str:
    """fold(text), kept the same length as the text (positions in one are positions in the other)."""
    folded = fold(text)
    if len(folded) != len(text):  # pragma: no cover - no character of fold's table grows
        folded = "".join((fold(c) or c)[0] for c in text)
    return folded


def marked(text: str, folded: str, pattern: re.Pattern, start: int = 0, end: int | None = None) -> Markup:
    """text[start:end] escaped, each whole word the pattern finds (in folded text) in <mark>."""
    end = len(text) if end is None else end
    pieces, position = [], start
    for match in word_matches(pattern, folded, start, end):
        pieces.append(str(escape(text[position:match.start()])))
        pieces.append("<mark>" + str(escape(text[match.start():match.end()])) + "</mark>")
        position = match.end()
    pieces.append(str(escape(text[position:end])))
    return Markup("".join(pieces))


@functools.lru_cache(maxsize=PLAIN_CACHE_SIZE)
def plain_body(article) -> tuple[str, str]:
    """An article's body as plain text, and folded: read once, for its snippets."""
    text = article.plain_text
    return text, folded_copy(text)


def _best_match(matches: list[re.Match]) -> re.Match:
    """The match followed by the most distinct matched words within SNIPPET_SPAN characters."""
    best, best_score = matches[0], 0
    for i, match in enumerate(matches):
        limit = match.start() + SNIPPET_SPAN
        score = len({other.group() for other in matches[i:] if other.start() <= limit})
        if score > best_score:
            best, best_score = match, score
    return best


SNIPPET_MATCHES = 12  # the best place of a snippet is looked for among its first matches
_LEAD_RE = re.compile(rf"(?<![^\W_])(?:[^\W_]+[\W_]+){{1,{SNIPPET_LEAD}}}\Z")
_TOKENS_RE = re.compile(rf"(?:[\W_]*[^\W_]+(?![^\W_])){{1,{SNIPPET_TOKENS}}}")


def snippet(text: str, folded: str, pattern: re.Pattern) -> Markup | None:
    """About SNIPPET_TOKENS words of the text around its best match, highlighted; None if no match."""
    matches = []
    for match in word_matches(pattern, folded):
        matches.append(match)
        if len(matches) >= SNIPPET_MATCHES:
            break
    if not matches:
        return None
    first = _best_match(matches).start() if len(matches) > 1 else matches[0].start()
    # A few words of context before the match, not across the end of a sentence.
    lead_start = max(0, first - 80)
    lead = text[lead_start:first]
    sentence = max(lead.rfind(". "), lead.rfind("? "), lead.rfind("! "), lead.rfind(": "))
    if sentence >= 0:
        lead_start += sentence + 2
        lead = lead[sentence + 2:]
    context = _LEAD_RE.search(lead)
    if context is not None and (context.start() > 0 or lead_start == 0 or sentence >= 0):
        start = lead_start + context.start()
    else:
        start = first if lead_start > 0 and sentence < 0 else lead_start
    words = _TOKENS_RE.match(text, start)
    end = words.end() if words else len(text)
    if end < len(text) and text[end] in ".!?":
        end += 1
    before = "…" if start > 0 else ""
    after = "…" if end < len(text) else ""
    return Markup(before) + marked(text, folded, pattern, start, end) + Markup(after)


def _recent_first(article) -> tuple:
    updated = getattr(article, "updated", None)
    return (-updated.toordinal() if updated is not None else 0, getattr(article, "id", 0))


class SearchIndex:
    """FTS5 tables (one per language) in a private in-memory SQLite database."""

    def __init__(self, articles_by_lang: dict[str, Sequence], texts: Callable[[Sequence], Iterable[str]],
                 path: str | None = None, stems=None):
        """texts(articles): the plain body text of each article, in order (read once, not kept).

        path: a file the built index is kept in and opened from at the next start (its name
        must change with the articles: the store passes one named after its version); stems:
        a store of the stems of indexed words (RenderCache), so that a start stems only new words.
        """
        # Rowid order is the order in which ranking reads candidates: most recently updated first.
        self._articles = {lang: sorted(articles, key=_recent_first) for lang, articles in articles_by_lang.items()}
        self._texts = texts
        self._path = path
        self._stems = stems
        self._lock = threading.Lock()
        self._connect()

    def _build(self, conn) -> None:
        for lang, articles in self._articles.items():
            table = f"docs_{lang}"
            # Contentless: the index keeps no copy of the texts (snippets read them from the render cache).
            conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(COLUMNS)},"
                         " tokenize='unicode61 remove_diacritics 2', content='')")
            conn.executemany(
                f"INSERT INTO {table} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                ((rowid, a.title, " ; ".join(a.keywords), a.summary, text)
                 for rowid, (a, text) in enumerate(zip(articles, self._texts(articles)), start=1)))
            # The first ranking pass looks at titles, keywords and summaries only: in a table of
            # their own it reads their (short) posting lists, not those of every body.
            conn.execute(f"CREATE VIRTUAL TABLE high_{lang} USING fts5({', '.join(HIGH_COLUMNS)},"
                         " tokenize='unicode61 remove_diacritics 2', content='')")
            conn.executemany(f"INSERT INTO high_{lang} (rowid, {', '.join(HIGH_COLUMNS)}) VALUES (?, ?, ?, ?)",
                             ((rowid, a.title, " ; ".join(a.keywords), a.summary)
                              for rowid, a in enumerate(articles, start=1)))
        conn.commit()

    def _keep(self, conn) -> None:
        """Write the built index to its file (atomically: another process may be reading an older one)."""
        folder = os.path.dirname(self._path)
        for name in os.listdir(folder):
            other = os.path.join(folder, name)
            try:  # an index of older articles, unused for a day (each start touches the one it opens)
                if name.startswith(INDEX_FILE_PREFIX) and time.time() - os.path.getmtime(other) > STALE_INDEX_AGE:
                    os.remove(other)
            except OSError:
                pass
        partial = f"{self._path}.{os.getpid()}.tmp"
        disk = sqlite3.connect(partial)
        conn.backup(disk)
        disk.close()
        os.replace(partial, self._path)

    def _connect(self) -> None:
        conn = None
        if self._path and os.path.exists(self._path):
            try:
                conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, check_same_thread=False)
                os.utime(self._path)
            except (sqlite3.Error, OSError):  # removed meanwhile: build it again
                conn = None
        if conn is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            self._build(conn)
            if self._path:
                self._keep(conn)
        self._by_stem: dict[str, dict[str, list[str]]] = {}
        self._frequency: dict[str, dict[str, int]] = {}
        self._vocabulary: dict[str, list[str]] = {}
        self._cache: OrderedDict = OrderedDict()
        for lang in self._articles:
            conn.execute(f"CREATE VIRTUAL TABLE temp.vocab_{lang} USING fts5vocab(main, docs_{lang}, 'row')")
            # Every distinct indexed word, stemmed once: a query word expands to the words
            # that share its stem, the most frequent first.
            frequency = dict(conn.execute(f"SELECT term, doc FROM temp.vocab_{lang} ORDER BY doc DESC"))
            stems = self._stems.stems(lang, frequency) if self._stems is not None else {}
            new = {}
            stem = analyzer(lang).stem
            by_stem: dict[str, list[str]] = {}
            for term in frequency:
                word_stem = stems.get(term)
                if word_stem is None:
                    word_stem = new[term] = stem(term)
                by_stem.setdefault(word_stem, []).append(term)
            if new and self._stems is not None:
                self._stems.put_stems(lang, new)
            self._by_stem[lang] = by_stem
            self._frequency[lang] = frequency
            self._vocabulary[lang] = sorted(frequency)
        self._conn = conn
        self._pid = os.getpid()

    def correction(self, lang: str, word: str) -> str | None:
        """The most frequent indexed word one or two typing mistakes away from a word it lacks.

        Candidates share the word's first letter and nearly its length (readers rarely miss the
        first letter), which keeps this to a slice of the sorted vocabulary.
        """
        surface = fold(word)
        if len(surface) < MIN_CORRECTION_LENGTH or not surface.isalpha():
            return None
        limit = 1 if len(surface) < 7 else 2
        vocabulary, frequency = self._vocabulary.get(lang, []), self._frequency.get(lang, {})
        start = bisect.bisect_left(vocabulary, surface[0])
        end = bisect.bisect_left(vocabulary, surface[0] + "\U0010ffff", start)
        best, best_key = None, None
        for candidate in vocabulary[start:end]:
            if abs(len(candidate) - len(surface)) > limit or candidate == surface:
                continue
            # Optimal string alignment: a swap of neighbours ("invocie") counts one.
            distance = OSA.distance(surface, candidate, score_cutoff=limit)
            if distance <= limit:
                key = (distance, -frequency[candidate], candidate)
                if best_key is None or key < best_key:
                    best, best_key = candidate, key
        return best

    def _suggestion(self, lang: str, query: str, terms: list[Term]) -> str | None:
        """The query with each word the index lacks replaced by its correction, if any was found."""
        corrected, changed = [], False
        unknown = {t.word for t in terms if not t.words}
        for word in analyzer(lang).words(query):
            fixed = self.correction(lang, word) if word in unknown else None
            corrected.append(fixed or word)
            changed = changed or fixed is not None
        return " ".join(corrected) if changed else None

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

    def _ranked(self, table: str, expression: str, limit: int) -> list[int]:
        """The best `limit` rowids by bm25 among the first RANK_CANDIDATES matches (in rowid order)."""
        weights = ", ".join(str(w) for w in WEIGHTS[:len(HIGH_COLUMNS) if table.startswith("high_") else None])
        return [row[0] for row in self._conn.execute(
            f"SELECT rowid FROM (SELECT rowid, bm25({table}, {weights}) AS score FROM {table}"
            f" WHERE {table} MATCH ? LIMIT {RANK_CANDIDATES}) ORDER BY score, rowid LIMIT ?",
            (expression, limit))]

    def _rows(self, lang: str, terms: list[Term], expression: str, limit: int) -> tuple[list[int], int]:
        """The best rowids (matches in titles, keywords or summaries first, then in bodies) and
        the number of matching articles."""
        table = f"docs_{lang}"
        with self._lock:
            if self._pid != os.getpid():  # a forked worker must not share its parent's connection
                self._connect()
            rowids = self._ranked(f"high_{lang}", expression, limit)
            if len(rowids) < limit:
                seen = set(rowids)
                rowids += [r for r in self._ranked(table, expression, limit + len(rowids)) if r not in seen]
                rowids = rowids[:limit]
            words = [w for t in terms for w in t.words]
            if len(words) == 1:  # one indexed word: the vocabulary knows how many articles hold it
                total = self._frequency[lang].get(words[0], 0)
            elif len(rowids) < limit:
                total = len(rowids)
            else:
                total = self._conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                                           (expression,)).fetchone()[0]
        return rowids, total

    def _highlights(self, terms: list[Term], articles: list) -> list[tuple[Markup, Markup]]:
        """(title, snippet) of each result, the words the query matched marked.

        The snippet is the body around its best match, else the summary.
        """
        pattern = match_pattern(tuple(sorted({w for t in terms for w in t.words})))
        out = []
        for article in articles:
            title = marked(article.title, folded_copy(article.title), pattern)
            body, folded_body = plain_body(article)
            text = snippet(body, folded_body, pattern)
            if text is None:
                text = marked(article.summary, folded_copy(article.summary), pattern)
            out.append((title, text))
        return out

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
        rowids, total, all_words = [], 0, True
        if all(expressions):
            rowids, total = self._rows(lang, terms, " AND ".join(expressions), limit)
        if not rowids and len(terms) > 1 and any(expressions):
            matching = [t for t in terms if t.words]
            rowids, total = self._rows(lang, matching, " OR ".join(t.expression() for t in matching), limit)
            all_words = False
        articles = [self._articles[lang][rowid - 1] for rowid in rowids]
        hits = [SearchHit(article, *marks) for article, marks in zip(articles, self._highlights(terms, articles))]
        suggestion = self._suggestion(lang, query, terms) if not hits or not all_words else None
        return SearchResults(query, tuple(hits), total, all_words, about_seats, suggestion)
