"""What an agent does only flushes: the request commits it, or rolls it back on a server error,
so that nothing is half-written (issue 10's one transaction rule)."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from helpcenter.agent import operations
from helpcenter.billing import models
from helpcenter.contact.models import SupportRequest
from helpcenter.staff import StaffMember, authenticate_staff
from tests.agent.conftest import AGENT
from tests.conftest import FormClient

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)


def _audits(session) -> int:
    return session.scalar(select(func.count()).select_from(models.AuditEvent)
                          .where(models.AuditEvent.action.like("agent_%")))


def test_agent_operations_commit_nothing_themselves(agent_demo, db_session, support_request, record, dupont):
    member = db_session.scalar(select(StaffMember))
    req = support_request(account_id=dupont.account_id, contact_id=dupont.id)
    record("HC-7K2Q9D", "step_shown", contact_id=dupont.id)
    assert operations.mark_answered(db_session, member, req.id, ip="192.0.2.1", now=NOW).answered_at is not None
    assert operations.view_trail(db_session, member, "HC-7K2Q9D", ip="192.0.2.1", now=NOW) is not None
    db_session.rollback()
    assert db_session.get(SupportRequest, req.id).answered_at is None
    assert _audits(db_session) == 0


def test_a_staff_sign_in_commits_nothing_itself(agent_demo, db_session):
    db_session.add(models.SignInFailure(email=AGENT[0], at=NOW, ip=None))
    db_session.commit()
    assert authenticate_staff(db_session, *AGENT, agent_demo.extensions["passwords"]) is not None
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(models.SignInFailure)) == 1


def test_marking_answered_that_fails_half_way_leaves_nothing(as_agent, app, db_session, support_request, dupont,
                                                             monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as in production
    req = support_request(account_id=dupont.account_id, contact_id=dupont.id)

    def failing_audit(*args):
        raise RuntimeError("the audit trail could not be written")

    monkeypatch.setattr(operations, "_audit", failing_audit)  # after the request was marked answered
    response = FormClient(as_agent).post("/en/agent/requests", {}, action=f"/en/agent/requests/{req.id}/answered")
    assert response.status_code == 500
    db_session.expire_all()
    assert db_session.get(SupportRequest, req.id).answered_at is None
    monkeypatch.undo()
    response = FormClient(as_agent).post("/en/agent/requests", {}, action=f"/en/agent/requests/{req.id}/answered")
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(SupportRequest, req.id).answered_at is not None and _audits(db_session) == 1
