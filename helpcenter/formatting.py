"""Money, dates and times as a reader of each language expects them (Babel; no Flask).

Used by the page filters (helpcenter/i18n.py) and by the emails (billing/outbox.py), so a
page and an email never write the same amount or the same time two ways.

- Money keeps the language's own Babel locale ("en": $885.03, €226.67; "fr": 885,03 $US,
  226,67 €): en_GB would write US$885.03, which no page or email of ours says.
- Dates and times are British in English (26 November 2026, 5:14 pm), French in French
  (26 novembre 2026, 17 h 14), like the articles.
- Counts are grouped the language's way: 1,200 seats, « 1 200 postes » (a narrow no-break
  space), in plural messages too (counting_ngettext).
- Negative amounts take the minus sign (U+2212), never a hyphen, in both languages.
- Times of day are shown in the account's time zone, the zone named by its city
  ("Paris time", « heure de Paris »), without seconds.
"""
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_timezone_location
from babel.numbers import format_currency, format_decimal
from jinja2 import pass_context
from markupsafe import Markup

MINUS = "\u2212"
# The language of the URL -> the Babel locale that formats its dates and times.
DATE_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
# Times of day without seconds: "5:14 pm" in British prose, « 17 h 14 » in French.
TIME_PATTERNS = {"en": "h:mm a", "fr": "H 'h' mm"}
UTC_NAMES = ("UTC", "Etc/UTC", "Etc/GMT", "GMT")


def language_of(locale: str | None) -> str:
    """"fr", "fr_FR", "fr-CA" -> "fr"; anything else -> "en"."""
    lang = (locale or "").replace("-", "_").split("_")[0].lower()
    return lang if lang in DATE_LOCALES else "en"


def format_money(amount, currency: str, lang: str) -> str:
    """1 393,97 € / €1,393.97; −93,33 € with a real minus sign."""
    text = format_currency(Decimal(amount), currency, locale=language_of(lang))
    return MINUS + text[1:] if text.startswith("-") else text


def format_day(value: date, lang: str, fmt: str = "long") -> str:
    """26 November 2026 / 26 novembre 2026 ("short": 26/11/2026 in both)."""
    return format_date(value, fmt, locale=DATE_LOCALES[language_of(lang)])


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone of that name; UTC for none or an unknown name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_city(tz: ZoneInfo, lang: str) -> str | None:
    """The city that names the zone in the language ("New York"), or None for UTC."""
    if tz.key in UTC_NAMES:
        return None
    return get_timezone_location(tz, locale=DATE_LOCALES[language_of(lang)], return_city=True)


def local_time(value: datetime, tz: ZoneInfo) -> datetime:
    """A stored time (UTC; naive means UTC, as SQLite returns it) in the zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz)


def format_clock(value: datetime, tz: ZoneInfo, lang: str) -> str:
    """The time of day in the zone without seconds: 5:14 pm / 17 h 14."""
    lang = language_of(lang)
    return format_time(local_time(value, tz), TIME_PATTERNS[lang], locale=DATE_LOCALES[lang])


def format_number(value, lang: str) -> str:
    """A number as the language writes it: 1,200 and 2.5 in English, 1 200 and 2,5 in French."""
    return format_decimal(value, locale=language_of(lang))


def counting_ngettext(ungettext, lang_of):
    """A new-style Jinja `ngettext` whose %(num)s is written the language's way ("1,200 seats").

    Jinja's own (and Flask-Babel's) put the bare int in the message: "1200 seats". ungettext is
    the catalog's (singular, plural, n) lookup, lang_of() the language to write the count in.
    """
    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", format_number(num, lang_of()))
        text = ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # the variables are escaped as they go in
        return text % variables
    return ngettext
