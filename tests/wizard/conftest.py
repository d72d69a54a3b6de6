"""Fixtures of the seat workflow tests: a visitor that reads pages and submits their forms."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

ACCOUNTS = {
    "dupont": ("billing@dupont.example", "demo-pass-fr"),
    "northwind": ("billing@northwind.example", "demo-pass-en"),
    "globex": ("billing@globex.example", "demo-pass-corp"),
    "dupont-admin": ("admin@dupont.example", "demo-pass-admin"),
}


def page_text(response) -> str:
    """The visible text, whitespace collapsed, no-break spaces turned into spaces."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    text = " ".join(soup.get_text(" ").split())
    return text.replace("\u202f", " ").replace("\xa0", " ")


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def step_of(response) -> str:
    return response.request.path.rstrip("/").rsplit("/", 1)[-1]


def run_of(response) -> str | None:
    values = parse_qs(urlsplit(response.request.full_path).query).get("run")
    return values[0] if values else None


class Visitor:
    """Drives the workflow through the test client as a browser without JavaScript would."""

    text = staticmethod(page_text)
    soup = staticmethod(soup)
    step = staticmethod(step_of)
    run = staticmethod(run_of)

    def __init__(self, client, lang="en"):
        self.client = client
        self.lang = lang

    def get(self, url, **kwargs):
        return self.client.get(url, follow_redirects=True, **kwargs)

    def form(self, response, button=None, has=()):
        """(action, data, button) of the first form holding the fields `has` and a button matching `button`."""
        for form in soup(response).find_all("form"):
            action = form.get("action") or response.request.full_path
            if re.search(r"sign-out|search", action):
                continue
            names = {el.get("name") for el in form.find_all(["input", "button", "select"])}
            if not set(has) <= names:
                continue
            buttons = form.find_all("button")
            chosen = None
            for b in buttons:
                if button is None or re.search(button, b.get_text(" "), re.I):
                    chosen = b
                    break
            if chosen is None:
                continue
            data = {}
            for el in form.find_all("input"):
                kind = (el.get("type") or "text").lower()
                if kind in ("radio", "checkbox") and not el.has_attr("checked"):
                    continue
                if el.get("name"):
                    data[el["name"]] = el.get("value", "")
            if chosen.get("name"):
                data[chosen["name"]] = chosen.get("value", "")
            return action, data, chosen
        raise AssertionError(f"no form with {has} and button {button!r} on {response.request.path}")

    def submit(self, response, fields=None, button=None, follow=True, has=None):
        """Submit a form of the page keeping its defaults (CSRF token, revision, checked radios)."""
        fields = dict(fields or {})
        action, data, _ = self.form(response, button, has if has is not None else tuple(fields))
        data.update(fields)
        return self.client.post(action, data=data, follow_redirects=follow)

    # The steps, one call each ------------------------------------------------

    def sign_in(self, account="dupont", query=""):
        email, password = ACCOUNTS[account]
        page = self.get(f"/{self.lang}/wizard/seats/{query}")
        assert step_of(page) == "sign-in", page.request.path
        return self.submit(page, {"email": email, "password": password})

    def choose_product(self, page, subscription_id=None):
        assert step_of(page) == "product", page.request.path
        if subscription_id is None:
            _, data, button = self.form(page, has=("subscription",))
            subscription_id = button["value"]
        return self.submit(page, {"subscription": str(subscription_id)}, has=("subscription",))

    def add_to_cart(self, page, quantity):
        assert step_of(page) == "seats", page.request.path
        return self.submit(page, {"quantity": str(quantity)}, button=r"add to cart|ajouter au panier")

    def checkout(self, page):
        return self.submit(page, button=r"^\s*(checkout|commander)\s*$", has=())

    def to_review(self, account="dupont", quantity=8):
        page = self.choose_product(self.sign_in(account))
        page = self.add_to_cart(page, quantity)
        page = self.checkout(page)
        assert step_of(page) == "review", page_text(page)
        return page

    def continue_review(self, page):
        return self.submit(page, button=r"continue|continuer", has=())

    def pay(self, page, fields=None):
        assert step_of(page) == "payment", page.request.path
        return self.submit(page, fields or {}, button=r"continue|continuer", has=("payment_method",))

    def to_confirm(self, account="dupont", quantity=8, payment=None):
        page = self.continue_review(self.to_review(account, quantity))
        if step_of(page) == "payment":
            page = self.pay(page, payment)
        assert step_of(page) == "confirm", page_text(page)
        return page

    def place_order(self, page, follow=True):
        return self.submit(page, button=r"place order|passer la commande", has=("quote",), follow=follow)

    # The payment-details workflow ------------------------------------------------

    GOOD_CARD = {"card_number": "5555 5555 5555 4444", "exp_month": "11", "exp_year": "2031", "cvc": "123",
                 "cardholder": "Claire Dupont"}

    def start_payment(self, account="dupont"):
        email, password = ACCOUNTS[account]
        page = self.get(f"/{self.lang}/wizard/payment/")
        assert step_of(page) == "sign-in", page.request.path
        return self.submit(page, {"email": email, "password": password})

    def enter_card(self, page, card=None):
        assert step_of(page) == "card", page.request.path
        card = card or self.GOOD_CARD
        return self.submit(page, card, has=tuple(card))


@pytest.fixture
def visitor(client, demo):
    """A visitor on the demo data, in English; `visitor.lang = "fr"` for French."""
    return Visitor(client)


@pytest.fixture
def make_visitor(app, demo):
    """More visitors, each with its own browser (cookies): make_visitor("fr")."""
    return lambda lang="en": Visitor(app.test_client(), lang)


@pytest.fixture
def subscription_of(app, db_session):
    """The demo subscription of an account, by sign-in email (billing read model)."""
    from helpcenter.billing import service

    def find(email):
        contact = service.authenticate(db_session, app.extensions["clock"], *next(
            pair for pair in ACCOUNTS.values() if pair[0] == email), passwords=app.extensions["passwords"])
        return service.list_subscriptions(db_session, contact.account_id)[0], contact
    return find


@pytest.fixture
def orders_of(app, db_session):
    from helpcenter.billing import service

    def orders(contact):
        db_session.expire_all()
        return service.list_orders(db_session, contact.account_id)
    return orders


SEAT_VALUES = ("subscription_id", "quantity", "quote_id", "checked_out", "reviewed_quote_id", "paid_quote_id",
               "payment_error", "order_id")


class SeatRun:
    """A seat workflow run as the tests read it: its id, revision and the values in its data."""

    def __init__(self, run):
        self.id, self.revision, self.reference = run.id, run.revision, run.reference
        data = run.data or {}
        for name in SEAT_VALUES:
            setattr(self, name, data.get(name))
        self.checked_out = bool(data.get("checked_out"))
        prefill = data.get("prefill") or {}
        self.prefill_product, self.prefill_quantity = prefill.get("product"), prefill.get("quantity")


@pytest.fixture
def runs(db_session):
    """Every seat workflow run, fresh from the database."""
    from sqlalchemy import select

    from helpcenter.workflow.models import WorkflowRun

    def all_runs():
        db_session.expire_all()
        return [SeatRun(run) for run in db_session.scalars(select(WorkflowRun).where(WorkflowRun.workflow == "seats")
                                                           .order_by(WorkflowRun.created_at))]
    return all_runs
