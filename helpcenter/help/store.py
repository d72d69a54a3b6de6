"""The articles: loaded from Markdown files, validated, rendered and kept in memory.

`load_store(articles_dir)` reads articles/categories.yaml and articles/<lang>/*.md (YAML front
matter, then the body), checks every field and every cross-reference, renders the bodies to
sanitized HTML and builds the search index. Anything wrong is an `ArticleError` naming the file
and the field, raised at start-up (from create_app) rather than a 500 on some later request.

Every article is rendered before the store is ready, but only once per content: renderings are
kept on disk by content hash (help/cache.py), a cold cache is rendered in parallel across the
cores, and the Markdown source and plain text leave memory once the article is indexed.
"""
import gc
import hashlib
import logging
import multiprocessing
import os
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml
from flask import current_app, has_request_context, url_for
from markupsafe import Markup

from helpcenter.help.cache import FORMAT_ID as CACHE_FORMAT_ID, RenderCache, content_hash
from helpcenter.help.render import Rendered, RenderProblem, index_text, markdown_to_text, render_article
from helpcenter.help.search import INDEX_FILE_PREFIX, SearchIndex, SearchResults

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr")  # the same as helpcenter.i18n.LANGUAGES: one folder per language
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CATEGORY_KEY_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*\Z")
REQUIRED_FIELDS = ("id", "title", "slug", "category", "summary", "updated")
OPTIONAL_FIELDS = ("redirect_from", "related", "keywords")
PARALLEL_RENDER_FROM = 200  # articles to render before it pays to start worker processes
ARTICLE_LINK_RE = re.compile(r"\]\(\s*article:(\d+)")

try:  # libyaml (in PyYAML's wheels) is about ten times faster, which counts with thousands of articles
    YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    YamlLoader = yaml.SafeLoader


class ArticleError(Exception):
    """An article (or categories.yaml) is broken: names the file and the field."""

    def __init__(self, path, field_name: str, message: str):
        self.path = str(path)
        self.field = field_name
        self.message = message
        super().__init__(f"{self.path}: field '{field_name}': {message}")


@dataclass(frozen=True)
class Category:
    key: str
    titles: dict[str, str]
    descriptions: dict[str, str]

    def title(self, lang: str) -> str:
        return self.titles[lang]

    def description(self, lang: str) -> str:
        return self.descriptions[lang]


@dataclass(eq=False)
class Article:
    """One article in one language (its body is read from the render cache when needed)."""

    id: int
    lang: str
    title: str
    slug: str
    category: str
    summary: str
    updated: date
    body: str  # the Markdown source until the article is rendered and indexed, then ""
    path: Path
    redirect_from: tuple[str, ...] = ()
    related: tuple[int, ...] = ()
    keywords: tuple[str, ...] = ()
    content_hash: str = ""  # of the file's bytes: names its rendering in the cache
    refs: tuple[int, ...] = ()  # ids of the articles the body links to
    workflows: tuple[str, ...] = ()  # names of the workflows the body links to (known once rendered)
    _store: "ArticleStore | None" = field(default=None, repr=False)

    @property
    def rendered(self) -> Rendered:
        """The body as sanitized HTML, with its anchors, steps and links."""
        return self._store.cache.rendered(self.content_hash)

    @property
    def plain_text(self) -> str:
        """The body as plain text (search snippets)."""
        return self._store.cache.plain(self.content_hash)

    def step_html(self, n: int) -> Markup | None:
        html = self.rendered.steps.get(n)
        return Markup(html) if html is not None else None

    def meta(self) -> dict:
        """The checked front matter, as the render cache keeps it."""
        return {"id": self.id, "title": self.title, "slug": self.slug, "category": self.category,
                "summary": self.summary, "updated": self.updated.isoformat(), "redirect_from": list(self.redirect_from),
                "related": list(self.related), "keywords": list(self.keywords), "refs": list(self.refs)}

    @classmethod
    def from_meta(cls, meta: dict, lang: str, path: Path, key: str) -> "Article":
        return cls(id=meta["id"], lang=lang, title=meta["title"], slug=meta["slug"], category=meta["category"],
                   summary=meta["summary"], updated=date.fromisoformat(meta["updated"]), body="", path=path,
                   redirect_from=tuple(meta["redirect_from"]), related=tuple(meta["related"]),
                   keywords=tuple(meta["keywords"]), content_hash=key, refs=tuple(meta["refs"]))


# --- loading and validation ---------------------------------------------------------------

def _read_front_matter(path: Path, raw: bytes) -> tuple[dict, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArticleError(path, "file", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff").replace("\r\n", "\n"))
    if not text.startswith("---\n"):
        raise ArticleError(path, "front matter", "the file must start with a '---' line, then the YAML front matter")
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.M)
    if end is None:
        raise ArticleError(path, "front matter", "no closing '---' line after the front matter")
    front = text[4:4 + end.start()].rstrip("\n")
    try:
        meta = yaml.load(front, Loader=YamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ArticleError(path, "front matter", f"invalid YAML{where}: {problem}") from None
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter", "must be a mapping of fields (id: ..., title: ...)")
    return meta, text[4 + end.end():].lstrip("\n")


def _text_field(path, meta, name) -> str:
    value = meta.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(path, name, "required, must be non-empty text")
    return " ".join(value.split())


def _list_field(path, meta, name, kind) -> tuple:
    value = meta.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ArticleError(path, name, "must be a list, e.g. [a, b]")
    for item in value:
        if kind is int and (not isinstance(item, int) or isinstance(item, bool)):
            raise ArticleError(path, name, f"{item!r} is not an article id (a whole number)")
        if kind is str and (not isinstance(item, str) or not item.strip()):
            raise ArticleError(path, name, f"{item!r} is not a word")
    return tuple(value)


def parse_article(path: Path, lang: str, categories: dict[str, Category], raw: bytes | None = None) -> Article:
    """Read and check one article file (fields only; cross-references are checked by the store)."""
    raw = path.read_bytes() if raw is None else raw
    meta, body = _read_front_matter(path, raw)
    for name in REQUIRED_FIELDS:
        if name not in meta:
            raise ArticleError(path, name, "required field is missing")
    unknown = sorted(set(meta) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ArticleError(path, unknown[0], "unknown field (allowed: " + ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS) + ")")
    article_id = meta["id"]
    if not isinstance(article_id, int) or isinstance(article_id, bool) or article_id < 1:
        raise ArticleError(path, "id", f"must be a whole number from 1, not {article_id!r}")
    slug = meta["slug"]
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug.isdigit():
        raise ArticleError(path, "slug", f"{slug!r} must be lowercase letters, digits and hyphens (not only digits)")
    category = meta["category"]
    if category not in categories:
        raise ArticleError(path, "category", f"unknown category {category!r} (categories.yaml has: {', '.join(categories) or 'none'})")
    updated = meta["updated"]
    if isinstance(updated, str):
        try:
            updated = date.fromisoformat(updated)
        except ValueError:
            pass
    if not isinstance(updated, date) or isinstance(updated, datetime):
        raise ArticleError(path, "updated", f"must be an ISO date such as 2026-11-20, not {meta['updated']!r}")
    redirect_from = _list_field(path, meta, "redirect_from", str)
    for old in redirect_from:
        if not SLUG_RE.match(old) or old.isdigit():
            raise ArticleError(path, "redirect_from", f"{old!r} is not a slug (lowercase letters, digits and hyphens)")
        if old == slug:
            raise ArticleError(path, "redirect_from", f"{old!r} is the current slug")
    related = _list_field(path, meta, "related", int)
    if article_id in related:
        raise ArticleError(path, "related", "an article cannot be related to itself")
    keywords = tuple(" ".join(k.split()) for k in _list_field(path, meta, "keywords", str))
    if not body.strip():
        raise ArticleError(path, "body", "the article has no text after the front matter")
    return Article(
        id=article_id, lang=lang, title=_text_field(path, meta, "title"), slug=slug, category=category,
        summary=_text_field(path, meta, "summary"), updated=updated, body=body, path=path,
        redirect_from=redirect_from, related=related, keywords=keywords, content_hash=content_hash(raw),
        refs=tuple(sorted({int(target) for target in ARTICLE_LINK_RE.findall(body)})),
    )


def load_categories(path: Path) -> dict[str, Category]:
    """categories.yaml: an ordered list of {key, en: {title, description}, fr: {...}}."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YamlLoader)
    except yaml.YAMLError as error:
        raise ArticleError(path, "categories", f"invalid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, list) or not data:
        raise ArticleError(path, "categories", "must be a non-empty list of categories")
    categories: dict[str, Category] = {}
    for index, entry in enumerate(data):
        where = f"[{index}]"
        if not isinstance(entry, dict):
            raise ArticleError(path, where, "each category is a mapping with key, en and fr")
        key = entry.get("key")
        if not isinstance(key, str) or not CATEGORY_KEY_RE.match(key):
            raise ArticleError(path, f"{where}.key", f"{key!r} must be lowercase letters, digits, - or _")
        if key in categories:
            raise ArticleError(path, f"{where}.key", f"duplicate category {key!r}")
        titles, descriptions = {}, {}
        for lang in LANGUAGES:
            texts = entry.get(lang)
            if not isinstance(texts, dict):
                raise ArticleError(path, f"{where}.{lang}", f"category {key!r} needs {lang}: {{title: ..., description: ...}}")
            for name, target in (("title", titles), ("description", descriptions)):
                value = texts.get(name)
                if not isinstance(value, str) or not value.strip():
                    raise ArticleError(path, f"{where}.{lang}.{name}", f"category {key!r}: required, non-empty text")
                target[lang] = " ".join(value.split())
        categories[key] = Category(key, titles, descriptions)
    return categories


def _article_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(".md") and e.is_file())
    return [folder / name for name in names]


def load_store(articles_dir, *, cache_dir=None, workers: int | None = None) -> "ArticleStore":
    """Load, validate, render and index every article under articles_dir.

    cache_dir: where renderings are kept between starts (None: in memory only). workers:
    processes that render a cold cache (default: one per core).
    """
    root = Path(articles_dir)
    files = {lang: _article_files(root / lang) for lang in LANGUAGES}
    categories_path = root / "categories.yaml"
    if not categories_path.exists():
        if any(files.values()):
            raise ArticleError(categories_path, "categories", "file is missing (articles need their categories)")
        categories = {}
    else:
        categories = load_categories(categories_path)
    # Loading makes a few objects per article and no garbage: without the cyclic collector
    # rescanning them as they pile up, ten thousand articles load about 15 % faster.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(root, files, categories, cache_dir, workers)
    finally:
        if collecting:
            gc.enable()


def _load(root: Path, files: dict, categories: dict, cache_dir, workers) -> "ArticleStore":
    cache = RenderCache(cache_dir)
    seen = cache.file_hashes()
    listed, changed = [], []
    for lang in LANGUAGES:
        for path in files[lang]:
            stat = path.stat()
            before = seen.get(str(path))
            if before is not None and before[:2] == (stat.st_size, stat.st_mtime_ns):
                listed.append((lang, path, before[2], None))
            else:  # new or changed: read it (and hash its bytes)
                data = path.read_bytes()
                listed.append((lang, path, content_hash(data), data))
                changed.append((str(path), stat.st_size, stat.st_mtime_ns, listed[-1][2]))
    known = cache.metas(key for _lang, _path, key, _data in listed)
    articles = []
    for i, (lang, path, key, data) in enumerate(listed):
        listed[i] = None  # the file's bytes go as soon as it is parsed
        meta = known.get(key)
        if meta is None:
            article = parse_article(path, lang, categories, data)
            # Rendering reads the file again (in a worker, for a cold cache): holding every
            # body here until then would double the memory of a first start.
            article.body = ""
            articles.append(article)
            continue
        if meta["category"] not in categories:  # categories.yaml may have changed since
            raise ArticleError(path, "category", f"unknown category {meta['category']!r} (categories.yaml has: {', '.join(categories) or 'none'})")
        articles.append(Article.from_meta(meta, lang, path, key))
    del listed
    store = ArticleStore(categories, articles, cache)
    store.render_all(known, workers)
    store.build_index()
    if changed:  # only once the articles proved valid: a broken file is read again next time
        cache.put_file_hashes(changed)
    return store


# --- rendering (in worker processes for a cold cache) -----------------------------------------

_PATHS: dict[str, dict[int, str]] = {}  # lang -> id -> URL path, set before the workers fork
CACHE_WRITE_BATCH = 500  # renderings written to the cache at a time (the rest are not held)


def _render_one(lang: str, path: str, key: str, paths: dict[str, dict[int, str]]):
    """(Rendered, plain text) of one article file, or why it cannot be rendered.

    The body is read from the file again and must still be the content the loader checked."""
    raw = Path(path).read_bytes()
    if content_hash(raw) != key:
        return "the file changed while the articles were loading: start again"
    _meta, body = _read_front_matter(Path(path), raw)
    try:
        rendered = render_article(body, lang, paths[lang].get)
    except RenderProblem as problem:
        return str(problem)
    return rendered, markdown_to_text(index_text(body))


def _render_chunk(items: list[tuple[str, str, str]]) -> list:
    return [_render_one(lang, path, key, _PATHS) for lang, path, key in items]


def _render_many(items: list[tuple[str, str, str]], paths, workers: int | None):
    """Render (lang, path, content hash) items in order, one result at a time, across
    processes when there are many and fork is available."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < PARALLEL_RENDER_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for lang, path, key in items:
            yield _render_one(lang, path, key, paths)
        return
    global _PATHS
    _PATHS = paths
    try:
        size = max(20, len(items) // (workers * 8))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for chunk in pool.map(_render_chunk, chunks):
                yield from chunk
    finally:
        _PATHS = {}


# --- the store ------------------------------------------------------------------------------

class ArticleStore:
    """Every article of every language, in memory, with their search index."""

    def __init__(self, categories: dict[str, Category], articles: Iterable[Article], cache: RenderCache | None = None):
        self.categories = categories
        self.cache = cache if cache is not None else RenderCache()
        self._by_id: dict[int, dict[str, Article]] = {}
        self._by_slug: dict[str, dict[str, Article]] = {lang: {} for lang in LANGUAGES}
        self._by_old_slug: dict[str, dict[str, Article]] = {lang: {} for lang in LANGUAGES}
        for article in articles:
            self._add(article)
        self._check_references()
        self._articles = {lang: sorted((t[lang] for t in self._by_id.values() if lang in t), key=lambda a: a.id)
                          for lang in LANGUAGES}
        self._by_category: dict[str, dict[str, list[Article]]] = {lang: {} for lang in LANGUAGES}
        for lang in LANGUAGES:
            for article_id in sorted(self._by_id):
                shown = self.resolve(article_id, lang)
                self._by_category[lang].setdefault(shown.category, []).append(shown)
        self.index: SearchIndex | None = None
        # What pages are rendered from: cached pages of another version are never served.
        digest = hashlib.blake2b(digest_size=12)
        for article in self.all_articles():
            digest.update(f"{article.lang}/{article.id}:{article.content_hash};".encode())
        for category in categories.values():
            digest.update(repr((category.key, category.titles, category.descriptions)).encode())
        self.version = digest.hexdigest()

    def _add(self, article: Article) -> None:
        lang = article.lang
        translations = self._by_id.setdefault(article.id, {})
        if lang in translations:
            raise ArticleError(article.path, "id", f"duplicate id {article.id} in {lang} (also {translations[lang].path})")
        for slug, name in [(article.slug, "slug")] + [(old, "redirect_from") for old in article.redirect_from]:
            for index in (self._by_slug[lang], self._by_old_slug[lang]):
                other = index.get(slug)
                if other is not None and other.id != article.id:
                    raise ArticleError(article.path, name, f"slug {slug!r} is already used by {other.path}")
        translations[lang] = article
        self._by_slug[lang][article.slug] = article
        for old in article.redirect_from:
            self._by_old_slug[lang][old] = article
        article._store = self

    def _check_references(self) -> None:
        for translations in self._by_id.values():
            for article in translations.values():
                for related in article.related:
                    if related not in self._by_id:
                        raise ArticleError(article.path, "related", f"no article has id {related}")
                for target in article.refs:
                    if target not in self._by_id:
                        raise ArticleError(article.path, "body", f"link to unknown article {target} (article:{target})")

    # rendering

    def _paths(self) -> dict[str, dict[int, str]]:
        """The URL path of every article as linked from a language (its fallback when untranslated)."""
        paths = {}
        for lang in LANGUAGES:
            paths[lang] = {}
            for article_id in self._by_id:
                article = self.resolve(article_id, lang)
                paths[lang][article_id] = f"/{lang}/articles/{article.id}-{article.slug}"
        return paths

    def render_all(self, known: dict[str, dict] | None = None, workers: int | None = None) -> None:
        """Render every article the cache lacks (or whose linked URLs changed), keep the results
        in the cache, drop the sources, and check that every link to an anchor finds it."""
        known = known or {}
        paths = self._paths()
        anchors: dict[str, list] = {}
        links: dict[str, list] = {}
        todo = []
        for article in self.all_articles():
            meta = known.get(article.content_hash)
            if meta is not None and all(paths[article.lang].get(int(i)) == p for i, p in meta["paths"].items()):
                anchors[article.content_hash], links[article.content_hash] = meta["anchors"], meta["links"]
                article.workflows = tuple(meta["workflows"])
            else:
                todo.append(article)
        results = _render_many([(a.lang, str(a.path), a.content_hash) for a in todo], paths, workers)
        rows = []
        for article, result in zip(todo, results):
            if isinstance(result, str):
                raise ArticleError(article.path, "body", result)
            rendered, plain = result
            key = article.content_hash
            anchors[key] = sorted(rendered.anchors)
            links[key] = [[link.article_id, link.anchor] for link in rendered.links]
            article.workflows = rendered.workflows
            meta = dict(article.meta(), anchors=anchors[key], links=links[key], workflows=list(rendered.workflows),
                        paths={str(i): paths[article.lang][i] for i in {link.article_id for link in rendered.links}})
            rows.append((key, meta, rendered, plain))
            if len(rows) >= CACHE_WRITE_BATCH:
                self.cache.put(rows)
                rows = []
        if rows:
            self.cache.put(rows)
        for article in self.all_articles():
            for target_id, anchor in links[article.content_hash]:
                target = self.resolve(target_id, article.lang)
                if anchor and anchor not in anchors[target.content_hash]:
                    raise ArticleError(article.path, "body",
                                       f"link to article:{target_id}#{anchor}: {target.path} has no such anchor")

    def check_workflow_links(self, names) -> None:
        """Every wizard:<name> link of every article names one of these workflows (the app's)."""
        known = set(names)
        for article in self.all_articles():
            for name in article.workflows:
                if name not in known:
                    raise ArticleError(article.path, "body", f"link to unknown workflow wizard:{name} "
                                                             f"(the app has: {', '.join(sorted(known)) or 'none'})")

    def build_index(self) -> None:
        """The search index, fed with each article's plain text from the cache."""
        folder = self.cache.folder
        path = os.path.join(folder, f"{INDEX_FILE_PREFIX}{CACHE_FORMAT_ID}-{self.version}.sqlite3") if folder else None
        self.index = SearchIndex(self._articles, lambda articles: self.cache.plains([a.content_hash for a in articles]),
                                 path=path, stems=self.cache)

    # reading

    def count(self) -> int:
        """Number of article files (an article and its translation count twice)."""
        return sum(len(t) for t in self._by_id.values())

    def ids(self) -> list[int]:
        return sorted(self._by_id)

    def all_articles(self) -> list[Article]:
        return [a for lang in LANGUAGES for a in self._articles[lang]]

    def articles(self, lang: str) -> list[Article]:
        """The articles written in a language, by id."""
        return self._articles.get(lang, [])

    def get(self, article_id: int, lang: str) -> Article | None:
        """The article in exactly that language, if it is translated."""
        return self._by_id.get(article_id, {}).get(lang)

    def translations(self, article_id: int) -> dict[str, Article]:
        return dict(self._by_id.get(article_id, {}))

    def resolve(self, article_id: int, lang: str) -> Article | None:
        """The article in that language, else in the other one (a missing translation is no 404)."""
        translations = self._by_id.get(article_id)
        if not translations:
            return None
        if lang in translations:
            return translations[lang]
        return next(translations[code] for code in LANGUAGES if code in translations)

    def by_slug(self, lang: str, slug: str) -> Article | None:
        """The article of a language by its current or a former slug."""
        return self._by_slug.get(lang, {}).get(slug) or self._by_old_slug.get(lang, {}).get(slug)

    def in_category(self, key: str, lang: str) -> list[Article]:
        """Articles of a category, each in `lang` when translated, else in the other language."""
        return list(self._by_category.get(lang, {}).get(key, ()))

    def related(self, article: Article, lang: str, limit: int = 5) -> list[Article]:
        """The article's related articles, else others of its category."""
        ids = list(article.related) or [a.id for a in self.in_category(article.category, lang) if a.id != article.id]
        return [self.resolve(i, lang) for i in ids[:limit]]

    def search(self, lang: str, query: str | None, limit: int = 20) -> SearchResults:
        return self.index.search(lang, query, limit)


# --- for views and templates ----------------------------------------------------------------

def get_store() -> ArticleStore:
    """The current app's article store."""
    return current_app.extensions["help_store"]


def article_url(article_id: int, lang: str | None = None, anchor: str | None = None) -> str:
    """The canonical URL of an article in a language (the page's by default), e.g. /fr/articles/1-slug#step-4."""
    from helpcenter.i18n import current_language
    lang = lang or current_language()
    article = get_store().resolve(article_id, lang)
    if article is None:
        log.warning("link to unknown article %s", article_id)
    ref = f"{article_id}-{article.slug}" if article else str(article_id)
    if has_request_context():
        return url_for("help.article", lang=lang, ref=ref, _anchor=anchor)
    return f"/{lang}/articles/{ref}" + (f"#{anchor}" if anchor else "")


def step_html(article_id: int, lang: str, n: int) -> Markup | None:
    """Sanitized HTML of item #step-n of the article's {.steps} list in that language, if any."""
    article = get_store().get(article_id, lang)
    return article.step_html(n) if article is not None else None
