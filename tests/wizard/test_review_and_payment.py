"""Steps 4 and 5: the stored quote in the locale's formats, then the card and the VAT number."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, update

from helpcenter.billing import models as bm


def test_french_review_shows_the_spec_figures(visitor):
    visitor.lang = "fr"
    page = visitor.to_review("dupont", 8)
    text = visitor.text(page)
    assert "Étape 4 sur 6" in text
    for figure in ["93,33 €", "320,00 €", "226,67 €", "45,33 €", "272,00 €", "40,00 € par poste et par mois",
                   "TVA (20 %)", "5 agents", "8 agents"]:
        assert figure in text, figure
    assert "du 26 novembre 2026 au 26 décembre 2026" in text
    assert "votre date de facturation devient le 26 novembre 2026" in text
    assert "14 jours restants sur 30" in text
    buttons = [b.get_text(strip=True) for b in visitor.soup(page).select("main button")]
    assert "Continuer vers le paiement" in buttons
    assert visitor.soup(page).find("a", string="Modifier la commande") is not None


def test_english_review_shows_the_balance_applied(visitor):
    page = visitor.to_review("northwind", 12)
    text = visitor.text(page)
    for figure in ["$1,393.97", "$2,304.00", "$910.03", "$25.00", "$885.03", "$192.00 per seat per year",
                   "10 organizers", "12 organizers"]:
        assert figure in text, figure
    assert "26 November 2026 to 26 November 2027" in text
    # A US customer with no tax, no reverse charge and no VAT number sees no VAT row at all.
    rows = [" ".join(th.get_text(" ").split()) for th in visitor.soup(page).select("table.figures th[scope=row]")]
    assert rows and not [row for row in rows if row.startswith("VAT")], rows
    assert "New period at 12 seats" in text and "Balance applied" in text
    assert "These figures are valid for 30 minutes (until" in text and "(UTC)" not in text


def test_decrease_that_still_costs_says_so_and_skips_the_payment_step(visitor):
    page = visitor.to_review("dupont", 4)
    text = visitor.text(page)
    assert "You are reducing your seats, yet there is an amount to pay" in text
    assert "Continue to payment" not in text
    steps = visitor.soup(page).select("ol.steps li")
    assert "not needed" in steps[4].get_text()
    confirm = visitor.continue_review(page)
    assert visitor.step(confirm) == "confirm"
    assert "Step 6 of 6" in visitor.text(confirm)
    r = visitor.client.get(f"/en/wizard/seats/payment?run={visitor.run(confirm)}")
    assert r.status_code == 303 and r.location.endswith(f"/confirm?run={visitor.run(confirm)}")


def test_decrease_with_a_credit_keeps_it_on_the_balance(visitor):
    page = visitor.to_review("northwind", 7)
    text = visitor.text(page)
    assert "The difference is not refunded: it stays on your account balance" in text
    assert "Total due $0.00" in text
    confirm = visitor.continue_review(page)
    assert visitor.step(confirm) == "confirm"
    assert "Nothing will be charged to your card" in visitor.text(confirm)


def test_decrease_with_an_amount_due_and_no_card_on_file_asks_for_a_card(visitor, db_session):
    db_session.execute(delete(bm.PaymentMethod))
    db_session.commit()
    page = visitor.continue_review(visitor.to_review("dupont", 4))
    assert visitor.step(page) == "payment"
    soup = visitor.soup(page)
    assert soup.select_one('input[name="payment_method"]')["type"] == "hidden"
    assert soup.select_one('input[name="payment_method"]')["value"] == "new"
    r = visitor.pay(page, {"card_number": "4242 4242 4242 4242", "exp_month": "4", "exp_year": "2031",
                           "cvc": "123", "cardholder": "Claire Dupont"})
    assert visitor.step(r) == "confirm"
    assert "Visa ending 4242" in visitor.text(r)


def test_payment_step_defaults_to_the_card_on_file_and_offers_vat_to_eu_accounts(visitor):
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    assert visitor.step(page) == "payment"
    soup = visitor.soup(page)
    assert soup.select_one("#payment_method-saved").has_attr("checked")
    assert not soup.select_one("#payment_method-new").has_attr("checked")
    assert "Visa ending 4242, expires 12/2030" in visitor.text(page)
    for name in ["card_number", "exp_month", "exp_year", "cvc", "cardholder", "vat_number"]:
        assert soup.select_one(f'input[name="{name}"]') is not None, name
    assert "Step 5 of 6" in visitor.text(page)


def test_vat_field_is_not_offered_outside_the_eu(visitor):
    page = visitor.continue_review(visitor.to_review("northwind", 12))
    assert visitor.soup(page).select_one('input[name="vat_number"]') is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_vat_number_makes_a_new_quote_with_reverse_charge_shown_again_on_confirm(visitor, runs, lang):
    visitor.lang = lang
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    old_quote = runs()[0].quote_id
    confirm = visitor.pay(page, {"vat_number": "FR40303265045"})
    assert visitor.step(confirm) == "confirm"
    [run] = runs()
    assert run.quote_id != old_quote
    text = visitor.text(confirm)
    if lang == "fr":
        assert "Votre numéro de TVA modifie les montants" in text
        assert "TVA : autoliquidation" in text and "226,67 €" in text and "272,00 €" not in text
        assert "Autoliquidation" in text
    else:
        assert "Your VAT number changes the figures" in text
        assert "VAT: reverse charge" in text and "€226.67" in text
    assert "FR40303265045" in text


@pytest.mark.parametrize("vat, message", [
    ("12345", "Enter the VAT number in the correct format"),
    ("FR40303265046", "This VAT number is not valid: check its digits."),
    ("DE136695976", "The VAT number must be from your account's country."),
])
def test_invalid_vat_number_is_a_field_error_and_is_kept(visitor, runs, vat, message):
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    quote = runs()[0].quote_id
    r = visitor.pay(page, {"vat_number": vat})
    assert r.status_code == 422
    soup = visitor.soup(r)
    assert soup.title.get_text().startswith("Error:")
    assert message in soup.select_one('.error-summary a[href="#vat_number"]').get_text()
    assert message in soup.select_one("#vat_number-error").get_text()
    assert soup.select_one("#vat_number")["value"] == vat
    [run] = runs()
    assert run.quote_id == quote and run.paid_quote_id is None


NEW_CARD = {"payment_method": "new", "card_number": "4000 0000 0000 0002", "exp_month": "12",
            "exp_year": "2031", "cvc": "123", "cardholder": "Claire Dupont"}


@pytest.mark.parametrize("lang, message", [
    ("en", "Your card was declined. Use another card or contact your bank."),
    ("fr", "Votre carte a été refusée. Utilisez une autre carte ou contactez votre banque."),
])
def test_declined_card_is_shown_clearly_and_only_the_card_secrets_are_cleared(visitor, runs, lang, message):
    """What was typed comes back, except the card number and the CVC, which are never sent back."""
    visitor.lang = lang
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    r = visitor.pay(page, NEW_CARD)
    assert r.status_code == 422
    soup = visitor.soup(r)
    assert message in soup.select_one('.error-summary a[href="#card_number"]').get_text()
    assert soup.select_one("#payment_method-new").has_attr("checked")
    for name in ["exp_month", "exp_year", "cardholder"]:
        assert soup.select_one(f"#{name}")["value"] == NEW_CARD[name]
    for name in ["card_number", "cvc"]:
        assert soup.select_one(f"#{name}")["value"] == ""
    assert "4000 0000 0000 0002" not in r.get_data(as_text=True) and 'value="123"' not in r.get_data(as_text=True)
    assert runs()[0].paid_quote_id is None


def test_card_number_and_cvc_are_not_sent_back_after_a_vat_error(visitor):
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    r = visitor.pay(page, dict(NEW_CARD, card_number="4242 4242 4242 4242", vat_number="FR40303265046"))
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "4242 4242 4242 4242" not in body and 'value="123"' not in body
    assert visitor.soup(r).select_one("#vat_number")["value"] == "FR40303265046"


def test_card_form_errors_are_listed_in_field_order(visitor):
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    r = visitor.pay(page, {"payment_method": "new", "card_number": "4242 4242 4242 4241", "exp_month": "13",
                           "exp_year": "2031", "cvc": "12", "cardholder": ""})
    links = [a["href"] for a in visitor.soup(r).select(".error-summary a")]
    assert links == ["#card_number", "#exp_month", "#cvc", "#cardholder"]
    assert "Enter a valid card number: check the digits." in visitor.text(r)


def test_new_card_is_kept_on_file_and_shown_on_confirm(visitor):
    page = visitor.continue_review(visitor.to_review("northwind", 12))
    card = dict(NEW_CARD, card_number="5555 5555 5555 4444", cardholder="Nancy Davolio")
    confirm = visitor.pay(page, card)
    assert visitor.step(confirm) == "confirm"
    assert "Mastercard ending 4444" in visitor.text(confirm)
    assert "$885.03" in visitor.text(confirm)


def test_expired_quote_gives_a_fresh_review_with_an_explanation(visitor, runs, db_session):
    page = visitor.to_review("dupont", 8)
    old = runs()[0].quote_id
    db_session.execute(update(bm.Quote).where(bm.Quote.id == old)
                       .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    db_session.commit()
    page = visitor.get(page.request.full_path)
    assert "These figures are more than 30 minutes old" in visitor.text(page)
    r = visitor.continue_review(page)
    assert visitor.step(r) == "review"
    assert "This quote has expired" in visitor.text(r)
    [run] = runs()
    assert run.quote_id != old and run.reviewed_quote_id is None
    assert "272.00" in visitor.text(r).replace("€", "")


def test_an_expired_quote_for_a_change_already_made_sends_back_to_the_seats(visitor, runs, db_session):
    """The fresh review is refused (the subscription already has 8 seats): choose again, with why."""
    page = visitor.to_review("dupont", 8)
    old = runs()[0].quote_id
    db_session.execute(update(bm.Quote).where(bm.Quote.id == old)
                       .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    sub_id = db_session.scalar(select(bm.Quote.subscription_id).where(bm.Quote.id == old))
    db_session.execute(update(bm.Subscription).where(bm.Subscription.id == sub_id).values(seats=8))
    db_session.commit()
    r = visitor.continue_review(visitor.get(page.request.full_path))
    assert visitor.step(r) == "seats"
    assert "Your subscription already has 8 seats: enter a different number" in visitor.text(r)
    [run] = runs()
    assert run.quote_id is None
    assert db_session.scalar(select(func.count()).select_from(bm.Quote)) == 1  # no new quote
