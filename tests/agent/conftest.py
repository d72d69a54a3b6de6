"""Fixtures of the agent pages' tests: the demo with its agent, a signed-in agent, recorded events."""
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from helpcenter.contact.models import SupportRequest
from helpcenter.workflow.models import WorkflowEvent
from helpcenter.billing import models

AGENT = ("agent@vendor.example", "demo-pass-agent")
CUSTOMER = ("billing@dupont.example", "demo-pass-fr")
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def agent_demo(demo, db_session):
    """The spec's demo data, with the demo agent."""
    from helpcenter.staff import seed_demo_staff
    seed_demo_staff(db_session, demo.extensions["passwords"])
    db_session.commit()
    return demo


@pytest.fixture
def as_agent(agent_demo, auth):
    """The test client signed in as the demo agent, through the real sign-in page."""
    response = auth.sign_in(*AGENT)
    assert response.status_code == 303 and response.headers["Location"].endswith("/en/agent/")
    return auth.client


@pytest.fixture
def dupont(db_session, agent_demo):
    return db_session.scalar(select(models.Contact).where(models.Contact.email == CUSTOMER[0]))


@pytest.fixture
def record(db_session):
    """Add workflow events as the engine would record them."""
    def add(reference, kind, step="product", detail=None, *, contact_id=None, workflow="seats", at=None,
            run_id=None):
        event = WorkflowEvent(run_id=run_id or f"run-{reference}", reference=reference, workflow=workflow,
                              contact_id=contact_id, kind=kind, step=step, detail=detail or {}, at=at or NOW)
        db_session.add(event)
        db_session.commit()
        return event
    return add


@pytest.fixture
def support_request(db_session):
    def add(**fields):
        values = {"email": "billing@dupont.example", "message": "Help", "lang": "fr", "created_at": NOW, **fields}
        req = SupportRequest(**values)
        db_session.add(req)
        db_session.commit()
        return req
    return add


def text(response) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    for hidden in soup.select("script, style, head"):
        hidden.decompose()
    return " ".join(soup.get_text(" ").split())


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)
