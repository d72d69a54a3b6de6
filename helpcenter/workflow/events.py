"""The trail of a run, for support agents: one row in `workflow_events` per event.

`record()` is the only writer; the engine calls it, and workflows call it through their
step context for the kinds only they know (quotes and orders). The kinds:

- ``step_shown``: a step's page was shown; detail ``{}``, or ``{"status": N}`` when not 200.
- ``form_error``: a form came back with errors; detail ``{"fields": {name: {"messages": [...],
  "value": typed}}}``. The value of a secret field (card number, CVC, expiry, password) is
  never stored: only its messages.
- ``refusal``: the contact may not use this workflow; detail ``{"code": "corporate_account" |
  "not_billing_contact" | another refusal code}``.
- ``quote``: a quote was made or shown anew; detail ``{"quote": id, "figures": {...}}``.
- ``order``: an order was placed; detail ``{"order": id, "number": "HC-000042"}``.
- ``finished``: the workflow's final action succeeded; detail as the workflow says.
"""
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from helpcenter.workflow.models import WorkflowEvent, WorkflowRun

KINDS = ("step_shown", "form_error", "refusal", "quote", "order", "finished")
# What a customer types in these is never written to the trail.
SECRET_FIELDS = frozenset({"card_number", "cvc", "exp_month", "exp_year", "password"})
VALUE_MAX = 200


def form_error_detail(fields) -> dict:
    """The detail of a form_error event from (name, messages, value typed) triples."""
    detail = {}
    for name, messages, value in fields:
        entry = {"messages": [str(m) for m in messages]}
        if name not in SECRET_FIELDS and value is not None:
            entry["value"] = str(value)[:VALUE_MAX]
        detail[name] = entry
    return {"fields": detail}


def record(session: Session, run: WorkflowRun, kind: str, step: str, detail: dict | None = None,
           now: datetime | None = None) -> WorkflowEvent:
    """Add one event of the run to the session (the caller commits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown workflow event kind {kind!r}")
    detail = dict(detail or {})
    if "fields" in detail:
        # A second guard: a caller passing a secret value directly still gets it dropped.
        detail["fields"] = {name: {k: v for k, v in entry.items() if not (name in SECRET_FIELDS and k == "value")}
                            for name, entry in detail["fields"].items()}
    event = WorkflowEvent(run_id=run.id, reference=run.reference, workflow=run.workflow,
                          contact_id=run.contact_id, kind=kind, step=step, detail=detail,
                          at=now or datetime.now(timezone.utc))
    session.add(event)
    return event


def trail(session: Session, reference: str) -> list[WorkflowEvent]:
    """Every event of the run with this reference, oldest first."""
    from sqlalchemy import select
    return list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.reference == reference)
                                .order_by(WorkflowEvent.id)))
