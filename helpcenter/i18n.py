"""The locale chain, /<lang>/ URL handling, and Babel-backed template filters.

The URL prefix decides the page's language. Pages without a prefix (`/`, share
links, errors outside a localized page) fall back to the remembered choice
(cookie), then the browser's Accept-Language, then English.
"""
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_percent
from flask import Blueprint, abort, current_app, g, request, url_for
from flask_babel import Babel, get_locale, get_timezone, get_translations, gettext, lazy_gettext

from helpcenter import formatting

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}  # each in its own language, for the switcher
# What the switcher says to a screen reader, in the page's language ("lire cette page en anglais").
READ_THIS_PAGE_IN = {"en": lazy_gettext("read this page in English"),
                     "fr": lazy_gettext("read this page in French")}

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


def _lang() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def money(amount, currency: str) -> str:
    """Format a Decimal amount in the page's language, e.g. 1 393,97 € or $1,393.97 (−93,33 € when negative)."""
    if amount is None:
        return ""
    return formatting.format_money(amount, currency, _lang())


def number(value) -> str:
    return formatting.format_number(value, _lang())


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Like Flask-Babel's ngettext, but the count is written the page language's way ("1,200 seats")."""
    variables.setdefault("num", formatting.format_number(num, _lang()))
    return get_translations().ungettext(singular, plural, num) % variables


def percent(rate) -> str:
    """A VAT rate such as Decimal('0.20') shown as 20 %."""
    return format_percent(Decimal(rate), locale=_lang(), decimal_quantization=False)


def day(value: date | None, fmt: str = "long") -> str:
    """A calendar day: 26 November 2026 (British English), 26 novembre 2026."""
    if value is None:
        return ""
    return formatting.format_day(value, _lang(), fmt)


def account_timezone() -> str:
    """The signed-in contact's account time zone (Babel's timezone selector); UTC otherwise."""
    contact = _signed_in_contact()
    return getattr(contact, "timezone", None) or "UTC"


def _signed_in_contact():
    """The signed-in contact, or None (also outside a request: CLI, emails)."""
    try:
        from helpcenter.auth import current_contact
        return current_contact()
    except RuntimeError:  # outside a request
        return None


def zone_label(tz) -> str:
    """"Paris time" / « heure de Paris »; "UTC" for UTC."""
    city = formatting.zone_city(tz, _lang())
    if city is None:
        return "UTC"
    # Translators: the time zone named by its city, e.g. "Paris time" / « heure de Paris ».
    return gettext("%(city)s time", city=city)


def moment(value: datetime | None, fmt: str = "medium", tz: str | None = None) -> str:
    """A time in the account's zone, named, without seconds.

    "medium": 29 November 2026 at 4:44 am (Paris time) / 29 novembre 2026 à 4 h 44 (heure de Paris);
    "short": the time of day only, 5:14 pm Paris time / 17 h 14, heure de Paris (for "valid until").
    `tz` names another zone than the signed-in account's (e.g. a run's account).
    """
    if value is None:
        return ""
    zone = formatting.zone(tz) if tz else formatting.zone(str(get_timezone()))
    lang = _lang()
    clock = formatting.format_clock(value, zone, lang)
    if fmt == "short":
        # Translators: a time of day and its zone, e.g. "5:14 pm Paris time" / « 17 h 14, heure de Paris ».
        return gettext("%(time)s %(zone)s", time=clock, zone=zone_label(zone))
    when = formatting.format_day(formatting.local_time(value, zone).date(), lang)
    # Translators: e.g. "29 November 2026 at 4:44 am (Paris time)".
    return gettext("%(date)s at %(time)s (%(zone)s)", date=when, time=clock, zone=zone_label(zone))


def init_app(app) -> None:
    babel.init_app(app, locale_selector=current_language, timezone_selector=account_timezone)
    app.jinja_env.filters.update(money=money, number=number, percent=percent, day=day, moment=moment)
    app.jinja_env.globals.update(
        # Flask-Babel installed Jinja's ngettext, which writes counts bare ("1200"): ours groups them.
        ngettext=formatting.counting_ngettext(lambda s, p, n: get_translations().ungettext(s, p, n), _lang),
        LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, READ_THIS_PAGE_IN=READ_THIS_PAGE_IN,
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
