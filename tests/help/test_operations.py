"""What the help pages write only flushes: the request commits it (issue 10's one transaction
rule). A search counted at the same moment by another request lands on that request's row."""
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpcenter import transaction
from helpcenter.help.models import ArticleFeedback, SearchMiss
from helpcenter.help.operations import explain_feedback, record_feedback, record_search_miss

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_feedback_and_its_explanation_wait_for_the_callers_commit(app, db_session):
    row = record_feedback(db_session, 1, "en", False, NOW)
    assert row.id is not None  # flushed: the link that asks what was missing carries it
    db_session.rollback()
    assert _count(db_session, ArticleFeedback) == 0
    row = record_feedback(db_session, 1, "en", False, NOW)
    transaction.commit(db_session)
    assert explain_feedback(db_session, row.id, 1, "unclear", "")
    db_session.rollback()
    assert db_session.scalars(select(ArticleFeedback.reason)).one() is None


def test_a_search_miss_waits_for_the_callers_commit(app, db_session):
    record_search_miss(db_session, "en", "Quantum  Kangaroo", NOW)
    record_search_miss(db_session, "en", "quantum kangaroo", NOW)
    db_session.rollback()
    assert _count(db_session, SearchMiss) == 0


def test_a_miss_counted_meanwhile_by_another_request_is_counted_on_its_row(app, db_session, monkeypatch):
    """The other request inserted the row between this one's UPDATE (no row yet) and its INSERT:
    the INSERT fails in a savepoint, the UPDATE is made again, and what the request did before stands."""
    db_session.add(SearchMiss(lang="en", query="kangaroo", count=1, first_seen=NOW, last_seen=NOW))
    transaction.commit(db_session)
    db_session.add(ArticleFeedback(article_id=1, lang="en", helpful=True, created_at=NOW))
    db_session.flush()  # the request's earlier work, in the same transaction

    real_execute, missed = Session.execute, []

    def execute(self, statement, *args, **kwargs):
        if not missed and statement.is_dml:  # the first UPDATE: as if the row were not there yet
            missed.append(statement)
            return type("NoRow", (), {"rowcount": 0})()
        return real_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", execute)
    record_search_miss(db_session, "en", "kangaroo", NOW)
    monkeypatch.undo()
    transaction.commit(db_session)
    assert missed
    assert db_session.scalars(select(SearchMiss.count)).one() == 2
    assert _count(db_session, ArticleFeedback) == 1


def test_a_miss_that_cannot_be_counted_leaves_nothing_and_the_page_shows(app, client, db_session, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from helpcenter.help import views

    def half_written(session, lang, query, now):
        session.add(SearchMiss(lang=lang, query=query, count=1, first_seen=now, last_seen=now))
        session.flush()
        raise OperationalError("UPDATE search_misses", {}, Exception("the database went away"))

    monkeypatch.setattr(views, "record_search_miss", half_written)
    response = client.get("/en/search?q=quantum+kangaroo")
    assert response.status_code == 200 and "No article matches your search" in response.get_data(as_text=True)
    assert _count(db_session, SearchMiss) == 0  # the 200 committed nothing of it
