"""Text analysis shared by the article renderer and the search index.

The index itself folds case and accents (SQLite's unicode61 tokenizer, in C, which keeps
start-up fast with thousands of articles). Stemming is applied to the index's vocabulary,
once per distinct word, and to the words of a query: "poste" finds "postes", and
"periode" finds "période", through words that share a Snowball stem.
"""
import re
import threading
import unicodedata

import snowballstemmer

STEMMER_NAMES = {"en": "english", "fr": "french"}
WORD_RE = re.compile(r"[^\W_]+")


def _fold_table() -> dict[int, str]:
    # One character in, one character out, so folded text keeps the original's positions.
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii():
            table[code] = base.lower()
    table[0x2019] = "'"  # typographic apostrophe
    return table


FOLD_TABLE = _fold_table()


def fold(text: str) -> str:
    """Lower case without accents, same length as the input."""
    return text.translate(FOLD_TABLE).lower()


STOP_WORDS = {
    "en": frozenset("""a an and are as at be by can do does for from how i if in into is it its me my
        of on or our so that the their them there this to was we what when where which who why will
        with would you your""".split()),
    "fr": frozenset("""a au aux avec c ce ces cet cette comment d dans de des du elle en est et il ils
        j je l la le les leur leurs m ma mes mon n ne nous on ou par pour qu que quel quelle quels
        quelles qui s sa se ses son sur t ta te tes ton un une vos votre vous y""".split()),
}


class Analyzer:
    """Stems the words of one language (cached: a vocabulary is small next to its texts)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.stop_words = STOP_WORDS[lang]
        self._stemmer = snowballstemmer.stemmer(STEMMER_NAMES[lang])
        self._lock = threading.Lock()  # a Snowball stemmer keeps state while it works
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The Snowball stem of a lower-case word."""
        cached = self._stems.get(word)
        if cached is None:
            with self._lock:
                cached = self._stems[word] = self._stemmer.stemWord(word)
        return cached

    def query_stems(self, word: str) -> tuple[str, ...]:
        """Stems a query word may share with indexed (accent-folded) words.

        The stemmer treats "période" and "periode" differently, and readers type both: the
        word is stemmed without its accents, and as written then folded.
        """
        folded = fold(word)
        first = self.stem(folded)
        second = fold(self.stem(word))
        return (first,) if first == second else (first, second)

    def words(self, text: str) -> list[str]:
        """Lower-case words of a text, in order."""
        return WORD_RE.findall(text.lower())

    def is_stop_word(self, word: str) -> bool:
        return fold(word) in self.stop_words


_ANALYZERS: dict[str, Analyzer] = {}


def analyzer(lang: str) -> Analyzer:
    """The (shared, caching) analyzer of a language."""
    if lang not in _ANALYZERS:
        _ANALYZERS[lang] = Analyzer(lang)
    return _ANALYZERS[lang]
