"""Support requests: newest first, page, language, account, trail link; marking one answered."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpcenter.agent.sources import SupportRequest
from helpcenter.billing import models
from tests.agent.conftest import NOW, soup, text
from tests.conftest import FormClient


@pytest.fixture
def requests_(support_request, record, dupont):
    record("HC-7K2Q9D", "step_shown", "payment", contact_id=dupont.id)
    old = support_request(email="anon@example.com", message="Where are my invoices?", lang="en",
                          page="/en/articles/3-invoice-history", created_at=NOW - timedelta(days=1))
    new = support_request(email="billing@dupont.example", message="Ma carte est refusée", lang="fr",
                          page="/fr/wizard/seats/payment", reference="HC-7K2Q9D", account_id=dupont.account_id,
                          contact_id=dupont.id, created_at=NOW)
    typo = support_request(email="x@example.com", message="ref?", lang="en", reference="HC-NOPE00",
                           created_at=NOW - timedelta(days=2))
    return old, new, typo


@pytest.mark.parametrize("lang,trail_text", [("en", "Trail of HC-7K2Q9D"), ("fr", "Suivi de HC-7K2Q9D")])
def test_requests_newest_first_with_page_language_account_and_trail(as_agent, requests_, lang, trail_text):
    old, new, typo = requests_
    response = as_agent.get(f"/{lang}/agent/requests")
    assert response.status_code == 200
    items = soup(response).select("article.request")
    assert [i["id"] for i in items] == [f"request-{new.id}", f"request-{old.id}", f"request-{typo.id}"]
    first = " ".join(items[0].get_text(" ").split())
    assert "/fr/wizard/seats/payment" in first and "Français" in first and "Atelier Dupont SARL" in first
    assert items[0].select_one("a[href='/%s/agent/runs/HC-7K2Q9D']" % lang).get_text() == trail_text
    assert items[2].select_one("a[href*='/agent/runs/']") is None  # a reference without a trail: no link


def test_mark_answered_with_csrf(as_agent, requests_, db_session):
    _old, new, _typo = requests_
    response = FormClient(as_agent).post("/fr/agent/requests", {}, action=f"/fr/agent/requests/{new.id}/answered")
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(SupportRequest, new.id).answered_at is not None
    page = as_agent.get("/fr/agent/requests")
    assert soup(page).select_one(f"#request-{new.id} .answered").get_text().startswith("Répondu le ")
    assert soup(page).select_one(f"#request-{new.id} form") is None
    audit = db_session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == "agent_answered_request")).all()
    assert [a.details["request"] for a in audit] == [new.id]


def test_mark_answered_without_csrf_changes_nothing(as_agent, requests_, db_session):
    _old, new, _typo = requests_
    response = as_agent.post(f"/en/agent/requests/{new.id}/answered", data={})
    assert response.status_code == 400
    db_session.expire_all()
    assert db_session.get(SupportRequest, new.id).answered_at is None


def test_mark_answered_unknown_request_is_404(as_agent, requests_):
    response = FormClient(as_agent).post("/en/agent/requests", {}, action="/en/agent/requests/99999/answered")
    assert response.status_code == 404


def test_mark_answered_is_get_proof(as_agent, requests_):
    _old, new, _typo = requests_
    assert as_agent.get(f"/en/agent/requests/{new.id}/answered").status_code == 405


def test_request_text_is_escaped(as_agent, support_request, agent_demo):
    support_request(message="<script>alert(1)</script>", email="a@example.com")
    html = as_agent.get("/en/agent/requests").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_pages_of_requests(as_agent, support_request, agent_demo):
    for n in range(30):
        support_request(email=f"c{n}@example.com", created_at=NOW - timedelta(minutes=n))
    first, second = as_agent.get("/en/agent/requests"), as_agent.get("/en/agent/requests?page=2")
    assert len(soup(first).select("article.request")) == 25
    assert [a["id"] for a in soup(second).select("article.request")][0] == "request-26"
    assert as_agent.get("/en/agent/requests?page=3").status_code == 404
    assert "Page 2 of 2." in text(second)


def test_a_card_number_pasted_in_a_request_is_hidden(as_agent, support_request, agent_demo):
    support_request(message="My card 4111 1111 1111 1111 was refused, CVC 123", email="a@example.com")
    html = as_agent.get("/en/agent/requests").get_data(as_text=True)
    assert "4111 1111 1111 1111" not in html and not re.search(r"(?<!\d)4111(?!\d)", html)
    assert "My card ••• was refused" in html
