"""Fixtures of the account pages' tests: demo ids, translations, page text, state snapshots."""
import re

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import select

from helpcenter.billing import models

PASSWORDS = {
    "billing@dupont.example": "demo-pass-fr",
    "admin@dupont.example": "demo-pass-admin",
    "billing@northwind.example": "demo-pass-en",
    "billing@globex.example": "demo-pass-corp",
}


class DemoIds:
    """Ids of the demo data, looked up by the spec's names."""

    def __init__(self, session):
        self.session = session

    def contact(self, email):
        return self.session.scalar(select(models.Contact).where(models.Contact.email == email))

    def account_id(self, email):
        return self.contact(email).account_id

    def subscription_id(self, email):
        account_id = self.account_id(email)
        return self.session.scalar(select(models.Subscription.id)
                                   .where(models.Subscription.account_id == account_id)
                                   .order_by(models.Subscription.id))

    def users(self, email):
        account_id = self.account_id(email)
        return list(self.session.scalars(select(models.AccountUser)
                                         .where(models.AccountUser.account_id == account_id)
                                         .order_by(models.AccountUser.id)))


@pytest.fixture
def ids(demo, db_session):
    return DemoIds(db_session)


@pytest.fixture
def sign_in_as(auth):
    """Sign in one of the demo contacts through the real page."""
    def sign_in(email, lang="en"):
        response = auth.sign_in(email, PASSWORDS[email], lang)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response
    return sign_in


def squash(text: str) -> str:
    """Collapse ASCII whitespace only: the no-break spaces of French typography and Babel stay."""
    return re.sub(r"[ \t\n\r\f\v]+", " ", text).strip()


def page_text(response_or_element) -> str:
    """The visible text of a page (a response) or of a part of it (a BeautifulSoup element)."""
    if isinstance(response_or_element, Tag):
        soup = BeautifulSoup(str(response_or_element), "html.parser")
    else:
        soup = BeautifulSoup(response_or_element.get_data(as_text=True), "html.parser")
    for hidden in soup.select("script, style, head"):
        hidden.decompose()
    return squash(soup.get_text(" "))


@pytest.fixture
def text_of():
    return page_text


@pytest.fixture
def soup_of():
    return lambda response: BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def snapshot(app, db_session):
    """Everything the account pages could change, for 'nothing changed' assertions."""
    def take():
        db_session.expire_all()
        return {
            "subscriptions": sorted((s.id, s.seats, s.version, s.period_start, s.period_end)
                                    for s in db_session.scalars(select(models.Subscription))),
            "users": sorted((u.id, u.account_id, u.name, u.email) for u in db_session.scalars(select(models.AccountUser))),
            "assignments": sorted((a.subscription_id, a.user_id) for a in db_session.scalars(select(models.SeatAssignment))),
            "orders": sorted(o.id for o in db_session.scalars(select(models.Order))),
            "balances": sorted((a.id, a.balance) for a in db_session.scalars(select(models.Account))),
            "audit": sorted(e.id for e in db_session.scalars(select(models.AuditEvent))),
        }
    return take
