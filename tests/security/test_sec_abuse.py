"""Abuse of what the app keeps and sends: `flask prune` deletes working data past its
retention (never a quote an order references), and the seat page tells the truth when an
email was held back by the limits."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from helpcenter import retention
from helpcenter.billing import models as m
from helpcenter.billing import service
from helpcenter.help.models import SearchMiss
from helpcenter.workflow.models import WorkflowEvent, WorkflowRun


def _count(db_session, model, *where):
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def history(signed_in, sec, db_session):
    """An order placed through the workflow (its quote, run and email), a few quotes it did
    not use, failed sign-ins, search misses; every time stamp is now."""
    client = signed_in("dupont")
    sec.press(client, sec.walk_to_confirm(client, quantity=8), r"place order|passer la commande")
    sec.walk_to_confirm(client, quantity=9)  # a second run, left open at the confirm step with its quote
    now = datetime.now(timezone.utc)
    db_session.execute(insert(m.SignInFailure), [{"email": "x@example.com", "at": now, "ip": "192.0.2.1"}])
    db_session.execute(insert(SearchMiss), [{"lang": "en", "query": "nothing", "count": 1, "first_seen": now,
                                             "last_seen": now}])
    db_session.commit()
    assert _count(db_session, m.Order) == 1 and _count(db_session, m.Quote) >= 2  # the order's and the open run's
    return now


def test_prune_keeps_what_is_recent(runner, history, db_session):
    before = {model: _count(db_session, model) for model in (WorkflowRun, WorkflowEvent, m.Quote, m.SignInFailure, SearchMiss)}
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert "quotes: deleted 0 row(s) older than 90 days" in result.output
    assert {model: _count(db_session, model) for model in before} == before


def test_prune_deletes_old_working_data_but_never_an_ordered_quote(runner, history, db_session, app_clock):
    ordered = db_session.scalar(select(m.Order.quote_id))
    db_session.execute(m.EmailMessage.__table__.update().values(sent_at=history))  # delivered now
    db_session.commit()
    ledger, audit = _count(db_session, m.LedgerEntry), _count(db_session, m.AuditEvent)
    app_clock.advance(timedelta(days=200))
    dry = runner.invoke(args=["prune", "--dry-run"])
    assert dry.exit_code == 0 and "workflow_runs: would delete 2 row(s)" in dry.output, dry.output
    assert _count(db_session, WorkflowRun) == 2  # a dry run deletes nothing
    events = _count(db_session, WorkflowEvent)
    assert events > 0 and f"workflow_events: would delete {events} row(s)" in dry.output, dry.output
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert _count(db_session, WorkflowRun) == 0 and _count(db_session, WorkflowEvent) == 0
    assert db_session.scalars(select(m.Quote.id)).all() == [ordered]
    assert _count(db_session, m.SignInFailure) == 0 and _count(db_session, SearchMiss) == 0
    assert _count(db_session, m.EmailMessage) == 0
    # The order, its ledger and the audit trail are never pruned.
    assert _count(db_session, m.Order) == 1
    assert (_count(db_session, m.LedgerEntry), _count(db_session, m.AuditEvent)) == (ledger, audit)


def test_an_unsent_email_is_kept_whatever_its_age(runner, history, db_session, app_clock):
    app_clock.advance(timedelta(days=400))
    assert runner.invoke(args=["prune"]).exit_code == 0
    assert _count(db_session, m.EmailMessage, m.EmailMessage.sent_at.is_(None)) == 1


def test_a_quote_a_kept_run_points_at_is_kept(runner, history, db_session, app_clock):
    """Runs and quotes age separately: a quote is deleted only once no kept run shows it."""
    open_run = db_session.scalar(select(WorkflowRun).where(WorkflowRun.finished_at.is_(None)))
    kept_quote = open_run.data["quote_id"]
    assert kept_quote is not None
    app_clock.advance(timedelta(days=91))
    db_session.execute(WorkflowRun.__table__.update().where(WorkflowRun.id == open_run.id)
                       .values(updated_at=app_clock.now()))
    db_session.commit()
    assert runner.invoke(args=["prune"]).exit_code == 0
    assert kept_quote in db_session.scalars(select(m.Quote.id)).all()


def test_the_registry_names_real_tables_and_says_when_one_is_gone(runner, demo, monkeypatch):
    retention.check_registry()
    moved = retention.Retention("wizard_run", "updated_at", timedelta(days=90), "runs")
    monkeypatch.setattr(retention, "RETENTION", (moved,) + retention.RETENTION[1:])
    result = runner.invoke(args=["prune"])
    assert result.exit_code != 0 and "wizard_run.updated_at" in result.output


# --- the seat page when the email limit is reached -------------------------------------

@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_seat_page_says_when_no_email_was_sent_because_of_the_limit(signed_in, db_session, sec, lang,
                                                                         translate):
    client = signed_in("dupont_admin", lang)
    ids = sec.account_ids(db_session)
    sub = ids["dupont"][2][0]
    user = db_session.scalar(select(m.AccountUser.id).where(m.AccountUser.email == "jules.moreau@dupont.example"))
    db_session.rollback()
    url = f"/{lang}/account/seats/{sub}"
    for attempt in range(service.SEAT_EMAILS_PER_USER + 1):
        token = sec.csrf_of(client.get(url).get_data(as_text=True))
        page = client.post(url, data={"csrf_token": token, "assign": str(user), "notify_present": "1",
                                      "notify": "1"}, follow_redirects=True).get_data(as_text=True)
        token = sec.csrf_of(page)
        client.post(url, data={"csrf_token": token, "unassign": str(user)})
    held_back = translate(lang, "No email was sent to them: too many emails about seats were sent recently. "
                                "Let them know yourself.")
    told = translate(lang, "An email lets them know.")
    import html
    text = html.unescape(page)
    assert held_back in text and told not in text
    assert _count(db_session, m.EmailMessage) == service.SEAT_EMAILS_PER_USER
