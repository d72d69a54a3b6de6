"""Money, dates and times as each language writes them (issue 12, item 4): British English dates,
times of day in the account's time zone with the zone named and no seconds, one minus sign."""
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from helpcenter import formatting
from helpcenter.billing import models, service

QUOTE_EXPIRY = datetime(2026, 11, 29, 16, 14, 42, tzinfo=timezone.utc)


# --- counts: grouped the language's way, plural messages included ---------------------------

@pytest.mark.parametrize("lang, seats, three", [("en", "1,200 seats", "3 seats"), ("fr", "1\u202f200 postes", "3 postes")])
def test_counts_in_plural_messages_are_grouped_in_pages_and_code(app, in_locale, lang, seats, three):
    """Jinja's and Flask-Babel's ngettext put the bare int in the message ("1200 seats")."""
    from flask_babel import force_locale

    from helpcenter.messages import seat_count

    template = app.jinja_env.from_string('{{ ngettext("%(num)s seat", "%(num)s seats", 1200) }}')
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        assert template.render() == seats
    assert in_locale(lang, seat_count, "", 1200) == seats
    assert in_locale(lang, seat_count, "", 3) == three


@pytest.mark.parametrize("lang, now, wanted", [("en", "1,150", "1,200"), ("fr", "1\u202f150", "1\u202f200")])
@pytest.mark.parametrize("for_customer", [False, True])
def test_counts_in_emails_are_grouped(lang, now, wanted, for_customer):
    """A Corporate account's quote request for 1,200 seats, to the advisor and the customer's copy."""
    from helpcenter.billing.outbox import render_email
    context = {"account_name": "Globex Corporation", "product_name": "GoToMeeting Business", "seat_type": "organizer",
               "seats_before": 1150, "seats_wanted": 1200, "contact_name": "Hank Scorpio",
               "contact_email": "billing@globex.example", "advisor_name": "Jordan Lee",
               "advisor_email": "jordan.lee@vendor.example", "advisor_phone": "+1 555 0100",
               "portal_url": "https://corporate.vendor.example/", "for_customer": for_customer}
    email = render_email("corporate_quote_request", locale=lang, context=context)
    assert wanted in email.subject
    for body in (email.text, email.html):
        assert now in body and wanted in body and "1200" not in body and "1150" not in body


def test_a_counted_message_escapes_its_values_in_an_autoescaped_template():
    from jinja2 import Environment
    env = Environment(autoescape=True)
    env.globals["ngettext"] = formatting.counting_ngettext(lambda s, p, n: s if n == 1 else p, lambda: "en")
    assert env.from_string('{{ ngettext("%(num)s result for %(q)s", "%(num)s results for %(q)s", 2, q=q) }}').render(
        q="<b>") == "2 results for &lt;b&gt;"


@pytest.mark.parametrize("lang, amount, currency, expected", [
    ("en", "885.03", "USD", "$885.03"),  # the spec's figures keep their form: not US$885.03
    ("en", "-1393.97", "USD", "\u2212$1,393.97"),
    ("en", "226.67", "EUR", "€226.67"),
    ("fr", "1393.97", "EUR", "1\u202f393,97\u00a0€"),
    ("fr", "-93.33", "EUR", "\u221293,33\u00a0€"),
    ("fr", "885.03", "USD", "885,03\u00a0$US"),
])
def test_money_keeps_the_language_format_with_a_real_minus_sign(lang, amount, currency, expected):
    assert formatting.format_money(Decimal(amount), currency, lang) == expected


@pytest.mark.parametrize("lang, expected", [("en", "26 November 2026"), ("fr", "26 novembre 2026")])
def test_dates_are_british_in_english(lang, expected):
    assert formatting.format_day(date(2026, 11, 26), lang) == expected


@pytest.mark.parametrize("zone, lang, expected", [
    ("Europe/Paris", "en", "5:14 pm"), ("Europe/Paris", "fr", "17 h 14"),
    ("America/New_York", "en", "11:14 am"), ("America/Chicago", "fr", "10 h 14"),
])
def test_times_of_day_are_in_the_zone_without_seconds(zone, lang, expected):
    assert formatting.format_clock(QUOTE_EXPIRY, ZoneInfo(zone), lang) == expected


def test_a_naive_time_from_sqlite_is_taken_as_utc():
    assert formatting.format_clock(QUOTE_EXPIRY.replace(tzinfo=None), ZoneInfo("Europe/Paris"), "en") == "5:14 pm"


def test_an_unknown_zone_name_falls_back_to_utc():
    assert formatting.zone("Mars/Olympus").key == "UTC" and formatting.zone(None).key == "UTC"


@pytest.mark.parametrize("lang, fmt, zone, expected", [
    ("en", "short", "Europe/Paris", "5:14 pm Paris time"),
    ("fr", "short", "Europe/Paris", "17 h 14, heure de Paris"),
    ("en", "medium", "America/New_York", "29 November 2026 at 11:14 am (New York time)"),
    ("fr", "medium", "America/Chicago", "29 novembre 2026 à 10 h 14 (heure de Chicago)"),
    ("en", "medium", "UTC", "29 November 2026 at 4:14 pm (UTC)"),
])
def test_the_moment_filter_names_the_zone(app, lang, fmt, zone, expected):
    from flask_babel import force_locale
    from helpcenter.i18n import moment
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        assert moment(QUOTE_EXPIRY, fmt, tz=zone) == expected


def test_the_demo_accounts_have_the_spec_time_zones(demo, db_session):
    zones = dict(db_session.execute(select(models.Account.name, models.Account.timezone)).all())
    assert zones == {"Atelier Dupont SARL": "Europe/Paris", "Northwind Traders Inc.": "America/New_York",
                     "Globex Corporation": "America/Chicago"}


@pytest.mark.parametrize("lang, pattern", [
    ("fr", "Passée le {date} à {time} (heure de Paris) par"),
    ("en", "Placed {date} at {time} (Paris time) by"),
])
def test_the_order_history_shows_the_time_in_the_account_zone(demo, db_session, auth, client, lang, pattern):
    contact = db_session.scalar(select(models.Contact).where(models.Contact.email == "billing@dupont.example"))
    sub_id = db_session.scalar(select(models.Subscription.id).where(models.Subscription.account_id == contact.account_id))
    clock = demo.extensions["clock"]
    quote = service.quote_seat_change(db_session, clock, contact_id=contact.id, subscription_id=sub_id, new_seats=8)
    order = service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale=lang,
                                assign_seats_url="http://127.0.0.1/account/seats/1")
    placed = formatting.local_time(order.placed_at, ZoneInfo("Europe/Paris"))
    auth.sign_in("billing@dupont.example", "demo-pass-fr", lang)
    from bs4 import BeautifulSoup
    text = " ".join(BeautifulSoup(client.get(f"/{lang}/account/").get_data(as_text=True), "html.parser")
                    .select_one(".order").get_text(" ").split())
    expected = pattern.format(date=formatting.format_day(placed.date(), lang),
                              time=formatting.format_clock(order.placed_at, ZoneInfo("Europe/Paris"), lang))
    assert " ".join(expected.split()) in text
    assert f"{placed:%H:%M:%S}" not in text  # no seconds
