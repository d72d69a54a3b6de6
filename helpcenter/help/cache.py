"""Rendered articles on disk, keyed by each file's content hash.

Rendering Markdown is the slow part of loading articles (a few milliseconds each in pure
Python): the first start, or `flask articles check`, renders every article and keeps the
result here; a later start reads it back instead of rendering again. An entry holds the
article's checked front matter, its sanitized HTML (with anchors, steps and links) and its
plain text (for the search index and result snippets), so that the Markdown source and the
text need not stay in memory.

One SQLite file (`articles-cache.sqlite3`) in a folder the app chooses (ARTICLES_CACHE_DIR,
by default the instance folder); without a folder the cache lives in memory. The key hashes
the file's bytes with the renderer's versions: a new version of markdown-it-py, nh3 or of
this format renders again. An entry also records the URL it gave each linked article, so a
renamed slug elsewhere re-renders the articles that link to it.
"""
import hashlib
import os
import pickle
import sqlite3
import threading
import time
from collections import OrderedDict
from importlib.metadata import version
from pathlib import Path

FORMAT = "4"  # change when what is stored, or how an article renders or is indexed, changes
SALT = "|".join([FORMAT] + [f"{name} {version(name)}" for name in
                            ("markdown-it-py", "mdit-py-plugins", "nh3", "snowballstemmer")]).encode()
# Another renderer (or format) starts a file of its own rather than mixing entries.
FORMAT_ID = hashlib.blake2b(SALT, digest_size=4).hexdigest()
FILE_NAME = f"articles-cache-{FORMAT_ID}.sqlite3"
KEPT_RENDERED = 256  # rendered bodies kept in memory (the page cache holds the hot pages anyway)
QUERY_CHUNK = 500  # hashes per SELECT ... IN (...)


def content_hash(raw: bytes) -> str:
    """The cache key of an article file's bytes."""
    digest = hashlib.blake2b(SALT, digest_size=16)
    digest.update(b"\0" + raw)
    return digest.hexdigest()


def _use_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch the file to WAL. Processes starting together (gunicorn workers, test workers) race
    for it, and SQLite answers "database is locked" at once instead of waiting for the busy
    timeout; the mode, once set, stays in the file, so trying again shortly is enough."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


class RenderCache:
    """Entries (meta, rendered, plain text) by content hash, in a SQLite file or in memory."""

    def __init__(self, directory=None):
        if directory is None:
            self.path = ":memory:"
        else:
            Path(directory).mkdir(parents=True, exist_ok=True)
            self.path = str(Path(directory) / FILE_NAME)
        self._lock = threading.Lock()
        self._rendered: OrderedDict = OrderedDict()
        self._connect()

    def _connect(self) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        if self.path != ":memory:":
            _use_wal(conn)  # several processes (workers, tests) share the file
        conn.execute("CREATE TABLE IF NOT EXISTS entries (hash TEXT PRIMARY KEY, meta BLOB NOT NULL,"
                     " rendered BLOB NOT NULL, plain TEXT NOT NULL)")
        # A file whose size and modification time are unchanged keeps its hash: no need to read it.
        conn.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
                     " mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID")
        conn.execute("CREATE TABLE IF NOT EXISTS stems (lang TEXT NOT NULL, word TEXT NOT NULL, stem TEXT NOT NULL,"
                     " PRIMARY KEY (lang, word)) WITHOUT ROWID")
        conn.commit()
        self._conn = conn
        self._pid = os.getpid()

    def _execute(self, sql: str, params=()):
        if self._pid != os.getpid() and self.path != ":memory:":  # a forked worker opens its own
            self._connect()
        return self._conn.execute(sql, params)

    def _chunks(self, hashes):
        hashes = list(hashes)
        for start in range(0, len(hashes), QUERY_CHUNK):
            yield hashes[start:start + QUERY_CHUNK]

    def metas(self, hashes) -> dict[str, dict]:
        """The front matter (and anchors, links) of the entries the cache has, by hash."""
        found = {}
        with self._lock:
            for chunk in self._chunks(hashes):
                marks = ",".join("?" * len(chunk))
                for key, meta in self._execute(f"SELECT hash, meta FROM entries WHERE hash IN ({marks})", chunk):
                    found[key] = pickle.loads(meta)
        return found

    def put(self, rows) -> None:
        """Store (hash, meta dict, Rendered, plain text) rows."""
        data = [(key, pickle.dumps(meta, pickle.HIGHEST_PROTOCOL), pickle.dumps(rendered, pickle.HIGHEST_PROTOCOL), plain)
                for key, meta, rendered, plain in rows]
        with self._lock:
            self._execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO entries (hash, meta, rendered, plain) VALUES (?, ?, ?, ?)", data)
            self._conn.commit()

    def rendered(self, key: str):
        """An entry's Rendered body (the most recent ones kept in memory)."""
        with self._lock:
            cached = self._rendered.get(key)
            if cached is not None:
                self._rendered.move_to_end(key)
                return cached
            row = self._execute("SELECT rendered FROM entries WHERE hash = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            # The file is the app's own, written by this module (instance folder): trusted like its code.
            rendered = pickle.loads(row[0])
            self._rendered[key] = rendered
            if len(self._rendered) > KEPT_RENDERED:
                self._rendered.popitem(last=False)
            return rendered

    def plain(self, key: str) -> str:
        with self._lock:
            row = self._execute("SELECT plain FROM entries WHERE hash = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return row[0]

    def file_hashes(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, content hash) of the files seen before."""
        with self._lock:
            return {path: (size, mtime, key) for path, size, mtime, key
                    in self._execute("SELECT path, size, mtime_ns, hash FROM files")}

    def put_file_hashes(self, rows) -> None:
        """Remember (path, size, mtime_ns, hash) rows."""
        with self._lock:
            self._execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO files (path, size, mtime_ns, hash) VALUES (?, ?, ?, ?)", rows)
            self._conn.commit()

    @property
    def folder(self) -> str | None:
        """Where the cache file is (None in memory): the search index is kept beside it."""
        return None if self.path == ":memory:" else os.path.dirname(self.path)

    def stems(self, lang: str, words) -> dict[str, str]:
        """The known stems of indexed words (stemming twenty thousand words takes a second)."""
        with self._lock:
            return dict(self._execute("SELECT word, stem FROM stems WHERE lang = ?", (lang,)))

    def put_stems(self, lang: str, stems: dict[str, str]) -> None:
        with self._lock:
            self._execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO stems (lang, word, stem) VALUES (?, ?, ?)",
                                   [(lang, word, stem) for word, stem in stems.items()])
            self._conn.commit()

    def plains(self, hashes):
        """Plain texts of the hashes, in their order (read in chunks: never all in memory)."""
        for chunk in self._chunks(hashes):
            marks = ",".join("?" * len(chunk))
            with self._lock:
                texts = dict(self._execute(f"SELECT hash, plain FROM entries WHERE hash IN ({marks})", chunk).fetchall())
            for key in chunk:
                yield texts[key]
