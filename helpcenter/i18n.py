"""The locale chain, /<lang>/ URL handling, and Babel-backed template filters.

The URL prefix decides the page's language. Pages without a prefix (`/`, share
links, errors outside a localized page) fall back to the remembered choice
(cookie), then the browser's Accept-Language, then English.
"""
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent
from flask import Blueprint, abort, current_app, g, request, url_for
from flask_babel import Babel, format_date, format_datetime, get_locale

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

babel = Babel()


def preferred_language() -> str:
    """The reader's language when the URL does not say: cookie, browser, English."""
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the page being rendered."""
    lang = g.get("lang")
    if lang:
        return lang
    try:
        # A 404 under /fr/... never reached a localized view: the URL still decides.
        prefix = request.path.lstrip("/").split("/", 1)[0]
        if prefix in LANGUAGES:
            return prefix
        return preferred_language()
    except RuntimeError:  # outside a request (CLI, emails)
        return DEFAULT_LANGUAGE


def localized_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint whose routes all live under /<lang>/ and set the page's language."""
    prefix = kwargs.pop("url_prefix", "")
    bp = Blueprint(name, import_name, url_prefix="/<lang>" + prefix, **kwargs)

    @bp.url_value_preprocessor
    def _pull_lang(_endpoint, values):
        lang = values.pop("lang", None) if values else None
        if lang not in LANGUAGES:
            abort(404)
        g.lang = lang

    @bp.url_defaults
    def _add_lang(_endpoint, values):
        if "lang" not in values:
            values["lang"] = current_language()

    return bp


def language_switch_url(target: str) -> str:
    """The same page in another language; views may set g.alternate_urls (e.g. article translations)."""
    alternates = g.get("alternate_urls") or {}
    if target in alternates:
        return alternates[target]
    if request.endpoint and request.view_args is not None and g.get("lang") and request.method == "GET":
        args = request.args.to_dict(flat=True)
        args.update(request.view_args)
        args["lang"] = target
        try:
            return url_for(request.endpoint, **args)
        except Exception:  # an endpoint without a language: fall back to home
            pass
    return url_for("help.home", lang=target)


def money(amount, currency: str) -> str:
    """Format a Decimal amount in the page's locale, e.g. 1 393,97 € or $1,393.97."""
    if amount is None:
        return ""
    return format_currency(Decimal(amount), currency, locale=str(get_locale() or DEFAULT_LANGUAGE))


def number(value) -> str:
    return format_decimal(value, locale=str(get_locale() or DEFAULT_LANGUAGE))


def percent(rate) -> str:
    """A VAT rate such as Decimal('0.20') shown as 20 %."""
    return format_percent(Decimal(rate), locale=str(get_locale() or DEFAULT_LANGUAGE), decimal_quantization=False)


def day(value: date | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    return format_date(value, fmt)


def moment(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def init_app(app) -> None:
    babel.init_app(app, locale_selector=current_language, timezone_selector=lambda: "UTC")
    app.jinja_env.filters.update(money=money, number=number, percent=percent, day=day, moment=moment)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES,
        language_switch_url=language_switch_url, current_language=current_language,
    )

    @app.after_request
    def _remember_language(response):
        lang = g.get("lang")
        # An article page is the same for every anonymous reader (cached, shared by proxies): it sets no cookie.
        if lang and not g.get("no_language_cookie") and request.cookies.get(LANG_COOKIE) != lang and response.status_code < 400:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True)
        return response
