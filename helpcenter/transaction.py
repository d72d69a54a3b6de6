"""The caller's transaction: operations only flush; the request (helpcenter/db.py) or the CLI
command commits (with commit() here) or rolls back. Work that must wait for the commit, such as
sending an email from the outbox, is registered with after_commit().

Nothing else commits or rolls back the application database. The few places that must do it
inside a request say why, through commit_now() or rollback(); work that may fail half-way while
the rest of the request's work stands goes in a savepoint()."""
import logging
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING = "helpcenter.after_commit"  # waiting for the transaction that queued them
_COMMITTED = "helpcenter.committed"  # their transaction committed (e.g. by the engine): run them next
_MARKS = "helpcenter.savepoint_marks"  # per open savepoint: how many actions were pending at its start


def after_commit(session: Session, action, description: str) -> None:
    """Run `action(session)` once the caller commits this transaction; never if it rolls back."""
    session.info.setdefault(_PENDING, []).append((action, description))


def commit(session: Session) -> None:
    """Commit, then run what waited for the commit, each in its own transaction.

    What was committed stands: a failing action is rolled back and logged (an email that
    cannot be sent stays in the outbox for the retry command)."""
    session.commit()
    pending = session.info.pop(_COMMITTED, [])
    for action, description in pending:
        try:
            action(session)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("committed; then %s failed", description)


def commit_now(session: Session, reason: str) -> None:
    """Commit before the caller would: only where something must be durable at once (the
    workflow engine's run, an outbox claim). `reason` says why; it is logged at debug level.
    What waited for the commit runs, as after commit()."""
    log.debug("commit before the caller's: %s", reason)
    commit(session)


def rollback(session: Session, reason: str) -> None:
    """Undo the whole transaction so far, and forget what waited for its commit: for a request
    that gives up after something was flushed yet answers with a page (a 4xx or a redirect),
    which the request would otherwise commit. `reason` says why; it is logged at debug level."""
    log.debug("rollback: %s", reason)
    session.rollback()


@contextmanager
def savepoint(session: Session):
    """Work that may fail half-way: on an exception, what it flushed is undone (SAVEPOINT) along
    with what it registered with after_commit(); the caller's earlier work stands, and the
    exception goes on. On success its work joins the caller's transaction (committed with it)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        # pysqlite begins a transaction only before a write: a SAVEPOINT outside one would
        # start its own, and releasing it would commit at once. Begin the caller's first.
        connection.exec_driver_sql("BEGIN")
    with session.begin_nested():
        yield


@event.listens_for(Session, "after_transaction_create")
def _savepoint_started(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[transaction] = len(session.info.get(_PENDING, []))


@event.listens_for(Session, "after_transaction_end")
def _savepoint_ended(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.get(_MARKS, {}).pop(transaction, None)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """Whoever committed (this module or a plain session.commit()), the actions may now run.
    A released savepoint commits nothing yet: its actions wait for the outer transaction."""
    if session.in_nested_transaction():
        return
    if _PENDING in session.info:
        session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_PENDING))


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    """A rolled-back transaction has nothing to follow up (what committed before still runs);
    a savepoint rolled back forgets only what was registered inside it."""
    if session.in_nested_transaction():
        mark = session.info.get(_MARKS, {}).get(session.get_nested_transaction())
        if mark is not None and _PENDING in session.info:
            del session.info[_PENDING][mark:]
        return
    session.info.pop(_PENDING, None)
