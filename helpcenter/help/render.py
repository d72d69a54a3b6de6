"""Markdown to sanitized HTML for one article: anchors, steps, internal links, table of contents.

The article format (articles-format.md) adds a few conventions to CommonMark:
`{.steps}` before an ordered list numbers its items `step-1`, `step-2`...; `{#id}` before a
heading fixes its anchor; `[text](article:3#anchor)` and `[text](wizard:seats)` (any workflow's name) are rewritten
to the page-language URLs. Whatever the Markdown produces then goes through nh3 with an
allowlist, so raw HTML, event handlers and javascript: URLs never reach a page.
"""
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_block_plugin

from helpcenter.help.text import fold

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "strong", "em", "code", "pre",
    "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "img", "kbd", "del", "s",
    "div", "span",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"scope"},
}
ALLOWED_CLASS_NAMES = {"steps", "callout", "note", "warning", "tip"}
ALLOWED_CLASSES = {tag: ALLOWED_CLASS_NAMES for tag in ("p", "ol", "ul", "div", "blockquote", "h2", "h3", "h4")}
URL_SCHEMES = {"http", "https", "mailto"}

# Ids the page templates use around the article body: an article anchor must not take them.
RESERVED_IDS = frozenset({
    "main", "site-search", "search-q", "home-search", "toc", "toc-title", "feedback", "feedback-title",
    "related", "related-title", "article-content", "seat-workflow", "seat-workflow-title", "categories",
})
ANCHOR_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
ARTICLE_LINK_RE = re.compile(r"article:(\d+)(?:#([A-Za-z][A-Za-z0-9_-]*))?\Z")
# A link to a guided workflow: its name (its URL segment under /<lang>/wizard/), maybe a query.
# The names are the app's workflows (helpcenter/workflows/): the store checks them against the
# registered ones when the app starts, so that help needs no list of its own.
WIZARD_LINK_RE = re.compile(r"wizard:([a-z][a-z0-9-]*)(\?[A-Za-z0-9_=&%.-]*)?\Z")
STEP_ID_RE = re.compile(r"step-\d+\Z")


class RenderProblem(ValueError):
    """The article body breaks a convention of the format (the store names the file)."""


@dataclass(frozen=True)
class Heading:
    """A heading of the article body, with its stable anchor."""

    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class InternalLink:
    article_id: int
    anchor: str | None


@dataclass(frozen=True)
class Rendered:
    """An article body rendered once: safe HTML split around the headings' copy-link places."""

    parts: tuple  # str (sanitized HTML) or Heading (a copy link goes there, translated per request)
    headings: tuple[Heading, ...]
    anchors: frozenset[str]
    steps: dict[int, str] = field(default_factory=dict)  # n -> sanitized inner HTML of #step-n
    links: tuple[InternalLink, ...] = ()
    workflows: tuple[str, ...] = ()  # names of the workflows the body links to (wizard:<name>)

    @property
    def toc(self) -> tuple[Heading, ...]:
        return tuple(h for h in self.headings if h.level == 2)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).use(attrs_block_plugin).enable("table")


MARKDOWN = _markdown()


def sanitize(markup: str) -> str:
    """The allowlist every piece of article HTML goes through."""
    return nh3.clean(
        markup, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES, link_rel=None, strip_comments=True, clean_content_tags={"script", "style"},
    )


def slugify(text: str) -> str:
    """An anchor derived from heading text: accents folded, words joined by hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text).replace("œ", "oe").replace("æ", "ae")).strip("-")
    if not slug or not slug[0].isalpha():
        slug = "section-" + slug if slug else "section"
    return slug


def _inline_text(token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _find_close(tokens, start: int) -> int:
    opener = tokens[start]
    closing = opener.type.replace("_open", "_close")
    for index in range(start + 1, len(tokens)):
        if tokens[index].type == closing and tokens[index].level == opener.level:
            return index
    raise RenderProblem(f"unclosed {opener.tag}")


def _rewrite_link(href: str, lang: str, article_path: Callable[[int], str | None],
                  links: list[InternalLink], workflows: list[str]) -> str:
    if href.startswith("article:"):
        match = ARTICLE_LINK_RE.match(href)
        if not match:
            raise RenderProblem(f"malformed article link {href!r} (expected article:N or article:N#anchor)")
        target, anchor = int(match.group(1)), match.group(2)
        path = article_path(target)
        if path is None:
            raise RenderProblem(f"link to unknown article {target}")
        links.append(InternalLink(target, anchor))
        return path + (f"#{anchor}" if anchor else "")
    if href.startswith("wizard:"):
        match = WIZARD_LINK_RE.match(href)
        if not match:
            raise RenderProblem(f"malformed workflow link {href!r} (expected wizard:<name>, e.g. wizard:seats)")
        workflows.append(match.group(1))
        return f"/{lang}/wizard/{match.group(1)}/" + (match.group(2) or "")
    return href


def render_article(body: str, lang: str, article_path: Callable[[int], str | None]) -> Rendered:
    """Render one article body in its language; article_path(id) gives the URL of another article."""
    tokens = MARKDOWN.parse(body)
    headings: list[Heading] = []
    anchors: set[str] = set()
    links: list[InternalLink] = []
    workflows: list[str] = []
    step_ranges: list[tuple[int, int, int]] = []
    step_number = 0

    def claim(anchor: str, explicit: bool) -> str:
        if explicit:
            if not ANCHOR_RE.match(anchor):
                raise RenderProblem(f"anchor {{#{anchor}}} must start with a letter and use only letters, digits, - and _")
            if anchor in RESERVED_IDS or STEP_ID_RE.match(anchor):
                raise RenderProblem(f"anchor {{#{anchor}}} is reserved by the page")
            if anchor in anchors:
                raise RenderProblem(f"anchor {{#{anchor}}} is used twice")
            anchors.add(anchor)
            return anchor
        candidate, n = anchor, 2
        while candidate in anchors or candidate in RESERVED_IDS or STEP_ID_RE.match(candidate):
            candidate, n = f"{anchor}-{n}", n + 1
        anchors.add(candidate)
        return candidate

    # Explicit anchors first, so that a derived anchor never takes an explicit one's name.
    for token in tokens:
        explicit = token.attrGet("id") if token.nesting == 1 else None
        if explicit is not None:
            token.attrSet("id", claim(str(explicit), explicit=True))

    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            if token.tag == "h1":  # the page's h1 is the title: body headings start at h2
                token.tag = "h2"
                tokens[_find_close(tokens, index)].tag = "h2"
            text = _inline_text(tokens[index + 1])
            anchor = token.attrGet("id")
            if anchor is None:
                anchor = claim(slugify(text), explicit=False)
                token.attrSet("id", anchor)
            headings.append(Heading(int(token.tag[1]), str(anchor), text))
        elif token.type == "ordered_list_open" and "steps" in str(token.attrGet("class") or "").split():
            close = _find_close(tokens, index)
            for item in range(index + 1, close):
                if tokens[item].type == "list_item_open" and tokens[item].level == token.level + 1:
                    step_number += 1
                    step_id = f"step-{step_number}"
                    tokens[item].attrSet("id", step_id)
                    anchors.add(step_id)
                    step_ranges.append((step_number, item, _find_close(tokens, item)))
        elif token.type == "inline":
            for child in token.children or ():
                if child.type == "link_open":
                    child.attrSet("href", _rewrite_link(str(child.attrGet("href") or ""), lang, article_path, links,
                                                               workflows))

    safe = sanitize(MARKDOWN.renderer.render(tokens, MARKDOWN.options, {}))
    steps = {n: sanitize(MARKDOWN.renderer.render(tokens[start + 1:end], MARKDOWN.options, {})).strip()
             for n, start, end in step_ranges}
    return Rendered(parts=_split_at_headings(safe, headings), headings=tuple(headings),
                    anchors=frozenset(anchors), steps=steps, links=tuple(links),
                    workflows=tuple(sorted(set(workflows))))


HEADING_RE = re.compile(r'<(h[2-6])\b[^>]*\bid="([^"]+)"[^>]*>.*?(?=</\1>)', re.S)


def _split_at_headings(safe: str, headings: list[Heading]) -> tuple:
    """Cut the HTML just before each heading's closing tag, where its copy link goes."""
    by_anchor = {h.anchor: h for h in headings}
    parts: list = []
    position = 0
    for match in HEADING_RE.finditer(safe):
        heading = by_anchor.get(html.unescape(match.group(2)))
        if heading is None:
            continue
        parts.append(safe[position:match.end()])
        parts.append(heading)
        position = match.end()
    parts.append(safe[position:])
    return tuple(parts)


# --- plain text for the search index --------------------------------------------------------

_LINK_TARGET = re.compile(r"\]\([^)\n]*\)")
_ATTRIBUTES = re.compile(r"\{[.#][^}\n]*\}")


def index_text(body: str) -> str:
    """The body as the search index reads it: link targets, attribute lines and HTML dropped.

    The index's tokenizer ignores the remaining Markdown punctuation, so this stays a few
    C-speed substitutions per article (start-up indexes every article; ten thousand per
    language in the benchmark). Snippets clean their small window with markdown_to_text.
    """
    if "](" in body:
        body = _LINK_TARGET.sub("]", body)
    if "{" in body:
        body = _ATTRIBUTES.sub(" ", body)
    if "<" in body:
        body = _TAG.sub(" ", _SCRIPT.sub(" ", body))
    if "\x01" in body or "\x02" in body:  # the search index marks its matches with these
        body = body.replace("\x01", " ").replace("\x02", " ")
    return body


_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>\n]*>")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BLOCK_MARK = re.compile(r"(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)")
_INLINE_MARK = re.compile(r"[*_`|~\[\]]+")
_END_PUNCT = tuple(".!?:;…")


def markdown_to_text(body: str) -> str:
    """Readable plain text of a Markdown body, for indexing and result snippets.

    Cheap on purpose (a line scan and a few regular expressions, no full parse): it runs at
    start-up on every article, ten thousand per language in the benchmark, whereas the full
    render may wait for an article's first reading.
    """
    if "<" in body:
        body = _SCRIPT.sub(" ", body)
    lines = []
    for line in body.split("\n"):
        stripped = line.strip()
        if not stripped:
            lines.append("")  # a blank line ends a block
            continue
        first = stripped[0]
        if first == "{" and stripped[-1] == "}":
            continue  # {.steps}, {#anchor}
        if first in "|-:" and not stripped.strip("|-: \t"):
            continue  # a table's rule, a thematic break
        if first in "#>-*+" or first.isdigit():
            marker = _BLOCK_MARK.match(stripped)
            if marker:
                lines.append("")  # a heading, list item or quote starts a block of its own
                stripped = stripped[marker.end():]
                if first == "#":
                    lines += [stripped, ""]
                    continue
        lines.append(stripped)
    text = "\n".join(lines)
    if "]" in text:
        text = _LINK.sub(r"\1", _IMAGE.sub(r"\1", text))
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = _INLINE_MARK.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    pieces: list[str] = []
    for block in text.split("\n\n"):
        block = " ".join(block.split())
        if not block:
            continue
        if pieces and not pieces[-1].endswith(_END_PUNCT):
            pieces[-1] += "."  # a heading or list item ends before the next block starts
        pieces.append(block)
    return " ".join(pieces)
