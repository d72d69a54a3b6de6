"""A customer's trail by reference: what they saw, in order, in the agent's time zone; no secrets;
every view recorded in the account's audit trail; an unknown reference is a clear 404."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from helpcenter.billing import models, service
from tests.agent.conftest import soup, text

CARD = "4242424242424242"


@pytest.fixture
def stumbled(record, dupont):
    """Dupont's run HC-7K2Q9D: product, seats, a form error on payment with card fields typed, a refusal."""
    at = datetime(2026, 11, 26, 15, 14, 5, tzinfo=timezone.utc)
    ref = "HC-7K2Q9D"
    record(ref, "step_shown", "product", contact_id=dupont.id, at=at)
    record(ref, "step_shown", "seats", contact_id=dupont.id, at=at.replace(minute=15))
    record(ref, "quote", "review", {"quote": "q1", "figures": {
        "seats_before": 5, "seats_after": 8, "currency": "EUR", "credit": "93.33", "charge": "320.00",
        "total": "272.00"}}, contact_id=dupont.id, at=at.replace(minute=16))
    # Written straight to the table, secrets included: the page must drop them whatever was stored.
    record(ref, "form_error", "payment", {"fields": {
        "card_number": {"messages": ["Enter a valid card number"], "value": CARD},
        "cvc": {"messages": ["Enter the security code"], "value": "737"},
        "exp_year": {"messages": ["Enter the year"], "value": "2031"},
        "password": {"messages": [], "value": "hunter2"},
        "cardholder": {"messages": ["Enter the name on the card"], "value": "C. Dupont 4242 4242 4242 4242"}}},
        contact_id=dupont.id, at=at.replace(minute=17))
    record(ref, "refusal", "payment", {"code": "card_declined"}, contact_id=dupont.id, at=at.replace(minute=18))
    return ref


@pytest.mark.parametrize("lang,when,step", [("en", "26 November 2026, 16:14:05 (Europe/Paris)", "Step shown: Choose the product"),
                                            ("fr", "26 novembre 2026, 16 h 14 min 05 s (Europe/Paris)", "Étape affichée : Choisir le produit")])
def test_trail_in_order_with_times_in_the_agents_zone(as_agent, stumbled, lang, when, step):
    response = as_agent.get(f"/{lang}/agent/runs/{stumbled}")
    assert response.status_code == 200
    events = soup(response).select(".trail > li")
    assert [e["class"][1] for e in events] == ["event-step_shown", "event-step_shown", "event-quote",
                                               "event-form_error", "event-refusal"]
    first = " ".join(events[0].get_text(" ").split())
    assert when in first and step in first
    assert "Claire Dupont" in text(response)


def test_quote_figures_are_formatted_money(as_agent, stumbled):
    quote = soup(as_agent.get(f"/fr/agent/runs/{stumbled}")).select_one(".event-quote").get_text(" ")
    assert "272,00\u00a0€" in quote and "93,33\u00a0€" in quote


def test_form_errors_show_typed_values_but_never_card_fields_or_passwords(as_agent, stumbled):
    response = as_agent.get(f"/en/agent/runs/{stumbled}")
    html = response.get_data(as_text=True)
    # Whole numbers only: timestamps carry microseconds, whose digits may contain the CVC's.
    for secret in (CARD, "737", "hunter2", "4242 4242 4242 4242", "2031"):
        assert not re.search(rf"(?<![\d]){re.escape(secret)}(?![\d])", html), secret
    error = soup(response).select_one(".event-form_error")
    rows = {r.select_one("td code").get_text(): [td.get_text(" ", strip=True) for td in r.select("td")[1:]]
            for r in error.select("tbody tr")}
    # Every field with its message; the value only for fields that are not secret.
    assert rows["card_number"] == ["Enter a valid card number", "never recorded (card details and passwords)"]
    assert rows["cvc"][1] == rows["exp_year"][1] == rows["password"][1] == "never recorded (card details and passwords)"
    assert rows["cardholder"] == ["Enter the name on the card", "C. Dupont •••"]


def test_display_filters_secrets_even_if_a_stored_event_carried_them(as_agent, stumbled, db_session):
    from helpcenter.workflow.models import WorkflowEvent
    stored = db_session.scalar(select(WorkflowEvent).where(WorkflowEvent.kind == "form_error"))
    assert stored.detail["fields"]["card_number"]["value"] == CARD  # the page, not the fixture, removes it
    assert CARD not in as_agent.get(f"/en/agent/runs/{stumbled}").get_data(as_text=True)


def test_every_view_is_recorded_in_the_accounts_audit_trail(as_agent, stumbled, dupont, db_session):
    as_agent.get(f"/en/agent/runs/{stumbled}")
    as_agent.get(f"/fr/agent/runs/{stumbled}")
    events = db_session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == "agent_viewed_trail")).all()
    assert len(events) == 2
    assert {e.account_id for e in events} == {dupont.account_id}
    assert events[0].actor_email == "agent@vendor.example"
    assert events[0].details["reference"] == stumbled


def test_the_customer_sees_the_agents_view_in_their_account_history(as_agent, stumbled, client, auth):
    as_agent.get(f"/en/agent/runs/{stumbled}")
    from tests.conftest import FormClient
    FormClient(client).post("/en/agent/", {}, action="/en/sign-out")
    auth.sign_in("billing@dupont.example", "demo-pass-fr", lang="fr")
    assert "L’agent du support Sam Rivière a consulté le suivi du parcours HC-7K2Q9D" in text(client.get("/fr/account/"))


def test_order_and_emails_of_the_run(as_agent, record, dupont, db_session, agent_demo):
    clock = agent_demo.extensions["clock"]
    sub = db_session.scalar(select(models.Subscription).where(models.Subscription.account_id == dupont.account_id))
    quote = service.quote_seat_change(db_session, clock, contact_id=dupont.id, subscription_id=sub.id, new_seats=8)
    order = service.place_order(db_session, clock, contact_id=dupont.id, quote_id=quote.id, locale="fr",
                                assign_seats_url="http://localhost/fr/account/seats/1")
    record("HC-ORDER1", "order", "confirm", {"order": order.id, "number": order.number}, contact_id=dupont.id)
    record("HC-ORDER1", "finished", "done", contact_id=dupont.id)
    page = text(as_agent.get("/en/agent/runs/HC-ORDER1"))
    assert f"Order {order.number}" in page
    assert "€272.00" in page
    assert "Emails sent" in page and "billing@dupont.example" in page


def test_a_trail_of_another_account_cannot_reach_an_order_it_does_not_own(as_agent, record, dupont, db_session):
    northwind = db_session.scalar(select(models.Contact).where(models.Contact.email == "billing@northwind.example"))
    record("HC-NORTH1", "order", "confirm", {"order": 999, "number": "HC-000999"}, contact_id=northwind.id)
    response = as_agent.get("/en/agent/runs/HC-NORTH1")
    assert response.status_code == 200
    assert soup(response).select(".data-table caption") == []


@pytest.mark.parametrize("lang,title", [("en", "No such reference"), ("fr", "Référence inconnue")])
@pytest.mark.parametrize("reference", ["HC-ZZZZZZ", "not-a-reference", "HC-<script>"])
def test_unknown_reference_is_a_clear_404(as_agent, agent_demo, lang, title, reference):
    response = as_agent.get(f"/{lang}/agent/runs/{reference}")
    assert response.status_code == 404
    assert soup(response).h1.get_text() == title
    assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_lowercase_reference_redirects_to_the_canonical_one(as_agent, stumbled):
    response = as_agent.get("/en/agent/runs/hc-7k2q9d")
    assert response.status_code == 301
    assert response.headers["Location"] == "/en/agent/runs/HC-7K2Q9D"


@pytest.mark.parametrize("lang,sentence", [("en", "Your card was declined. Use another card or contact your bank."),
                                           ("fr", "Votre carte a été refusée")])
def test_a_refusal_shows_the_sentence_the_customer_read(as_agent, stumbled, lang, sentence):
    refusal = soup(as_agent.get(f"/{lang}/agent/runs/{stumbled}")).select_one(".event-refusal")
    assert "card_declined" in refusal.get_text()
    assert refusal.q.get_text().startswith(sentence)
