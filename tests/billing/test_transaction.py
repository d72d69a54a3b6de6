"""The caller's transaction: operations flush, the caller commits; what waits for the commit
(sending an email) runs after it, never after a rollback."""
import pytest
from sqlalchemy import func, select

from helpcenter import transaction
from helpcenter.billing import models as m
from helpcenter.billing import orders, quotes
from helpcenter.billing.outbox import MailSettings

URL = "https://help.example/fr/account/seats/1"


def _order(session, clock, ids, mail_settings):
    q = quotes.quote_seat_change(session, clock, contact_id=ids.dupont, subscription_id=ids.dupont_sub,
                                 new_seats=8)
    return orders.place_order(session, clock, contact_id=ids.dupont, quote_id=q.id, locale="fr",
                              assign_seats_url=URL, mail_settings=mail_settings)


def test_an_operation_commits_nothing_itself(ids, db_session, clock, new_session):
    _order(db_session, clock, ids, None)
    with new_session() as other:
        assert other.scalar(select(func.count()).select_from(m.Order)) == 0
    transaction.commit(db_session)
    with new_session() as other:
        assert other.scalar(select(func.count()).select_from(m.Order)) == 1


def test_the_email_is_sent_after_the_commit_and_never_after_a_rollback(ids, db_session, clock, smtp_server):
    settings = MailSettings(server=smtp_server.hostname, port=smtp_server.port)
    _order(db_session, clock, ids, settings)
    assert smtp_server.received == []  # queued, not sent: the transaction is still open
    db_session.rollback()
    transaction.commit(db_session)
    assert smtp_server.received == []  # nothing was committed, nothing is sent
    order = _order(db_session, clock, ids, settings)
    db_session.commit()  # a plain commit (the engine's) counts too
    transaction.commit(db_session)
    assert len(smtp_server.received) == 1 and order.number in smtp_server.received[0].as_string()
    assert db_session.scalars(select(m.EmailMessage.sent_at)).one() is not None


# --- savepoints: work that may fail half-way inside the caller's transaction ---------------

def _pending_miss(query):
    from datetime import datetime, timezone

    from helpcenter.help.models import SearchMiss
    now = datetime.now(timezone.utc)
    return SearchMiss(lang="en", query=query, count=1, first_seen=now, last_seen=now)


def _miss(session, query):
    session.add(_pending_miss(query))
    session.flush()


def _misses(session):
    from helpcenter.help.models import SearchMiss
    return set(session.scalars(select(SearchMiss.query)))


class Boom(Exception):
    pass


def test_a_failed_savepoint_undoes_its_own_work_and_actions_only(app, db_session, new_session):
    ran = []
    _miss(db_session, "kept")
    transaction.after_commit(db_session, lambda s: ran.append("before"), "before the savepoint")
    try:
        with transaction.savepoint(db_session):
            _miss(db_session, "undone")
            transaction.after_commit(db_session, lambda s: ran.append("inside"), "inside the savepoint")
            raise Boom
    except Boom:
        pass
    transaction.commit(db_session)
    with new_session() as other:
        assert _misses(other) == {"kept"}
    assert ran == ["before"]


def test_a_plain_savepoint_rolled_back_keeps_what_waited_before_it(app, db_session):
    """The engine's own begin_nested() (an order recorded on a run that changed meanwhile): the
    order's email, registered before the savepoint, is still sent after the commit."""
    ran = []
    _miss(db_session, "order")
    transaction.after_commit(db_session, lambda s: ran.append("email"), "the order's email")
    try:
        with db_session.begin_nested():
            _miss(db_session, "run")
            raise Boom
    except Boom:
        pass
    transaction.commit(db_session)
    assert ran == ["email"]


def test_a_released_savepoint_waits_for_the_outer_commit(app, db_session):
    ran = []
    _miss(db_session, "first")
    with transaction.savepoint(db_session):
        transaction.after_commit(db_session, lambda s: ran.append("inside"), "inside the savepoint")
    assert ran == []
    db_session.rollback()  # the outer transaction fails: nothing of it follows up
    _miss(db_session, "next")
    transaction.commit(db_session)
    assert ran == [] and _misses(db_session) == {"next"}


def test_a_savepoint_opening_the_transaction_is_undone_by_its_rollback(app, db_session, new_session):
    """On SQLite a SAVEPOINT outside a transaction would start one of its own, committed on release."""
    db_session.execute(select(1))  # a read: pysqlite has not begun a transaction yet
    with transaction.savepoint(db_session):
        _miss(db_session, "inside")
    with new_session() as other:
        assert _misses(other) == set()  # released, not committed
    db_session.rollback()
    with new_session() as other:
        assert _misses(other) == set()


def test_rollback_forgets_what_waited_for_the_commit(app, db_session, new_session):
    ran = []
    _miss(db_session, "gone")
    transaction.after_commit(db_session, lambda s: ran.append("email"), "an email")
    transaction.rollback(db_session, "the test gives up")
    transaction.commit_now(db_session, "the test commits what is left")
    with new_session() as other:
        assert _misses(other) == set()
    assert ran == []


# --- one rule: nothing else commits or rolls back the application database ------------------

# The request's hook, the module that says how, and the CLI commands (callers themselves); the
# help search index and render cache commit their own SQLite files, not the application database.
MAY_END_TRANSACTIONS = {"helpcenter/db.py", "helpcenter/transaction.py", "helpcenter/cli.py",
                        "helpcenter/help/search.py", "helpcenter/help/cache.py"}


def test_no_commit_or_rollback_outside_the_request_the_cli_and_transaction_py():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found, scanned = [], set()
    for path in sorted((root / "helpcenter").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        scanned.add(name)
        if name in MAY_END_TRANSACTIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback", "begin_nested") and not node.args):
                found.append(f"{name}:{node.lineno} .{node.func.attr}()")
    # The rule's own files are where it says (a move would otherwise make this test pass on nothing).
    assert MAY_END_TRANSACTIONS <= scanned and "helpcenter/workflow/views.py" in scanned
    assert found == [], "use transaction.commit_now/rollback/savepoint with a reason:\n" + "\n".join(found)


# --- the suite's own check that a refusal writes nothing (tests/conftest.py) ----------------

def test_the_suites_refusal_check_catches_a_refusal_that_wrote(app, db_session):
    from helpcenter.billing.errors import NotAllowed, QuoteStale
    from tests.conftest import _checked_operation

    def refuses_after_writing(session, query):
        _miss(session, query)
        raise NotAllowed("not_billing_contact")

    def refuses_after_flushing_the_callers_work(session):
        raise QuoteStale()

    with pytest.raises(AssertionError, match=r"refused \(NotAllowed\) after writing \['search_misses'\]"):
        _checked_operation(refuses_after_writing, commit=False)(db_session, "written then refused")
    transaction.rollback(db_session, "the test's planted write")
    # The caller's own pending work is not the operation's: it is flushed before, and passes.
    db_session.add(_pending_miss("the caller's"))
    with pytest.raises(QuoteStale):
        _checked_operation(refuses_after_flushing_the_callers_work, commit=False)(db_session)
