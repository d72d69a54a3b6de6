"""Step 6 and the done page: revalidation, stale quotes, double submits, declined charges, the email."""
import pytest
from sqlalchemy import func, select, update

from helpcenter.billing import models as bm


@pytest.fixture
def app_config(app_config, smtp_server):
    """Orders in these tests send their confirmation to a real SMTP server on loopback."""
    app_config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port)
    return app_config


def _count(db_session, model):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("lang, texts", [
    ("en", ["Step 6 of 6", "$885.03", "$1,393.97", "$25.00", "Mastercard ending 4444"]),
    ("fr", ["Étape 6 sur 6", "885,03 $US", "1 393,97 $US"]),
])
def test_confirm_repeats_the_totals_and_names_the_action(visitor, lang, texts):
    visitor.lang = lang
    page = visitor.to_confirm("northwind", 12)
    text = visitor.text(page)
    for expected in texts:
        assert expected in text, expected
    button = visitor.soup(page).select_one('form button[type="submit"][data-prevent-double-submit]')
    assert button.get_text(strip=True) == ("Place order" if lang == "en" else "Passer la commande")


def test_get_never_places_an_order(visitor, db_session):
    page = visitor.to_confirm("dupont", 8)
    for _ in range(2):
        assert visitor.get(page.request.full_path).status_code == 200
    assert _count(db_session, bm.Order) == 0


def test_place_order_then_done_page_in_french(visitor, smtp_server, subscription_of, orders_of):
    visitor.lang = "fr"
    confirm = visitor.to_confirm("dupont", 8)
    done = visitor.place_order(confirm)
    assert visitor.step(done) == "done"
    subscription, contact = subscription_of("billing@dupont.example")
    [order] = orders_of(contact)
    text = visitor.text(done)
    assert order.number in text
    assert "GoToAssist Remote Support v5 : de 5 agents à 8 agents." in text
    assert "l’accès aux postes est immédiat" in text
    assert "Votre date de facturation est désormais le 26 novembre 2026" in text
    assert "272,00 € ont été débités sur la carte Visa se terminant par 4242" in text
    assert "à l’adresse billing@dupont.example" in text
    assign = visitor.soup(done).select_one(f'a[href="/fr/account/seats/{subscription.id}"]')
    assert assign is not None
    assert visitor.soup(done).select_one('a[href^="/fr/articles/2"]') is not None
    assert subscription.seats == 8 and subscription.period_start.isoformat() == "2026-11-26"
    # The confirmation email went through the real SMTP server, in French.
    [mail] = smtp_server.received
    assert mail["To"] == "billing@dupont.example"
    assert order.number in mail["Subject"]


def test_decrease_done_page_has_no_call_to_assign(visitor):
    done = visitor.place_order(visitor.to_confirm("dupont", 4))
    assert visitor.step(done) == "done"
    assert "Assign the new seats now" not in visitor.text(done)
    assert "from 5 agents to 4 agents" in visitor.text(done)


def test_double_submit_shows_the_same_order(visitor, db_session, smtp_server):
    confirm = visitor.to_confirm("dupont", 8)
    first = visitor.place_order(confirm, follow=False)
    second = visitor.place_order(confirm, follow=False)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location and first.location.endswith("/done?run=" + visitor.run(confirm))
    assert _count(db_session, bm.Order) == 1
    assert _count(db_session, bm.GatewayCharge) == 1
    assert _count(db_session, bm.EmailMessage) == 1
    assert len(smtp_server.received) == 1


def test_after_the_order_every_step_leads_to_the_done_page(visitor):
    done = visitor.place_order(visitor.to_confirm("dupont", 8))
    run = visitor.run(done)
    for step in ["product", "seats", "review", "payment", "confirm"]:
        r = visitor.client.get(f"/en/wizard/seats/{step}?run={run}")
        assert r.status_code == 303 and r.location.endswith(f"/done?run={run}"), step
    page = visitor.get(f"/en/wizard/seats/seats?run={run}")
    assert "This order has already been placed" in visitor.text(page)


def test_stale_quote_sends_back_to_a_fresh_review_with_an_explanation(make_visitor, db_session, orders_of,
                                                                      subscription_of):
    """Two separate runs of the same contact: the second order makes the first run's quote stale."""
    tab_a, tab_b = make_visitor(), make_visitor()
    confirm_a = tab_a.to_confirm("dupont", 8)
    done_b = tab_b.place_order(tab_b.to_confirm("dupont", 6))
    assert tab_b.step(done_b) == "done"
    r = tab_a.place_order(confirm_a)
    assert tab_a.step(r) == "review"
    text = tab_a.text(r)
    assert "Your subscription changed since this quote was made" in text
    assert "6 agents" in text and "8 agents" in text  # seats before are now 6
    _, contact = subscription_of("billing@dupont.example")
    assert len(orders_of(contact)) == 1
    # The fresh quote can be reviewed and ordered.
    confirm = tab_a.continue_review(r)
    if tab_a.step(confirm) == "payment":
        confirm = tab_a.pay(confirm)
    done = tab_a.place_order(confirm)
    assert tab_a.step(done) == "done"
    assert len(orders_of(contact)) == 2


def test_totals_are_recomputed_before_the_order(visitor, db_session, orders_of, subscription_of):
    """A balance credited after the review (say, by support) changes the total due: review again."""
    confirm = visitor.to_confirm("dupont", 8)
    db_session.execute(update(bm.Account).where(bm.Account.name == "Atelier Dupont SARL")
                       .values(balance=10))
    db_session.commit()
    r = visitor.place_order(confirm)
    assert visitor.step(r) == "review"
    assert "The figures changed since your review" in visitor.text(r)
    assert "262.00" in visitor.text(r)  # 272.00 due minus the 10.00 balance
    _, contact = subscription_of("billing@dupont.example")
    assert orders_of(contact) == []


def test_insufficient_funds_at_the_charge_go_back_to_the_payment_step(visitor, db_session, runs, orders_of,
                                                                      subscription_of):
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    confirm = visitor.pay(page, {"payment_method": "new", "card_number": "4000 0000 0000 9995", "exp_month": "12",
                                 "exp_year": "2031", "cvc": "123", "cardholder": "Claire Dupont"})
    assert visitor.step(confirm) == "confirm"
    r = visitor.place_order(confirm)
    assert visitor.step(r) == "payment"
    assert r.status_code == 200
    soup = visitor.soup(r)
    assert "Your card was declined for insufficient funds" in soup.select_one(".error-summary").get_text()
    assert soup.title.get_text().startswith("Error:")
    _, contact = subscription_of("billing@dupont.example")
    assert orders_of(contact) == []
    # Another card, then the order goes through.
    confirm = visitor.pay(r, {"payment_method": "new", "card_number": "4242 4242 4242 4242", "exp_month": "12",
                              "exp_year": "2031", "cvc": "123", "cardholder": "Claire Dupont"})
    done = visitor.place_order(confirm)
    assert visitor.step(done) == "done"
    assert runs()[0].payment_error is None


def test_smtp_server_down_does_not_fail_the_order(visitor, app, db_session):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    done = visitor.place_order(visitor.to_confirm("dupont", 8))
    assert visitor.step(done) == "done"
    db_session.expire_all()
    [message] = db_session.scalars(select(bm.EmailMessage)).all()
    assert message.sent_at is None  # kept in the outbox for the retry command


def test_confirm_form_for_another_quote_is_refused_as_stale(visitor, db_session):
    confirm = visitor.to_confirm("dupont", 8)
    r = visitor.submit(confirm, {"quote": "not-the-quote"}, button="Place order", has=("quote",))
    assert "This workflow was changed in another tab" in visitor.text(r)
    assert _count(db_session, bm.Order) == 0


@pytest.mark.slow
def test_concurrent_double_submit_places_one_order(visitor, app, db_session, smtp_server):
    """Two "Place order" POSTs of the same page at the same moment (a double click, two tabs)."""
    from concurrent.futures import ThreadPoolExecutor

    page = visitor.to_confirm("dupont", 8)
    action, data, _button = visitor.form(page, button="Place order", has=("quote",))
    twin = app.test_client()
    twin.set_cookie("session", visitor.client.get_cookie("session").value)

    def post(client):
        return client.post(action, data=data)

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(post, [visitor.client, twin]))
    assert [r.status_code for r in responses] == [303, 303]
    assert {r.location for r in responses} == {f"/en/wizard/seats/done?run={visitor.run(page)}"}
    assert _count(db_session, bm.Order) == 1
    assert _count(db_session, bm.GatewayCharge) == 1
    assert _count(db_session, bm.EmailMessage) == 1
    done = visitor.get(responses[0].location)
    assert visitor.step(done) == "done"


@pytest.mark.parametrize("lang, label, owed, due, done_line", [
    ("en", "Amount owed", "€30.00", "€302.00", "Amount owed: €30.00, included in the amount charged"),
    ("fr", "Montant restant dû", "30,00 €", "302,00 €", "Montant restant dû : 30,00 €, compris dans le montant débité"),
])
def test_a_debt_is_its_own_line_on_review_confirm_and_done(visitor, db_session, lang, label, owed, due, done_line):
    """A negative balance (spec section 6) is added to the amount due on its own line."""
    from datetime import datetime, timezone
    account = db_session.scalars(select(bm.Account).join(bm.Contact, bm.Contact.account_id == bm.Account.id)
                                 .where(bm.Contact.email == "billing@dupont.example")).one()
    account.balance = -30
    db_session.add(bm.LedgerEntry(account_id=account.id, kind="opening", amount=-30, currency="EUR",
                                  balance_after=-30, created_at=datetime.now(timezone.utc)))
    db_session.commit()
    visitor.lang = lang
    review = visitor.to_review("dupont", 8)
    page = visitor.continue_review(review)
    if visitor.step(page) == "payment":
        page = visitor.pay(page)
    assert visitor.step(page) == "confirm"
    for shown in (review, page):
        [row] = [tr for tr in visitor.soup(shown).select("table.figures tr") if label in tr.get_text()]
        assert owed in " ".join(row.get_text(" ").replace("\xa0", " ").split())
        assert due in visitor.text(shown)
    done = visitor.place_order(page)
    assert visitor.step(done) == "done"
    assert done_line in visitor.text(done)


def test_an_order_recorded_on_a_run_changed_meanwhile_still_sends_its_confirmation(visitor, db_session, smtp_server,
                                                                                    monkeypatch):
    """The order's email waits for the request's commit; the savepoint that loses the run's
    optimistic lock (a twin request changed the run) rolls back only its own work, not the email."""
    from flask import g
    from sqlalchemy import text

    from helpcenter.billing import orders
    real_place_order = orders.place_order

    def place_order_then_the_run_changes(session, *args, **kwargs):
        order = real_place_order(session, *args, **kwargs)
        session.execute(text("UPDATE workflow_runs SET revision = revision + 1 WHERE id = :id"),
                        {"id": g.workflow_ctx.run.id})
        return order

    monkeypatch.setattr(orders, "place_order", place_order_then_the_run_changes)
    done = visitor.place_order(visitor.to_confirm("dupont", 8))
    assert visitor.step(done) == "done"
    from helpcenter.billing.accounts import order_number
    [order] = db_session.scalars(select(bm.Order)).all()
    assert len(smtp_server.received) == 1 and order_number(order.id) in smtp_server.received[0].as_string()
