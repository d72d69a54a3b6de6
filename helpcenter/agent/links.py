"""What the console shows: articles found in both languages side by side, and workflow links.

The links an agent shares are the public contract of spec section 5: article pages, the
language-neutral `/articles/<id>`, step anchors `#step-n`, and the workflows' start URLs with
their prefill query (`product`, `quantity`).
"""
from dataclasses import dataclass, field
from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpcenter.help.store import ArticleStore
from helpcenter.i18n import LANGUAGES

PRODUCT_CODES = ("gotoassist-rs5", "gotomeeting-business", "gotoassist-seeit")
WORKFLOWS = ("seats", "payment")  # the workflows an agent links to (spec section 5)
MAX_RESULTS = 10


@dataclass(frozen=True)
class Anchor:
    label: str
    anchor: str
    url: str
    neutral_url: str | None  # None when the other language has no such anchor


@dataclass
class Version:
    """One language of an article, with links to it, its sections and its steps."""

    lang: str
    title: str
    url: str
    sections: list[Anchor] = field(default_factory=list)
    steps: list[Anchor] = field(default_factory=list)


@dataclass
class Match:
    article_id: int
    neutral_url: str
    versions: dict[str, Version | None]


def _plain(html: str) -> str:
    from markupsafe import Markup
    return Markup(html).striptags()


def find_articles(store: ArticleStore, query: str) -> list[Match]:
    """Articles matching the query in either language (best of each first), with both versions."""
    ids: list[int] = []
    results = [store.search(lang, query, limit=MAX_RESULTS).hits for lang in LANGUAGES]
    for rank in range(MAX_RESULTS):
        for hits in results:
            if rank < len(hits) and hits[rank].article.id not in ids:
                ids.append(hits[rank].article.id)
    return [_match(store, article_id) for article_id in ids[:MAX_RESULTS]]


def _match(store: ArticleStore, article_id: int) -> Match:
    translations = store.translations(article_id)
    neutral = url_for("help_public.share_article", ref=str(article_id), _external=True)
    anchors = {lang: a.rendered.anchors for lang, a in translations.items()}
    versions = {}
    for lang in LANGUAGES:
        article = translations.get(lang)
        if article is None:
            versions[lang] = None
            continue
        page = url_for("help.article", lang=lang, ref=f"{article.id}-{article.slug}", _external=True)
        version = Version(lang=lang, title=article.title, url=page)
        for heading in article.rendered.headings:
            if heading.level not in (2, 3):
                continue
            shared = all(heading.anchor in anchors.get(other, frozenset()) for other in LANGUAGES)
            version.sections.append(Anchor(heading.text, heading.anchor, f"{page}#{heading.anchor}",
                                           f"{neutral}#{heading.anchor}" if shared else None))
        for n, html in sorted(article.rendered.steps.items()):
            anchor = f"step-{n}"
            version.steps.append(Anchor(_plain(html), anchor, f"{page}#{anchor}", f"{neutral}#{anchor}"))
        versions[lang] = version
    return Match(article_id=article_id, neutral_url=neutral, versions=versions)


@dataclass(frozen=True)
class WorkflowLink:
    url: str
    workflow: str
    lang: str | None          # None: the customer's own language
    product_name: str | None
    seat_type: str | None
    quantity: int | None


def product_names(db: Session) -> dict[str, tuple[str, str]]:
    """code -> (product name, seat type) from the billing catalogue."""
    from helpcenter.billing.models import Product
    return {code: (name, seat_type) for code, name, seat_type
            in db.execute(select(Product.code, Product.name, Product.seat_type))}


def workflow_link(db: Session, workflow: str, product: str | None, quantity: int | None,
                  lang: str | None) -> WorkflowLink:
    """The start URL of a workflow with its prefill, and what the customer will see when they open it."""
    query = {k: v for k, v in (("product", product), ("quantity", quantity)) if v}
    blueprint = current_app.extensions["workflows"][workflow].blueprint
    if lang:
        url = url_for(f"{blueprint}.start", lang=lang, _external=True, **query)
    else:  # the language-neutral link: the customer's remembered or browser language
        url = url_for(f"{blueprint}_start_without_language", _external=True, **query)
    name, seat_type = product_names(db).get(product, (None, None)) if product else (None, None)
    return WorkflowLink(url=url, workflow=workflow, lang=lang, product_name=name, seat_type=seat_type,
                        quantity=quantity)


def seat_count_in(lang: str, seat_type: str, quantity: int) -> str:
    """"8 agents" as the customer reads it in their language."""
    from helpcenter.messages import seat_count
    with force_locale(lang):
        return seat_count(seat_type, quantity)
