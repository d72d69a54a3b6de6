"""The articles: loaded from Markdown files, validated, rendered and kept in memory.

`load_store(articles_dir)` reads articles/categories.yaml and articles/<lang>/*.md (YAML front
matter, then the body), checks every field and every cross-reference, renders the bodies to
sanitized HTML and builds the search index. Anything wrong is an `ArticleError` naming the file
and the field, raised at start-up (from create_app) rather than a 500 on some later request.
"""
import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml
from flask import current_app, has_request_context, url_for
from markupsafe import Markup

from helpcenter.help.render import Rendered, RenderProblem, render_article
from helpcenter.help.search import SearchIndex, SearchResults

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr")  # the same as helpcenter.i18n.LANGUAGES: one folder per language
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
CATEGORY_KEY_RE = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*\Z")
REQUIRED_FIELDS = ("id", "title", "slug", "category", "summary", "updated")
OPTIONAL_FIELDS = ("redirect_from", "related", "keywords")
# Rendering is the slow part of loading (about a millisecond per article): a help centre of
# ordinary size renders everything at start-up, so a broken anchor stops the start; a very
# large one (the ten-thousand-article benchmark) renders each article on its first reading.
EAGER_RENDER_LIMIT = 1000

try:  # libyaml is about ten times faster, which counts with thousands of articles
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
    """One article in one language."""

    id: int
    lang: str
    title: str
    slug: str
    category: str
    summary: str
    updated: date
    body: str
    path: Path
    redirect_from: tuple[str, ...] = ()
    related: tuple[int, ...] = ()
    keywords: tuple[str, ...] = ()
    content_hash: str = ""  # of the file's text: names its rendering in the on-disk cache
    _rendered: Rendered | None = field(default=None, repr=False)
    _store: "ArticleStore | None" = field(default=None, repr=False)

    @property
    def rendered(self) -> Rendered:
        """The body as sanitized HTML, rendered on first use and kept."""
        if self._rendered is None:
            self._rendered = self._store._render(self)
        return self._rendered

    def step_html(self, n: int) -> Markup | None:
        html = self.rendered.steps.get(n)
        return Markup(html) if html is not None else None


# --- loading and validation ---------------------------------------------------------------

_SIMPLE_LINE = re.compile(r"([a-z_]+):[ \t]+(.*?)[ \t]*\Z")
_SIMPLE_INT = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")
_SIMPLE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_SIMPLE_WORD = re.compile(r"[^\W\d_](?:[\w' -]*\w)?\Z")
_SIMPLE_SLUG = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
# Plain words YAML 1.1 reads as something else than text.
_YAML_SPECIAL = frozenset("y n yes no on off true false null".split())


def _simple_scalar(value: str, in_list: bool):
    """A value of the common front-matter shapes, or Ellipsis when YAML itself must decide."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" and value[0] not in value[1:-1] \
            and "\\" not in value:
        return value[1:-1]
    if _SIMPLE_INT.match(value):
        return int(value)
    if _SIMPLE_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return ...
    if (_SIMPLE_WORD if in_list else _SIMPLE_SLUG).match(value) and value.lower() not in _YAML_SPECIAL:
        return value
    return ...


def _simple_front_matter(text: str) -> dict | None:
    """Front matter in the shapes the articles use (key: "text", key: word, key: [a, b]), read
    without YAML's constructor: ten times faster, which counts at ten thousand articles. Any
    other shape returns None and YAML reads it; the results are the same (tested)."""
    meta = {}
    for line in text.split("\n"):
        match = _SIMPLE_LINE.match(line)
        if match is None or match.group(1) in meta:
            return None
        key, value = match.groups()
        if value.startswith("[") and value.endswith("]"):
            inner = value[1:-1].strip()
            items = [item.strip() for item in inner.split(",")] if inner else []
            parsed = [_simple_scalar(item, in_list=True) for item in items]
            if any(item is ... or item == "" for item in parsed) or any('"' in i or "'" in i for i in items):
                return None
            meta[key] = parsed
        else:
            parsed = _simple_scalar(value, in_list=False)
            if parsed is ...:
                return None
            meta[key] = parsed
    return meta


def _read_front_matter(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ArticleError(path, "file", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff").replace("\r\n", "\n"))
    if not text.startswith("---\n"):
        raise ArticleError(path, "front matter", "the file must start with a '---' line, then the YAML front matter")
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.M)
    if end is None:
        raise ArticleError(path, "front matter", "no closing '---' line after the front matter")
    front = text[4:4 + end.start()].rstrip("\n")
    meta = _simple_front_matter(front)
    if meta is not None:
        return meta, text[4 + end.end():].lstrip("\n")
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


def parse_article(path: Path, lang: str, categories: dict[str, Category]) -> Article:
    """Read and check one article file (fields only; cross-references are checked by the store)."""
    meta, body = _read_front_matter(path)
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
        redirect_from=redirect_from, related=related, keywords=keywords,
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


def load_store(articles_dir, *, eager_render: bool | None = None) -> "ArticleStore":
    """Load, validate, render and index every article under articles_dir."""
    root = Path(articles_dir)
    files = {lang: _article_files(root / lang) for lang in LANGUAGES}
    categories_path = root / "categories.yaml"
    if not categories_path.exists():
        if any(files.values()):
            raise ArticleError(categories_path, "categories", "file is missing (articles need their categories)")
        categories = {}
    else:
        categories = load_categories(categories_path)
    articles = [parse_article(path, lang, categories) for lang in LANGUAGES for path in files[lang]]
    store = ArticleStore(categories, articles)
    if eager_render if eager_render is not None else store.count() <= EAGER_RENDER_LIMIT:
        store.render_all()
    return store


# --- the store ------------------------------------------------------------------------------

class ArticleStore:
    """Every article of every language, in memory, with their search index."""

    def __init__(self, categories: dict[str, Category], articles: Iterable[Article]):
        self.categories = categories
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
        self.index = SearchIndex(self._articles)
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
        link_re = re.compile(r"\]\(\s*article:(\d+)")
        for translations in self._by_id.values():
            for article in translations.values():
                for related in article.related:
                    if related not in self._by_id:
                        raise ArticleError(article.path, "related", f"no article has id {related}")
                for target in link_re.findall(article.body):
                    if int(target) not in self._by_id:
                        raise ArticleError(article.path, "body", f"link to unknown article {target} (article:{target})")

    # rendering

    def _path_in(self, lang: str):
        def article_path(article_id: int) -> str | None:
            article = self.resolve(article_id, lang)
            return f"/{lang}/articles/{article.id}-{article.slug}" if article else None
        return article_path

    def _render(self, article: Article) -> Rendered:
        try:
            return render_article(article.body, article.lang, self._path_in(article.lang))
        except RenderProblem as problem:
            raise ArticleError(article.path, "body", str(problem)) from None

    def render_all(self) -> None:
        """Render every article now and check that every link to an anchor finds it."""
        for article in self.all_articles():
            article.rendered  # noqa: B018  (renders and keeps)
        for article in self.all_articles():
            for link in article.rendered.links:
                target = self.resolve(link.article_id, article.lang)
                if link.anchor and link.anchor not in target.rendered.anchors:
                    raise ArticleError(article.path, "body",
                                       f"link to article:{link.article_id}#{link.anchor}: {target.path} has no such anchor")

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
