"""The account overview: what each demo contact sees, formatted for the page's language."""
from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency, format_percent

from helpcenter.billing import service

LANGS = ["en", "fr"]
TODAY = date(2026, 11, 26)


def money(amount, currency, lang):
    """Babel's format in the page's language, with the minus sign (U+2212) of issue 12."""
    return format_currency(Decimal(amount), currency, locale=lang).replace("-", "\u2212")


def day(value, lang):
    """British English dates (26 November 2026), French ones in French."""
    return format_date(value, "long", locale={"en": "en_GB", "fr": "fr"}[lang])


def test_the_account_page_needs_a_signed_in_contact(client, demo):
    response = client.get("/en/account/")
    assert response.status_code == 302
    assert response.location == "/en/sign-in?next=/en/account/"


@pytest.mark.parametrize("lang", LANGS)
def test_dupont_billing_contact(client, ids, sign_in_as, lang, translate, text_of, soup_of):
    sign_in_as("billing@dupont.example", lang)
    response = client.get(f"/{lang}/account/")
    assert response.status_code == 200
    text, soup = text_of(response), soup_of(response)
    assert "Atelier Dupont SARL" in text
    assert translate(lang, "Billing contact") in text
    card = soup.select_one(".subscription")
    card_text = text_of(card)
    assert "GoToAssist Remote Support v5" in card_text
    assert translate(lang, "Agents") in card_text
    values = [dd.get_text(strip=True) for dd in card.select("dd")]
    assert values[1:4] == ["5", "3", "2"]  # seats, assigned, free
    assert f"{money('40.00', 'EUR', lang)} {translate(lang, 'per seat per month')}" in card_text
    assert translate(lang, "from %(start)s to %(end)s", start=day(date(2026, 11, 10), lang),
                     end=day(date(2026, 12, 10), lang)) in card_text
    sub_id = ids.subscription_id("billing@dupont.example")
    assert card.find("a", href=f"/{lang}/account/seats/{sub_id}") is not None
    change = card.find("a", href=f"/{lang}/wizard/seats/?product=gotoassist-rs5")
    assert change is not None and translate(lang, "Change seats") in change.get_text()
    # Balance 0, the Visa on file, no VAT number (offered: France is in the EU).
    assert money("0", "EUR", lang) in text
    assert translate(lang, "%(brand)s ending %(last4)s, expires %(month)s/%(year)s",
                     brand="Visa", last4="4242", month="12", year=2030) in text
    assert translate(lang, "None recorded") in text
    assert translate(lang, "No orders yet.") in text
    assert soup.select_one(".corporate-notice") is None and soup.select_one(".admin-notice") is None


@pytest.mark.parametrize("lang", LANGS)
def test_dupont_admin_sees_the_account_without_seat_or_payment_controls(client, ids, sign_in_as, lang,
                                                                         translate, in_locale, text_of, soup_of):
    from helpcenter.messages import message_for
    sign_in_as("admin@dupont.example", lang)
    response = client.get(f"/{lang}/account/")
    assert response.status_code == 200
    text, soup = text_of(response), soup_of(response)
    assert "Atelier Dupont SARL" in text and translate(lang, "Account admin") in text
    notice = text_of(soup.select_one(".admin-notice"))
    assert in_locale(lang, message_for, "not_billing_contact") in notice
    assert not soup.select("a[href*='/wizard/']")
    sub_id = ids.subscription_id("admin@dupont.example")
    assert soup.find("a", href=f"/{lang}/account/seats/{sub_id}") is not None


@pytest.mark.parametrize("lang", LANGS)
def test_northwind_balance_is_a_credit_in_the_page_locale(client, demo, sign_in_as, lang, translate, text_of):
    sign_in_as("billing@northwind.example", lang)
    response = client.get(f"/{lang}/account/")
    text = text_of(response)
    assert "Northwind Traders Inc." in text
    assert translate(lang, "Credit of %(amount)s", amount=money("25.00", "USD", lang)) in text
    assert f"{money('192.00', 'USD', lang)} {translate(lang, 'per seat per year')}" in text
    assert translate(lang, "from %(start)s to %(end)s", start=day(date(2026, 8, 18), lang),
                     end=day(date(2027, 8, 18), lang)) in text
    assert translate(lang, "%(brand)s ending %(last4)s, expires %(month)s/%(year)s",
                     brand="Mastercard", last4="4444", month="08", year=2029) in text
    assert translate(lang, "Not applicable (accounts outside the European Union)") in text
    assert f'href="/{lang}/wizard/seats/?product=gotomeeting-business"' in response.get_data(as_text=True)


def test_french_money_is_formatted_by_babel(client, demo, sign_in_as, text_of):
    sign_in_as("billing@northwind.example", "fr")
    expected = format_currency(Decimal("25.00"), "USD", locale="fr")  # 25,00 $US
    assert "," in expected and expected in text_of(client.get("/fr/account/"))


@pytest.mark.parametrize("lang", LANGS)
def test_globex_is_sent_to_the_corporate_portal(client, demo, sign_in_as, lang, translate, soup_of, text_of):
    sign_in_as("billing@globex.example", lang)
    soup = soup_of(client.get(f"/{lang}/account/"))
    notice = soup.select_one(".corporate-notice")
    notice_text = text_of(notice)
    assert translate(lang, "Your account is managed on the corporate billing portal") in notice_text
    assert "Jordan Lee" in notice_text and "+1 555 0100" in notice_text
    assert notice.find("a", href="mailto:jordan.lee@vendor.example") is not None
    faq = notice.find("a", string=translate(lang, "Read the corporate billing portal FAQ"))
    # The canonical article URL once the help centre serves it, else its short form that redirects there.
    assert faq["href"] == f"/{lang}/articles/3" or faq["href"].startswith(f"/{lang}/articles/3-")
    assert not soup.select("a[href*='/wizard/']")
    page_text = soup.get_text()
    assert "250" in page_text and "GoToMeeting Business" in page_text


@pytest.mark.parametrize("lang", LANGS)
def test_order_history_shows_the_full_figures(app, client, ids, db_session, sign_in_as, lang, translate,
                                              text_of, soup_of):
    contact = ids.contact("billing@dupont.example")
    clock = app.extensions["clock"]
    quote = service.quote_seat_change(db_session, clock, contact_id=contact.id,
                                      subscription_id=ids.subscription_id("billing@dupont.example"), new_seats=8)
    order = service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale=lang,
                                assign_seats_url="http://localhost/account/seats/1")
    sign_in_as("billing@dupont.example", lang)
    response = client.get(f"/{lang}/account/")
    section = soup_of(response).select_one(f"#order-{order.number}")
    text = text_of(section)
    assert translate(lang, "Order %(number)s", number=order.number) in text
    assert "billing@dupont.example" in text
    assert "5 → 8" in text
    assert translate(lang, "from %(start)s to %(end)s", start=day(TODAY, lang), end=day(date(2026, 12, 26), lang)) in text
    for amount in ("-93.33", "320.00", "226.67", "45.33", "272.00"):
        assert money(amount, "EUR", lang) in text, amount
    assert translate(lang, "VAT (%(rate)s)", rate=format_percent(Decimal("0.20"), locale=lang)) in text
    assert translate(lang, "%(brand)s ending %(last4)s", brand="Visa", last4="4242") in text
    assert translate(lang, "Amount charged") in text and translate(lang, "Balance applied") in text
    # The subscription shows the new seats and the billing date of today; the trail has the order.
    card_values = [dd.get_text(strip=True) for dd in soup_of(response).select(".subscription dd")]
    assert card_values[1] == "8"
    trail = text_of(soup_of(response).select_one(".audit-trail"))
    assert order.number in trail and "billing@dupont.example" in trail


@pytest.mark.parametrize("lang", LANGS)
def test_a_reverse_charge_order_names_the_vat_number(app, client, ids, db_session, sign_in_as, lang, translate,
                                                     soup_of, text_of):
    contact = ids.contact("billing@dupont.example")
    clock = app.extensions["clock"]
    quote = service.quote_seat_change(db_session, clock, contact_id=contact.id,
                                      subscription_id=ids.subscription_id("billing@dupont.example"), new_seats=8,
                                      seller_country="IE")
    quote = service.update_payment_details(db_session, clock, contact_id=contact.id, quote_id=quote.id,
                                           use_saved_card=True, card=None, vat_number="FR40303265045",
                                           seller_country="IE").quote
    order = service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale=lang,
                                assign_seats_url="http://localhost/account/seats/1")
    assert order.reverse_charge
    sign_in_as("billing@dupont.example", lang)
    soup = soup_of(client.get(f"/{lang}/account/"))
    text = text_of(soup.select_one(f"#order-{order.number}"))
    assert translate(lang, "Reverse charge, VAT number %(vat_number)s", vat_number="FR40303265045") in text
    assert money("226.67", "EUR", lang) in text
    page = text_of(soup)
    assert "FR40303265045" in page  # the account's VAT number, and the trail's entry


def test_the_page_escapes_what_users_typed(client, ids, db_session, sign_in_as, soup_of):
    contact = ids.contact("billing@dupont.example")
    service.add_user(db_session, contact_id=contact.id, name="<script>alert(1)</script>", email="x@dupont.example")
    sign_in_as("billing@dupont.example")
    body = client.get("/en/account/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_audit_trail_says_who_what_when_and_from_where(client, ids, sign_in_as, forms, soup_of, text_of):
    sign_in_as("admin@dupont.example")
    sub_id = ids.subscription_id("admin@dupont.example")
    free_user = _unassigned_user(client, sub_id)
    forms.post(f"/en/account/seats/{sub_id}", {"assign": str(free_user)})
    soup = soup_of(client.get("/en/account/"))
    row = soup.select(".audit-trail tbody tr")[0]
    cells = [text_of(td) for td in row.select("td")]
    assert cells[1] == "admin@dupont.example"
    assert "GoToAssist Remote Support v5" in cells[2]
    assert cells[3] == "127.0.0.1"
    assert cells[0]  # a formatted date and time


def _unassigned_user(client, sub_id):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(client.get(f"/en/account/seats/{sub_id}").get_data(as_text=True), "html.parser")
    return int(soup.select_one("button[name=assign]")["value"])


@pytest.mark.parametrize("lang", LANGS)
def test_an_order_that_paid_a_debt_shows_the_amount_owed(app, client, ids, db_session, sign_in_as, lang, translate,
                                                         text_of, soup_of):
    from datetime import datetime, timezone

    from helpcenter.billing import models as m
    contact = ids.contact("billing@dupont.example")
    account = db_session.get(m.Account, contact.account_id)
    account.balance = Decimal("-30.00")
    db_session.add(m.LedgerEntry(account_id=account.id, kind="opening", amount=Decimal("-30.00"), currency="EUR",
                                 balance_after=Decimal("-30.00"), created_at=datetime.now(timezone.utc)))
    db_session.commit()
    clock = app.extensions["clock"]
    quote = service.quote_seat_change(db_session, clock, contact_id=contact.id,
                                      subscription_id=ids.subscription_id("billing@dupont.example"), new_seats=8)
    order = service.place_order(db_session, clock, contact_id=contact.id, quote_id=quote.id, locale=lang,
                                assign_seats_url="http://localhost/account/seats/1")
    sign_in_as("billing@dupont.example", lang)
    section = soup_of(client.get(f"/{lang}/account/")).select_one(f"#order-{order.number}")
    [owed] = [dt for dt in section.select("dt") if dt.get_text(strip=True) == translate(lang, "Amount owed")]
    assert text_of(owed.find_next_sibling("dd")) == money("30.00", "EUR", lang)
    assert money("302.00", "EUR", lang) in text_of(section)  # the amount charged includes it
