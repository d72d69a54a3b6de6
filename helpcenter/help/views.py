"""Help centre pages: home, categories, articles (with their share links), search, feedback,
and the sitemap that lists every article in every language."""
import logging
import re

from flask import (Blueprint, Response, abort, current_app, g, redirect, render_template, request,
                   url_for)
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from helpcenter import transaction
from helpcenter.articles import SEAT_CHANGE
from helpcenter.db import get_session
from helpcenter.extensions import csrf
from helpcenter.help.forms import MissingForm
from helpcenter.help.operations import explain_feedback, record_feedback, record_search_miss
from helpcenter.help.page_cache import mark_public
from helpcenter.help.render import Heading
from helpcenter.help.store import Article, get_store
from helpcenter.i18n import LANGUAGES, current_language, localized_blueprint, preferred_language

log = logging.getLogger(__name__)

bp = localized_blueprint("help", __name__)
public = Blueprint("help_public", __name__)

OG_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
HOME_ARTICLES_PER_CATEGORY = 8
ARTICLE_REF = re.compile(r"(\d+)(?:-(.*))?\Z", re.S)
SEAT_ARTICLE_ID = SEAT_CHANGE
FEEDBACK_LINK_AGE = 24 * 3600  # seconds the "what was missing?" page of a "No" stays open


def seat_workflow_url(lang: str | None = None) -> str:
    """Where the guided seat workflow starts, in a language."""
    lang = lang or current_language()
    try:
        return url_for("wizard.start", lang=lang)
    except BuildError:  # the wizard package is not registered (tests of the help centre alone)
        return f"{request.script_root}/{lang}/wizard/seats/"


def canonical_ref(article: Article) -> str:
    return f"{article.id}-{article.slug}"


def article_page_url(article_id: int, lang: str, external: bool = False, **kwargs) -> str:
    """The canonical URL of an article as shown in a language (its fallback's slug when untranslated)."""
    shown = get_store().resolve(article_id, lang)
    return url_for("help.article", lang=lang, ref=canonical_ref(shown), _external=external, **kwargs)


def body_html(article: Article) -> Markup:
    """The rendered body, with a "copy link" anchor in each heading (labels in the body's language)."""
    with force_locale(article.lang):
        copied = _("Link copied")
        pieces = []
        for part in article.rendered.parts:
            if isinstance(part, Heading):
                pieces.append(Markup(
                    ' <a class="heading-anchor" href="#{anchor}" data-copy-link data-copied-text="{copied}">'
                    '<span aria-hidden="true">#</span><span class="visually-hidden">{label}</span></a>'
                ).format(anchor=part.anchor, copied=copied,
                         label=_("Copy link to section: %(heading)s", heading=part.text)))
            else:
                pieces.append(Markup(part))
    return Markup("").join(pieces)


def _about_seats(article: Article) -> bool:
    """Articles of the seat article's category show the guided workflow beside them."""
    seat_article = get_store().resolve(SEAT_ARTICLE_ID, article.lang)
    return seat_article is not None and seat_article.category == article.category


@bp.get("/")
def home():
    store = get_store()
    sections = []
    for category in store.categories.values():
        articles = store.in_category(category.key, g.lang)
        if articles:
            sections.append((category, articles[:HOME_ARTICLES_PER_CATEGORY], len(articles)))
    mark_public(needs_lang=g.lang)  # home remembers the reader's language (spec section 5)
    return render_template("help/home.html", sections=sections, seat_workflow=seat_workflow_url())


@bp.get("/categories/<key>")
def category(key):
    store = get_store()
    found = store.categories.get(key)
    if found is None:
        abort(404)
    articles = store.in_category(key, g.lang)
    has_seat_article = any(a.id == SEAT_ARTICLE_ID for a in articles)
    return render_template("help/category.html", category=found, articles=articles,
                           seat_workflow=seat_workflow_url() if has_seat_article else None)


@bp.get("/articles/<ref>")
def article(ref):
    """An article; the bare id, a wrong or former slug redirect (301) to the canonical URL."""
    store = get_store()
    lang = g.lang
    former = store.by_slug(lang, ref)  # links from before ids were in URLs, and renamed slugs
    if former is not None:
        return redirect(article_page_url(former.id, lang), 301)
    match = ARTICLE_REF.match(ref)
    shown = store.resolve(int(match.group(1)), lang) if match else None
    if shown is None:
        abort(404)
    if match.group(2) != shown.slug:
        return redirect(article_page_url(shown.id, lang), 301)

    translations = store.translations(shown.id)
    g.alternate_urls = {code: article_page_url(shown.id, code) for code in LANGUAGES}
    alternates = {code: url_for("help.article", lang=code, ref=canonical_ref(a), _external=True)
                  for code, a in translations.items()}
    fallback = shown.lang != lang
    mark_public()
    g.no_language_cookie = True
    return render_template(
        "help/article.html",
        article=shown, fallback=fallback, body=body_html(shown), toc=shown.rendered.toc,
        category=store.categories[shown.category], related=store.related(shown, lang),
        alternates=alternates,
        x_default=url_for("help_public.share_article", ref=shown.id, _external=True),
        canonical=alternates[shown.lang],
        og_locale=OG_LOCALES[shown.lang],
        og_alternates=[OG_LOCALES[code] for code in translations if code != shown.lang],
        feedback_sent=request.args.get("feedback") == "thanks",
        seat_workflow=seat_workflow_url() if _about_seats(shown) else None,
    )


def same_origin() -> bool:
    """A POST sent by a page of this site (Fetch Metadata, else Origin): the feedback forms' CSRF
    defence, which needs no per-session token, so that article pages stay the same for everyone."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == request.host_url.rstrip("/")


def _feedback_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="help.article-feedback")


@bp.post("/articles/<int:article_id>/feedback")
@csrf.exempt
def feedback(article_id):
    """Store one answer to "Was this article helpful?"; a "No" then asks what was missing."""
    if not same_origin():
        abort(403)
    shown = get_store().resolve(article_id, g.lang)
    if shown is None:
        abort(404)
    answer = request.form.get("helpful")
    if answer not in ("yes", "no"):
        abort(400)
    row = record_feedback(get_session(), article_id, g.lang, answer == "yes", current_app.extensions["clock"].now())
    if answer == "no":
        token = _feedback_signer().dumps(row.id)
        return redirect(url_for("help.feedback_missing", article_id=article_id, token=token), 303)
    return redirect(article_page_url(article_id, g.lang, feedback="thanks", _anchor="feedback"), 303)


@bp.route("/articles/<int:article_id>/feedback/<token>", methods=["GET", "POST"])
@csrf.exempt
def feedback_missing(article_id, token):
    """After a "No": what was missing (a short choice and free text), then thanks on the article."""
    shown = get_store().resolve(article_id, g.lang)
    if shown is None:
        abort(404)
    try:
        feedback_id = _feedback_signer().loads(token, max_age=FEEDBACK_LINK_AGE)
    except BadData:
        abort(404)
    form = MissingForm()
    if request.method == "POST":
        if not same_origin():
            abort(403)
        if form.validate():
            explain_feedback(get_session(), feedback_id, article_id, form.reason.data, form.comment.data)
            return redirect(article_page_url(article_id, g.lang, feedback="thanks", _anchor="feedback"), 303)
    errors = [(f"{name}-0" if name == "reason" else name, message)
              for name, messages in form.errors.items() for message in messages]
    return render_template("help/feedback_missing.html", article=shown, form=form, errors=errors,
                           has_errors=bool(errors)), 400 if errors else 200


@bp.get("/search")
def search():
    store = get_store()
    results = store.search(g.lang, request.args.get("q", ""))
    if results.query and not results.hits:
        try:
            record_search_miss(get_session(), g.lang, results.query, current_app.extensions["clock"].now())
        except SQLAlchemyError:
            log.exception("could not record a search without results")
            transaction.rollback(get_session(), "counting content gaps must never cost the reader the page")
    categories = [c for c in store.categories.values() if store.in_category(c.key, g.lang)]
    suggestion_link = None
    if results.suggestion:
        suggestion_link = Markup('<a href="{url}">{text}</a>').format(
            url=url_for("help.search", q=results.suggestion), text=results.suggestion)
    return render_template("help/search.html", results=results, search_query=results.query,
                           suggestion_link=suggestion_link,
                           categories=categories, seat_workflow=seat_workflow_url(),
                           category_titles={c.key: c.title(g.lang) for c in store.categories.values()})


# --- language-neutral pages -----------------------------------------------------------------

@public.get("/")
def root():
    return redirect(url_for("help.home", lang=preferred_language()), 302)


@public.get("/articles/<ref>")
def share_article(ref):
    """The share link: the article in the reader's language (cookie, then browser, then English)."""
    match = ARTICLE_REF.match(ref)
    if match is None or get_store().resolve(int(match.group(1)), "en") is None:
        abort(404)
    response = redirect(article_page_url(int(match.group(1)), preferred_language()), 302)
    response.vary.update(("Cookie", "Accept-Language"))
    return response


@public.get("/sitemap.xml")
def sitemap():
    """Every article in every language it is written in, with its translations as alternates."""
    store = get_store()
    entries = []
    for code in LANGUAGES:
        entries.append({"loc": url_for("help.home", lang=code, _external=True), "lastmod": None,
                        "alternates": {c: url_for("help.home", lang=c, _external=True) for c in LANGUAGES},
                        "x_default": url_for("help_public.root", _external=True)})
    for article_id in store.ids():
        translations = store.translations(article_id)
        alternates = {c: url_for("help.article", lang=c, ref=canonical_ref(a), _external=True)
                      for c, a in translations.items()}
        x_default = url_for("help_public.share_article", ref=article_id, _external=True)
        for code, a in translations.items():
            entries.append({"loc": alternates[code], "lastmod": a.updated, "alternates": alternates,
                            "x_default": x_default})
    xml = render_template("help/sitemap.xml", entries=entries)
    return Response(xml, mimetype="application/xml")


@public.get("/robots.txt")
def robots():
    lines = ["User-agent: *"]
    for code in LANGUAGES:
        lines += [f"Disallow: /{code}/search", f"Disallow: /{code}/wizard/", f"Disallow: /{code}/account/",
                  f"Disallow: /{code}/sign-in"]
    lines += ["Disallow: /wizard/", "", f"Sitemap: {url_for('help_public.sitemap', _external=True)}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


def register(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(public)
