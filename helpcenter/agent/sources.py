"""Every read (and the one write) of the tables the agent pages are built on, in one module.

The workflow events and support requests belong to other parts of the product (the workflow
engine records what a customer saw, the contact page stores "Still need help?" requests).
Until those land, this module declares PROVISIONAL models of their tables, from their agreed
schemas; at merge the integrator replaces the two classes below by imports of the engine's and
the contact page's models, and nothing outside this file changes.

Assumed shape of `workflow_events.detail` (JSON), by kind:
  step_shown  {}                               form_error {"fields": [...], "messages": {field: msg}, "values": {field: typed}}
  refusal     {"reason": code}                 quote      {"quote_id": ..., "figures": {name: "12.34", ...}, "currency": "EUR"}
  order       {"order_id": n}                  finished   {}
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, case, cast, func, null, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from helpcenter.db import Base
from helpcenter.help.models import ArticleFeedback, SearchMiss

# Never shown to an agent, even when a form error carried them (defence in depth: the engine
# already leaves them out).
SECRET_FIELDS = frozenset({"card_number", "cvc", "exp_month", "exp_year", "password"})
# A long run of digits typed in any other field may still be a card number.
CARD_LIKE = re.compile(r"(?:\d[ -]?){12,18}\d")
HIDDEN = "•••"

# The steps of each workflow in the order a customer meets them (the engine's registry at merge).
WORKFLOW_STEPS = {
    "seats": ("sign-in", "product", "seats", "review", "payment", "confirm", "done"),
    "payment": ("sign-in", "card", "vat", "confirm", "done"),
}
PROBLEM_KINDS = ("refusal", "form_error")


# --- provisional models: replaced by the engine's/contact's models at merge ------------------

class WorkflowEvent(Base):
    """PROVISIONAL (replaced by the workflow engine's model at merge): one thing a customer saw."""

    __tablename__ = "workflow_events"
    # What the insights page needs of the real table too: funnels read only this covering index,
    # problems a (kind, at) range.
    __table_args__ = (Index("ix_workflow_events_funnel", "kind", "workflow", "step", "run_id", "at"),
                      Index("ix_workflow_events_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(16), index=True)
    workflow: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupportRequest(Base):
    """PROVISIONAL (replaced by the contact page's model at merge): a "Still need help?" request."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(16))
    page: Mapped[str | None] = mapped_column(String(2000))
    lang: Mapped[str] = mapped_column(String(5))
    account_id: Mapped[int | None] = mapped_column(Integer)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- trails --------------------------------------------------------------------------------

def without_secrets(value):
    """The value with every secret field dropped and card-like digit runs hidden, at any depth."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if str(k) not in SECRET_FIELDS}
    if isinstance(value, (list, tuple)):
        return [without_secrets(v) for v in value]
    if isinstance(value, str):
        return CARD_LIKE.sub(HIDDEN, value)
    return value


@dataclass(frozen=True)
class TrailEvent:
    kind: str
    step: str | None
    at: datetime
    detail: dict


@dataclass
class Trail:
    reference: str
    workflow: str
    contact_id: int | None
    events: list[TrailEvent] = field(default_factory=list)

    @property
    def order_ids(self) -> list[int]:
        return [int(e.detail["order_id"]) for e in self.events
                if e.kind == "order" and str(e.detail.get("order_id", "")).isdigit()]


def find_trail(db: Session, reference: str) -> Trail | None:
    """Everything recorded under a run's reference, oldest first; None when there is no such run."""
    rows = db.scalars(select(WorkflowEvent).where(WorkflowEvent.reference == reference)
                      .order_by(WorkflowEvent.at, WorkflowEvent.id)).all()
    if not rows:
        return None
    contact_id = next((r.contact_id for r in reversed(rows) if r.contact_id is not None), None)
    trail = Trail(reference=reference, workflow=rows[0].workflow, contact_id=contact_id)
    trail.events = [TrailEvent(kind=r.kind, step=r.step, at=r.at, detail=without_secrets(dict(r.detail or {})))
                    for r in rows]
    return trail


def existing_references(db: Session, references) -> set[str]:
    """Which of these references have a trail (one query for a page of requests)."""
    wanted = {r for r in references if r}
    if not wanted:
        return set()
    return set(db.scalars(select(WorkflowEvent.reference).where(WorkflowEvent.reference.in_(wanted)).distinct()))


# --- support requests ----------------------------------------------------------------------

def list_requests(db: Session, page: int, per_page: int) -> tuple[list[SupportRequest], int]:
    """One page of support requests, newest first, and how many there are in all."""
    total = db.scalar(select(func.count()).select_from(SupportRequest)) or 0
    rows = db.scalars(select(SupportRequest).order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
                      .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def mark_request_answered(db: Session, request_id: int, now: datetime) -> SupportRequest | None:
    """Record that a request was answered (the first time only); None when there is no such request."""
    req = db.get(SupportRequest, request_id)
    if req is None:
        return None
    db.execute(update(SupportRequest).where(SupportRequest.id == request_id, SupportRequest.answered_at.is_(None))
               .values(answered_at=now))
    db.refresh(req)
    return req


# --- insights: every aggregate is one GROUP BY over the chosen period ------------------------

def funnel_counts(db: Session, start: datetime, end: datetime) -> list[tuple[str, str | None, str, int]]:
    """(workflow, None, "started", runs), (workflow, step, "step_shown", runs), (workflow, None, "finished", runs).

    A run has started when it was shown a step. Each count is one GROUP BY on the covering index
    ix_workflow_events_funnel (kind first, then the grouped columns): no table row is read.
    """
    runs = func.count(WorkflowEvent.run_id.distinct())
    in_period = (WorkflowEvent.at >= start, WorkflowEvent.at < end)
    shown = WorkflowEvent.kind == "step_shown"
    started = db.execute(select(WorkflowEvent.workflow, runs).where(shown, *in_period)
                         .group_by(WorkflowEvent.workflow)).all()
    steps = db.execute(select(WorkflowEvent.workflow, WorkflowEvent.step, runs).where(shown, *in_period)
                       .group_by(WorkflowEvent.workflow, WorkflowEvent.step)).all()
    finished = db.execute(select(WorkflowEvent.workflow, runs).where(WorkflowEvent.kind == "finished", *in_period)
                          .group_by(WorkflowEvent.workflow)).all()
    return ([(w, None, "started", n) for w, n in started] + [(w, s, "step_shown", n) for w, s, n in steps]
            + [(w, None, "finished", n) for w, n in finished])


def problem_counts(db: Session, start: datetime, end: datetime) -> list[tuple[str, str | None, str, str, int]]:
    """(workflow, step, kind, what, count) of refusals (what: the reason) and form errors (what: the
    fields), most frequent first."""
    what = func.coalesce(WorkflowEvent.detail["reason"].as_string(), WorkflowEvent.detail["fields"].as_string(), "")
    count = func.count()
    rows = db.execute(select(WorkflowEvent.workflow, WorkflowEvent.step, WorkflowEvent.kind, what, count)
                      .where(WorkflowEvent.at >= start, WorkflowEvent.at < end, WorkflowEvent.kind.in_(PROBLEM_KINDS))
                      .group_by(WorkflowEvent.workflow, WorkflowEvent.step, WorkflowEvent.kind, what)
                      .order_by(count.desc(), WorkflowEvent.workflow, WorkflowEvent.step)).all()
    return [tuple(r) for r in rows]


def search_miss_counts(db: Session, start: datetime, end: datetime, limit: int = 100) -> list[tuple[str, str, int]]:
    """(lang, query, count) of searches without results last seen in the period, most frequent first."""
    rows = db.execute(select(SearchMiss.lang, SearchMiss.query, SearchMiss.count)
                      .where(SearchMiss.last_seen >= start, SearchMiss.first_seen < end)
                      .order_by(SearchMiss.count.desc(), SearchMiss.query).limit(limit)).all()
    return [tuple(r) for r in rows]


def _feedback_reason_columns():
    """The reason code and free text columns of article feedback, once the feedback form asks for them."""
    code = getattr(ArticleFeedback, "reason", None) or getattr(ArticleFeedback, "reason_code", None)
    text = getattr(ArticleFeedback, "comment", None) or getattr(ArticleFeedback, "reason_text", None)
    return code, text


def feedback_counts(db: Session, start: datetime, end: datetime) -> list[tuple[int, str, int, int]]:
    """(article id, lang, helpful answers, unhelpful answers) in the period, most unhelpful first."""
    yes = func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0))
    total = func.count()
    rows = db.execute(select(ArticleFeedback.article_id, ArticleFeedback.lang, yes, total)
                      .where(ArticleFeedback.created_at >= start, ArticleFeedback.created_at < end)
                      .group_by(ArticleFeedback.article_id, ArticleFeedback.lang)
                      .order_by((total - yes).desc(), ArticleFeedback.article_id)).all()
    return [(a, lang, int(y or 0), int(t - (y or 0))) for a, lang, y, t in rows]


def feedback_reasons(db: Session, start: datetime, end: datetime) -> list[tuple[int, str, str, str | None, int]]:
    """(article id, lang, reason code, free text, count) given after a "No"; empty until reasons exist."""
    code, text = _feedback_reason_columns()
    if code is None:
        return []
    text_column = text if text is not None else cast(null(), String)
    count = func.count()
    rows = db.execute(select(ArticleFeedback.article_id, ArticleFeedback.lang, code, text_column, count)
                      .where(ArticleFeedback.created_at >= start, ArticleFeedback.created_at < end,
                             ArticleFeedback.helpful.is_(False), code.is_not(None))
                      .group_by(ArticleFeedback.article_id, ArticleFeedback.lang, code, text_column)
                      .order_by(count.desc())).all()
    return [tuple(r) for r in rows]
