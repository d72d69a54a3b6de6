"""The engine's tables: one row per run of a workflow, and the trail of what its pages showed.

A run is carried in the URL (?run=<id>), so two tabs that started separately never share
state by accident. `revision` is SQLAlchemy's version counter: every change bumps it, forms
echo it back, and a submit from an outdated page is refused instead of silently overwriting
what another tab did. `data` holds the workflow's own values (the engine never reads them).
"""
import secrets
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpcenter.db import Base

# Easy to read aloud and to type: no 0/O, no 1/I.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


def _now() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id() -> str:
    """An unguessable id: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def new_reference() -> str:
    """A reference a customer reads to an agent, like HC-7K2Q9D.

    Always with a letter: an order number is HC- and six digits, and the two must not be confused.
    """
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if not code.isdigit():
            return "HC-" + code


class WorkflowRun(Base):
    __tablename__ = "workflow_runs"
    __table_args__ = (Index("ix_workflow_runs_contact_workflow", "contact_id", "workflow", "finished_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_run_id)
    workflow: Mapped[str] = mapped_column(String(40))
    # A removed contact takes their runs along (their events stay, by reference).
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_reference)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)
    # Set when the workflow's final action succeeded: the run is no longer reused.
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": revision}

    def get(self, key: str, default=None):
        """One of the workflow's values."""
        return (self.data or {}).get(key, default)

    def update(self, **values) -> None:
        """Change some of the workflow's values (a new dict, so the change is seen and versioned)."""
        self.data = {**(self.data or {}), **values}


class WorkflowEvent(Base):
    """One thing a customer met in a run (see helpcenter.workflow.events for the kinds)."""

    __tablename__ = "workflow_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the trail outlives a pruned run and is found by its reference.
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(16), index=True)
    workflow: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
