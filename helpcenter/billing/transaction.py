"""The caller's transaction: billing operations only flush; the request or the CLI command
commits (with commit() here) or rolls back. Work that must wait for the commit, such as
sending an email from the outbox, is registered with after_commit()."""
import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING = "helpcenter.after_commit"  # waiting for the transaction that queued them
_COMMITTED = "helpcenter.committed"  # their transaction committed (e.g. by the engine): run them next


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


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """Whoever committed (this module or a plain session.commit()), the actions may now run."""
    if _PENDING in session.info:
        session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_PENDING))


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    """A rolled-back transaction has nothing to follow up (what committed before still runs)."""
    session.info.pop(_PENDING, None)
