"""The engine's own duties, seen through both workflows: the trail of events (one row each,
never a card secret), reference codes, reuse and cap of open runs, new-card limits."""
import json
import re

import pytest
from sqlalchemy import select, update

from helpcenter.billing import models as bm
from helpcenter.workflow import events
from helpcenter.workflow.models import REFERENCE_ALPHABET, WorkflowEvent, WorkflowRun, new_reference
from helpcenter.workflow.views import MAX_OPEN_RUNS

SECRETS = ("4000 0000 0000 0002", "4242 4242 4242 4241", "5555 5555 5555 4444", "demo-pass-fr", '"cvc": {"messages"')


def trail(db_session, kind=None):
    db_session.expire_all()
    query = select(WorkflowEvent).order_by(WorkflowEvent.id)
    if kind:
        query = query.where(WorkflowEvent.kind == kind)
    return db_session.scalars(query).all()


def test_a_seat_order_leaves_a_trail_of_steps_quotes_the_order_and_the_end(visitor, db_session):
    done = visitor.place_order(visitor.to_confirm("dupont", 8))
    assert visitor.step(done) == "done"
    [run] = db_session.scalars(select(WorkflowRun)).all()
    rows = trail(db_session)
    assert {row.reference for row in rows} == {run.reference} and {row.run_id for row in rows} == {run.id}
    assert {row.workflow for row in rows} == {"seats"} and {row.contact_id for row in rows} == {run.contact_id}
    kinds = [row.kind for row in rows]
    shown = [row.step for row in rows if row.kind == "step_shown"]
    assert shown[:4] == ["product", "seats", "seats", "review"] and shown[-1] == "done"
    [quote] = [row for row in rows if row.kind == "quote"]
    assert quote.detail["figures"]["due"] == "272.00" and quote.detail["figures"]["seats_after"] == 8
    order = db_session.scalars(select(bm.Order)).one()
    [placed] = [row for row in rows if row.kind == "order"]
    assert placed.detail == {"order": order.id, "number": f"HC-{order.id:06d}"}
    assert kinds.index("order") < kinds.index("finished") < len(kinds) - 1  # the done page comes last


def test_form_errors_keep_what_was_typed_except_card_secrets(visitor, make_visitor, db_session):
    seats = visitor.choose_product(visitor.sign_in())
    visitor.add_to_cart(seats, 0)
    [error] = trail(db_session, "form_error")
    assert error.step == "seats"
    assert error.detail["fields"]["quantity"]["value"] == "0"
    assert error.detail["fields"]["quantity"]["messages"] == ["Enter a number of seats from 1 to 500."]
    visitor = make_visitor()
    page = visitor.continue_review(visitor.to_review("dupont", 8))
    visitor.pay(page, {"payment_method": "new", "card_number": "4242 4242 4242 4241", "exp_month": "13",
                       "exp_year": "2031", "cvc": "12", "cardholder": "Claire", "vat_number": "FR123"})
    error = trail(db_session, "form_error")[-1]
    fields = error.detail["fields"]
    assert set(fields) == {"card_number", "exp_month", "cvc", "vat_number"}
    assert fields["vat_number"]["value"] == "FR123"
    for secret in ("card_number", "exp_month", "cvc"):
        assert "value" not in fields[secret] and fields[secret]["messages"]
    dumped = json.dumps([row.detail for row in trail(db_session)])
    assert "4241" not in dumped and '"12"' not in dumped


def test_a_refused_card_in_the_payment_workflow_is_a_form_error_without_the_number(visitor, db_session):
    visitor.enter_card(visitor.start_payment(), dict(visitor.GOOD_CARD, card_number="4000 0000 0000 0002"))
    [error] = trail(db_session, "form_error")
    assert error.workflow == "payment" and error.step == "card"
    assert error.detail["fields"]["card_number"]["messages"] == [
        "Your card was declined. Use another card or contact your bank."]
    assert set(error.detail["fields"]) == {"card_number"}  # only the fields with errors
    dumped = json.dumps([row.detail for row in trail(db_session)])
    assert "0002" not in dumped and "123" not in dumped


def test_the_recorder_drops_secret_values_even_when_a_caller_passes_them(visitor, db_session):
    visitor.sign_in()
    run = db_session.scalars(select(WorkflowRun)).one()
    event = events.record(db_session, run, "form_error", "payment", {"fields": {
        "card_number": {"messages": ["x"], "value": "4242424242424242"}, "password": {"messages": [], "value": "p"},
        "cardholder": {"messages": ["y"], "value": "C D"}}})
    assert event.detail["fields"] == {"card_number": {"messages": ["x"]}, "password": {"messages": []},
                                      "cardholder": {"messages": ["y"], "value": "C D"}}
    with pytest.raises(ValueError):
        events.record(db_session, run, "anything", "payment")


def test_a_contact_demoted_mid_run_is_refused_and_the_refusal_is_recorded(visitor, db_session):
    seats = visitor.choose_product(visitor.sign_in())
    db_session.execute(update(bm.Contact).where(bm.Contact.email == "billing@dupont.example").values(role="admin"))
    db_session.commit()
    r = visitor.add_to_cart(seats, 8)
    assert visitor.step(r) == "not-billing-contact"
    assert [row.detail for row in trail(db_session, "refusal")] == [{"code": "not_billing_contact"}]


def test_references_are_hc_and_six_easy_characters_and_unique(visitor, db_session):
    assert set(REFERENCE_ALPHABET).isdisjoint("01OI")
    codes = {new_reference() for _ in range(2000)}
    assert all(re.fullmatch(r"HC-[2-9A-HJ-NP-Z]{6}", code) for code in codes) and len(codes) > 1990
    assert not any(code[3:].isdigit() for code in codes)  # never mistaken for an order number (HC-000042)
    seats = visitor.choose_product(visitor.sign_in())
    run = db_session.scalars(select(WorkflowRun)).one()
    assert f"Reference: {run.reference}" in visitor.text(seats)


def test_signing_in_again_reuses_the_untouched_run(visitor, db_session, make_visitor):
    first = visitor.sign_in()
    again = make_visitor()
    second = again.sign_in()
    assert visitor.run(first) == again.run(second)
    assert len(db_session.scalars(select(WorkflowRun)).all()) == 1
    # A run with progress is never shared: another start gets its own.
    visitor.choose_product(first)
    third = make_visitor().sign_in()
    assert visitor.run(third) != visitor.run(first)
    # A run of another workflow is not reused either.
    payment = make_visitor().start_payment()
    assert visitor.run(payment) not in (visitor.run(first), visitor.run(third))


def test_open_runs_per_contact_are_capped(visitor, db_session):
    page = visitor.sign_in()
    for _ in range(MAX_OPEN_RUNS + 5):
        page = visitor.choose_product(visitor.get("/en/wizard/seats/product"))  # each POST without a run: a new run
        assert visitor.step(page) == "seats"
    db_session.expire_all()
    open_runs = db_session.scalars(select(WorkflowRun).where(WorkflowRun.finished_at.is_(None))).all()
    assert len(open_runs) == MAX_OPEN_RUNS
    assert visitor.run(page) in {run.id for run in open_runs}  # the newest is kept


@pytest.fixture
def card_limits(app_config):
    app_config.update({"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                       "RATELIMIT_NEW_CARD": "3 per minute", "RATELIMIT_NEW_CARD_ACCOUNT": "5 per minute"})
    return app_config


@pytest.mark.parametrize("lang, sentence", [
    ("en", "Too many new cards were tried on this account or from this connection"),
    ("fr", "Trop de nouvelles cartes ont été essayées sur ce compte ou depuis cette connexion"),
])
def test_new_card_attempts_are_limited_per_address_with_a_clear_message(card_limits, visitor, lang, sentence):
    from helpcenter.extensions import limiter
    limiter.reset()
    visitor.lang = lang
    visitor.client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    card = visitor.start_payment()
    bad = dict(visitor.GOOD_CARD, card_number="4000 0000 0000 0002")
    for _ in range(3):
        assert visitor.enter_card(card, bad).status_code == 422
    r = visitor.enter_card(card, bad)
    assert r.status_code == 429 and sentence in visitor.text(r)
    # Keeping the card on file is not a new card: not limited.
    kept = visitor.submit(card, button=r"keep|conserver", has=())
    assert visitor.step(kept) == "vat"


def test_new_card_attempts_are_limited_per_account_across_addresses(card_limits, make_visitor):
    from helpcenter.extensions import limiter
    limiter.reset()
    bad = {"card_number": "4000 0000 0000 0002", "exp_month": "11", "exp_year": "2031", "cvc": "123",
           "cardholder": "Claire Dupont"}
    statuses = []
    for n in range(3):
        visitor = make_visitor()
        visitor.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 10}"
        card = visitor.start_payment()
        for _ in range(2):
            statuses.append(visitor.enter_card(card, bad).status_code)
    assert statuses == [422] * 5 + [429]  # the 6th card of the account, from a third address


def test_the_start_url_takes_the_contact_back_to_the_unfinished_run(visitor):
    seats = visitor.add_to_cart(visitor.choose_product(visitor.sign_in()), 7)
    r = visitor.client.get("/en/wizard/seats/")
    assert r.status_code == 303 and r.location.endswith(f"/en/wizard/seats/seats?run={visitor.run(seats)}")
    # A shared link with suggestions does not take over a run that has progress.
    r = visitor.client.get("/en/wizard/seats/?product=gotoassist-rs5")
    assert r.location == "/en/wizard/seats/product?product=gotoassist-rs5"


def test_the_start_url_never_resumes_a_finished_run(visitor):
    done = visitor.place_order(visitor.to_confirm("dupont", 8))
    r = visitor.client.get("/en/wizard/seats/")
    assert r.status_code == 303 and r.location == "/en/wizard/seats/product"
    assert visitor.run(done) is not None


def test_a_contact_demoted_while_the_request_runs_is_sent_to_the_refusal(visitor, db_session, monkeypatch):
    """The engine let the contact in, then the billing call refuses (the role changed in between):
    the engine's refusal handler sends the contact to the refusal page and records it."""
    from sqlalchemy import func

    from helpcenter.billing import quotes
    seats = visitor.choose_product(visitor.sign_in())
    real = quotes.quote_seat_change

    def demoted_meanwhile(session, *args, **kwargs):
        session.execute(update(bm.Contact).where(bm.Contact.email == "billing@dupont.example").values(role="admin"))
        return real(session, *args, **kwargs)

    monkeypatch.setattr(quotes, "quote_seat_change", demoted_meanwhile)
    r = visitor.submit(seats, {"quantity": "8"}, button=r"add to cart|ajouter au panier", follow=False)
    assert r.status_code == 303 and r.location.endswith("/en/wizard/seats/not-billing-contact")
    assert [row.detail for row in trail(db_session, "refusal")] == [{"code": "not_billing_contact"}]
    assert db_session.scalar(select(func.count()).select_from(bm.Quote)) == 0


def test_a_run_changed_by_another_request_meanwhile_loses_the_optimistic_lock(app, visitor, db_session,
                                                                             monkeypatch):
    """Another tab saved the run between this request's read and its write: nothing of this
    request is kept (not even its quote) and the page says the workflow changed elsewhere."""
    from sqlalchemy import func

    from helpcenter.billing import quotes
    seats = visitor.choose_product(visitor.sign_in())
    real = quotes.quote_seat_change

    def other_tab_saves_first(session, *args, **kwargs):
        with app.extensions["db_sessionmaker"]() as other:
            run = other.scalars(select(WorkflowRun)).one()
            run.update(quantity=3)
            other.commit()
        return real(session, *args, **kwargs)

    monkeypatch.setattr(quotes, "quote_seat_change", other_tab_saves_first)
    r = visitor.submit(seats, {"quantity": "8"}, button=r"add to cart|ajouter au panier")
    assert "This workflow was changed in another tab or window" in visitor.text(r)
    assert db_session.scalar(select(func.count()).select_from(bm.Quote)) == 0
    db_session.expire_all()
    assert db_session.scalars(select(WorkflowRun)).one().get("quantity") == 3  # the other tab's change stands


def test_an_order_stands_when_another_request_changed_the_run_meanwhile(app, visitor, db_session, monkeypatch):
    """The run's optimistic lock loses after the order is placed: a savepoint keeps the order,
    the run is read again and the order recorded on it."""
    from helpcenter.billing import orders
    confirm = visitor.to_confirm("dupont", 8)
    real = orders.place_order

    def other_tab_saves_first(session, *args, **kwargs):
        with app.extensions["db_sessionmaker"]() as other:
            run = other.scalars(select(WorkflowRun)).one()
            run.update(card=None)
            other.commit()
        return real(session, *args, **kwargs)

    monkeypatch.setattr(orders, "place_order", other_tab_saves_first)
    done = visitor.place_order(confirm)
    assert visitor.step(done) == "done"
    order = db_session.scalars(select(bm.Order)).one()
    db_session.expire_all()
    run = db_session.scalars(select(WorkflowRun)).one()
    assert run.get("order_id") == order.id and run.finished_at is not None
    assert [row.detail for row in trail(db_session, "order")] == [{"order": order.id, "number": f"HC-{order.id:06d}"}]
