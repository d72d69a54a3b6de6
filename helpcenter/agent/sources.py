"""Every read (and the one write) of the tables the agent pages are built on, in one module.

The workflow events are the engine's (helpcenter.workflow.events documents their kinds and
details), the support requests the contact page's, the feedback and searches without
results the help centre's. The agent pages read them here only, so a change of their shape
touches this file alone.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import DateTime, Index, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session

from helpcenter.contact.models import SupportRequest
from helpcenter.help.models import ArticleFeedback, SearchMiss
from helpcenter.workflow.events import SECRET_FIELDS as ENGINE_SECRET_FIELDS
from helpcenter.workflow.models import WorkflowEvent

# Never shown to an agent, even if a stored event carried them (defence in depth: the engine
# already leaves their values out).
SECRET_FIELDS = frozenset({"card_number", "cvc", "exp_month", "exp_year", "password"}) | ENGINE_SECRET_FIELDS
# A long run of digits typed in any other field may still be a card number.
CARD_LIKE = re.compile(r"(?:\d[ -]?){12,18}\d")
HIDDEN = "•••"
PROBLEM_KINDS = ("refusal", "form_error")

# What the insights page needs of the engine's table (created by migration 0002_agent): the
# funnels read only the first index, the problems a (kind, at) range of the second.
Index("ix_workflow_events_funnel", WorkflowEvent.kind, WorkflowEvent.workflow, WorkflowEvent.step,
      WorkflowEvent.run_id, WorkflowEvent.at)
Index("ix_workflow_events_kind_at", WorkflowEvent.kind, WorkflowEvent.at)


# --- trails --------------------------------------------------------------------------------

def without_secrets(value):
    """The value with card-like digit runs hidden and, under a secret field's name, only the
    messages the customer was shown (never what they typed), at any depth."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if str(key) in SECRET_FIELDS:
                if isinstance(item, dict) and "messages" in item:
                    kept[key] = {"messages": without_secrets(item["messages"])}
                continue
            kept[key] = without_secrets(item)
        return kept
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
        return [int(e.detail["order"]) for e in self.events
                if e.kind == "order" and str(e.detail.get("order", "")).isdigit()]


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


def problem_counts(db: Session, start: datetime, end: datetime) -> list[tuple[str, str, str, str, int]]:
    """(workflow, step, kind, what, count), most frequent first: refusals by code, form errors by field."""
    in_period = (WorkflowEvent.at >= start, WorkflowEvent.at < end)
    count = func.count()
    code = func.coalesce(WorkflowEvent.detail["code"].as_string(), "")
    refusals = db.execute(select(WorkflowEvent.workflow, WorkflowEvent.step, code, count)
                          .where(WorkflowEvent.kind == "refusal", *in_period)
                          .group_by(WorkflowEvent.workflow, WorkflowEvent.step, code)).all()
    rows = [(w, s, "refusal", c, n) for w, s, c, n in refusals]
    rows += [(w, s, "form_error", f, n) for w, s, f, n in _form_error_fields(db, start, end)]
    return sorted(rows, key=lambda r: (-r[4], r[0], r[1], r[3]))


def _form_error_fields(db: Session, start: datetime, end: datetime):
    """(workflow, step, field, count): one row per field named in a form_error's detail."""
    params = {"start": start, "end": end}
    moments = (bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True)))
    if db.get_bind().dialect.name == "postgresql":
        sql = text("SELECT workflow, step, field, count(*) FROM (SELECT workflow, step,"
                   " json_object_keys(detail -> 'fields') AS field FROM workflow_events"
                   " WHERE kind = 'form_error' AND at >= :start AND at < :end"
                   " AND json_typeof(detail -> 'fields') = 'object') AS f GROUP BY workflow, step, field")
    else:
        sql = text("SELECT e.workflow, e.step, j.key, count(*) FROM workflow_events AS e,"
                   " json_each(e.detail, '$.fields') AS j"
                   " WHERE e.kind = 'form_error' AND e.at >= :start AND e.at < :end"
                   " GROUP BY e.workflow, e.step, j.key")
    return db.execute(sql.bindparams(*moments), params).all()


def search_miss_counts(db: Session, start: datetime, end: datetime, limit: int = 100) -> list[tuple[str, str, int]]:
    """(lang, query, count) of searches without results last seen in the period, most frequent first."""
    rows = db.execute(select(SearchMiss.lang, SearchMiss.query, SearchMiss.count)
                      .where(SearchMiss.last_seen >= start, SearchMiss.first_seen < end)
                      .order_by(SearchMiss.count.desc(), SearchMiss.query).limit(limit)).all()
    return [tuple(r) for r in rows]


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
    """(article id, lang, reason, comment, count) given after a "No", most frequent first."""
    count = func.count()
    rows = db.execute(select(ArticleFeedback.article_id, ArticleFeedback.lang, ArticleFeedback.reason,
                             ArticleFeedback.comment, count)
                      .where(ArticleFeedback.created_at >= start, ArticleFeedback.created_at < end,
                             ArticleFeedback.helpful.is_(False), ArticleFeedback.reason.is_not(None))
                      .group_by(ArticleFeedback.article_id, ArticleFeedback.lang, ArticleFeedback.reason,
                                ArticleFeedback.comment)
                      .order_by(count.desc(), ArticleFeedback.article_id)).all()
    return [tuple(r) for r in rows]
