"""Who may see the agent pages (vendor staff only) and what an agent may not do (billing)."""
import pytest
from sqlalchemy import func, select

from helpcenter.billing import models
from helpcenter.staff import StaffMember
from tests.agent.conftest import AGENT, CUSTOMER, text

AGENT_PAGES = ["/{lang}/agent/", "/{lang}/agent/requests", "/{lang}/agent/insights",
               "/{lang}/agent/runs/HC-AAAAAA", "/{lang}/agent/insights/funnels.csv",
               "/{lang}/agent/static/agent.css"]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("url", AGENT_PAGES)
def test_anonymous_visitors_get_404(client, agent_demo, url, lang):
    assert client.get(url.format(lang=lang)).status_code == 404


@pytest.mark.parametrize("url", AGENT_PAGES)
def test_customers_get_404(client, auth, agent_demo, url):
    assert auth.sign_in(*CUSTOMER).status_code == 303
    assert client.get(url.format(lang="fr")).status_code == 404


def test_marking_answered_is_404_for_a_customer(client, auth, agent_demo, support_request, forms):
    req = support_request()
    auth.sign_in(*CUSTOMER)
    response = forms.post("/en/account/", {}, action=f"/en/agent/requests/{req.id}/answered")
    assert response.status_code == 404


def test_agent_signs_in_on_the_customers_page_and_lands_on_the_console(client, auth, agent_demo):
    response = auth.sign_in(*AGENT, lang="fr")
    assert response.status_code == 303
    assert response.headers["Location"] == "/fr/agent/"
    page = client.get("/fr/agent/")
    assert page.status_code == 200
    assert "Console de l’agent" in text(page)
    assert page.headers["Cache-Control"] == "no-store"


def test_agent_password_is_an_argon2_hash(db_session, agent_demo):
    member = db_session.scalar(select(StaffMember).where(StaffMember.email == AGENT[0]))
    assert member.password_hash.startswith("$argon2id$")
    assert member.time_zone == "Europe/Paris"


def test_wrong_agent_password_is_refused_and_counted_like_a_customers(client, auth, agent_demo, db_session):
    response = auth.sign_in(AGENT[0], "not-the-password")
    assert response.status_code == 400
    assert "agent" not in response.headers.get("Location", "")
    failures = db_session.scalar(select(func.count()).select_from(models.SignInFailure)
                                 .where(models.SignInFailure.email == AGENT[0]))
    assert failures == 1
    assert client.get("/en/agent/").status_code == 404


def test_agent_is_throttled_after_five_failures_even_with_the_right_password(client, auth, agent_demo):
    for _ in range(5):
        auth.sign_in(AGENT[0], "wrong")
    response = auth.sign_in(*AGENT)
    assert response.status_code == 400
    assert client.get("/en/agent/").status_code == 404


def test_a_successful_agent_sign_in_clears_earlier_failures(auth, agent_demo, db_session):
    auth.sign_in(AGENT[0], "wrong")
    assert auth.sign_in(*AGENT).status_code == 303
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(models.SignInFailure)) == 0


@pytest.mark.parametrize("url,status,target", [
    ("/en/account/", 302, "/en/sign-in?next=/en/account/"),
    ("/en/account/seats/1", 302, "/en/sign-in?next=/en/account/seats/1"),
    ("/en/wizard/seats/product", 303, "/en/wizard/seats/sign-in"),
    ("/en/wizard/seats/?product=gotoassist-rs5&quantity=8", 303, "/en/wizard/seats/sign-in?product=gotoassist-rs5&quantity=8"),
])
def test_an_agent_is_not_a_customer_on_billing_pages(as_agent, url, status, target):
    """An agent is a signed-out visitor to the billing centre: asked to sign in as a customer."""
    response = as_agent.get(url)
    assert response.status_code == status
    assert response.headers["Location"] == target


def test_an_agent_cannot_sign_in_through_the_workflow(as_agent, agent_demo):
    from tests.conftest import FormClient
    forms = FormClient(as_agent)
    response = forms.post("/en/wizard/seats/sign-in", {"email": AGENT[0], "password": AGENT[1]})
    assert response.status_code == 422
    assert "The email address or password is not right." in text(response)
    assert as_agent.get("/en/account/").status_code == 302


def test_signing_out_ends_the_agent_session(as_agent):
    from tests.conftest import FormClient
    FormClient(as_agent).post("/en/agent/", {}, action="/en/sign-out")
    assert as_agent.get("/en/agent/").status_code == 404


def test_a_customer_signing_in_after_an_agent_drops_the_agent_session(as_agent, auth):
    assert auth.sign_in(*CUSTOMER).status_code == 303
    assert as_agent.get("/en/agent/").status_code == 404


def test_an_idle_agent_session_ends(as_agent, app):
    with as_agent.session_transaction() as session:
        session["seen_at"] -= int(app.permanent_session_lifetime.total_seconds()) + 60
    assert as_agent.get("/en/agent/").status_code == 404


def test_seed_demo_creates_the_agent_once(runner, db_session):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    members = db_session.scalars(select(StaffMember)).all()
    assert [(m.email, m.time_zone) for m in members] == [("agent@vendor.example", "Europe/Paris")]


def test_the_agent_is_not_a_contact(db_session, agent_demo):
    assert db_session.scalar(select(models.Contact).where(models.Contact.email == AGENT[0])) is None
