"""Cross-account access: every URL that names something of an account (a subscription, a
workflow run and through it a quote and an order), tried by another account's contacts:
404 (signed-in) or the sign-in page (signed-out), and nothing changes."""
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

ATTACKERS = ("northwind", "globex", "dupont_admin")


@pytest.fixture
def victim(app, demo, sec, db_session):
    """Dupont's billing contact with a workflow run at the confirm step (a stored quote), and
    the ids an attacker could aim at: subscription, users, run, quote, and a placed order's run."""
    client = app.test_client()
    sec.sign_in(client, "dupont")
    ids = sec.account_ids(db_session)
    subscription_id = ids["dupont"][2][0]
    seats_page = client.get(f"/en/account/seats/{subscription_id}").get_data(as_text=True)
    user_ids = sorted(set(re.findall(r'name="(?:assign|unassign)"[^>]*value="(\d+)"', seats_page)
                          + re.findall(r'value="(\d+)"[^>]*name="(?:assign|unassign)"', seats_page)))
    assert user_ids, "no assign/unassign buttons on the seats page"
    # A finished order (its run shows it on the done step), then an open run at confirm.
    done = sec.press(client, sec.walk_to_confirm(client, quantity=8), r"place order|passer la commande")
    assert sec.step_of(done) == "done", done.request.path
    ordered_run = sec.run_of(done)
    confirm = sec.walk_to_confirm(client, quantity=9)
    open_run = sec.run_of(confirm)
    quote_id = dict(sec.page_forms(confirm)[-1][1]).get("quote") or next(
        f["quote"] for _a, f, _b in sec.page_forms(confirm) if "quote" in f)
    return {"client": client, "subscription": subscription_id, "users": user_ids,
            "runs": [open_run, ordered_run], "quote": quote_id}


def _wizard_runs(engine):
    from helpcenter.workflow.models import WorkflowRun
    with engine.connect() as conn:
        return sorted(repr(tuple(r)) for r in conn.execute(select(WorkflowRun.__table__)).all())


def _id_urls(app, victim):
    """(url, methods) for every route that carries an account's id: the URL map is read, so a
    route added later with an id converter is covered too."""
    urls = []
    for rule in app.url_map.iter_rules():
        converters = set(rule.arguments) - {"lang", "filename"}  # static files are public
        if rule.endpoint.startswith(("help.", "help_public.")) or rule.endpoint == "static":
            continue  # articles are public: their ids belong to no account
        methods = sorted(m for m in rule.methods if m in ("GET", "POST"))
        if rule.endpoint.startswith("agent."):
            # Vendor staff's pages (a customer's trail by reference, a request by id): 404 to anyone else.
            for lang in ("en", "fr"):
                path = (rule.rule.replace("<lang>", lang).replace("<reference>", "HC-7K2Q9D")
                        .replace("<int:request_id>", "1").replace("<table>", "funnels")
                        .replace("<path:filename>", "agent.css"))
                urls.append((rule.endpoint, path, methods))
        elif rule.endpoint.startswith(("wizard.", "payment_wizard.")) and "lang" in rule.arguments:
            for run in victim["runs"]:
                for lang in ("en", "fr"):
                    urls.append((rule.endpoint, f"{rule.rule.replace('<lang>', lang)}?run={run}", methods))
        elif converters:
            assert converters <= {"subscription_id"}, f"{rule.rule}: a new id in a URL, add it to this test"
            for lang in ("en", "fr"):
                path = rule.rule.replace("<lang>", lang).replace("<int:subscription_id>", str(victim["subscription"]))
                urls.append((rule.endpoint, path, methods))
    assert any(e == "account.seats" for e, _u, _m in urls) and any(e == "wizard.confirm" for e, _u, _m in urls)
    assert any(e == "payment_wizard.confirm" for e, _u, _m in urls)
    return urls


def _forms_aimed_at(victim):
    """Every form an attacker could post with the victim's ids in its fields."""
    user = victim["users"][0]
    return [
        {"assign": user}, {"unassign": user}, {"add_user": "1", "name": "Mallory", "email": "mallory@example.com"},
        {"subscription": victim["subscription"]}, {"quantity": "9", "action": "checkout"},
        {"quote": victim["quote"], "revision": "1"}, {"quote": victim["quote"], "revision": "2"},
        {"payment_method": "new", "card_number": "4242424242424242", "exp_month": "12", "exp_year": "2031",
         "cvc": "123", "cardholder": "Mallory", "vat_number": "FR40303265045"},
    ]


@pytest.mark.parametrize("attacker", ATTACKERS + ("anonymous",))
def test_another_accounts_ids_are_404_and_nothing_changes(app, sec, victim, billing_snapshot, attacker):
    engine = app.extensions["db_engine"]
    before, runs_before = billing_snapshot(), _wizard_runs(engine)
    client = app.test_client()
    if attacker != "anonymous":
        sec.sign_in(client, attacker)
        token = sec.csrf_of(client.get("/en/account/").get_data(as_text=True))
    else:
        token = sec.csrf_of(client.get("/en/sign-in").get_data(as_text=True))
    tried = 0
    for endpoint, url, methods in _id_urls(app, victim):
        if attacker == "dupont_admin" and endpoint.startswith("account."):
            continue  # Dupont's admin may see and assign Dupont's seats (spec section 7): his own account
        for method in methods:
            forms = _forms_aimed_at(victim) if method == "POST" else [None]
            for fields in forms:
                data = {**fields, "csrf_token": token} if fields is not None else None
                first = client.open(url, method=method, data=data)
                # A redirect (e.g. the sign-in step, already signed in) carries the run on: follow it.
                r = client.open(url, method=method, data=data, follow_redirects=True)
                tried += 1
                body = r.get_data(as_text=True)
                sign_in_step = endpoint in ("wizard.sign_in", "payment_wizard.sign_in")
                if endpoint.startswith("agent."):
                    assert first.status_code == r.status_code == 404, (attacker, method, url, r.status_code)
                elif attacker == "anonymous" and sign_in_step:
                    # The sign-in form itself: shown (GET), or refused as an incomplete sign-in (POST).
                    assert (first.status_code, r.status_code) == ((200, 200) if method == "GET" else (422, 422))
                elif attacker == "anonymous":
                    # Sent to sign in: Flask-Login's 302 on the account pages, the engine's 303 elsewhere.
                    assert first.status_code == (302 if endpoint.startswith("account.") else 303), (method, url)
                    assert r.request.path.endswith("/sign-in") and r.status_code == 200, (method, url)
                elif sign_in_step:
                    # The sign-in step ignores a run that is not the contact's (never shown, never
                    # said to exist) and goes on with the contact's own workflow instead (GET), or
                    # refuses the other step's form it was sent (POST).
                    assert r.status_code == (200 if method == "GET" else 422), (attacker, method, url, r.status_code)
                    # (the run id in the page is only the attacker's own URL echoed back)
                    assert not any(run in r.history[-1].location for run in victim["runs"]) if r.history else True
                    if not attacker.startswith("dupont"):
                        assert "Dupont" not in body and "dupont.example" not in body, (method, url)
                else:
                    assert r.status_code == 404, (attacker, method, url, fields, r.status_code)
                    assert f'<html lang="{url[1:3]}"' in body
                assert victim["quote"] not in body
                if attacker != "dupont_admin":
                    assert "Atelier Dupont" not in body, (attacker, method, url)
        assert billing_snapshot() == before, f"billing tables changed by {attacker} on {url}"
    assert _wizard_runs(engine) == runs_before, "the victim's workflow runs changed"
    assert tried > 40


def test_a_quote_of_another_account_cannot_be_ordered_from_ones_own_run(app, sec, victim, billing_snapshot, db_session):
    """Northwind's own run, with Dupont's quote id slipped into the confirm form: no order."""
    from helpcenter.billing import models as m
    client = app.test_client()
    sec.sign_in(client, "northwind")
    confirm = sec.walk_to_confirm(client, quantity=12, product="gotomeeting-business")
    before = billing_snapshot()
    r = sec.press(client, confirm, r"place order|passer la commande", {"quote": victim["quote"]}, follow=False)
    assert r.status_code == 303  # sent back within its own run: nothing is ordered (below)
    assert billing_snapshot() == before
    orders = db_session.execute(select(m.Order.quote_id)).scalars().all()
    assert victim["quote"] not in orders


def test_another_accounts_subscription_cannot_be_chosen_in_the_workflow(app, sec, victim, billing_snapshot):
    client = app.test_client()
    sec.sign_in(client, "northwind")
    page = client.get("/en/wizard/seats/", follow_redirects=True)
    assert sec.step_of(page) in ("product", "seats")
    before = billing_snapshot()
    if sec.step_of(page) == "product":
        r = sec.press(client, page, r".", {"subscription": str(victim["subscription"])})
        assert r.status_code == 404, (r.status_code, r.request.path)
    # Even so, at the seats step only Northwind's own subscription is offered.
    seats = client.get("/en/wizard/seats/?" + urlencode({"product": "gotoassist-rs5"}), follow_redirects=True)
    assert "Remote Support" not in seats.get_data(as_text=True) or sec.step_of(seats) != "seats"
    assert billing_snapshot() == before


def test_the_victim_still_reaches_every_url(victim):
    """Control: the URLs the attackers were refused are the victim's own, and they work."""
    client = victim["client"]
    assert client.get(f"/en/account/seats/{victim['subscription']}").status_code == 200
    assert client.get(f"/en/wizard/seats/confirm?run={victim['runs'][0]}").status_code == 200
    assert client.get(f"/en/wizard/seats/done?run={victim['runs'][1]}").status_code == 200


@pytest.mark.parametrize("who", ["dupont", "dupont_admin"])
def test_dupont_contacts_cannot_reach_northwinds_seats(app, demo, sec, db_session, billing_snapshot, who):
    northwind_sub = sec.account_ids(db_session)["northwind"][2][0]
    client = app.test_client()
    sec.sign_in(client, who)
    token = sec.csrf_of(client.get("/en/account/").get_data(as_text=True))
    before = billing_snapshot()
    for lang in ("en", "fr"):
        url = f"/{lang}/account/seats/{northwind_sub}"
        assert client.get(url).status_code == 404
        for fields in ({"assign": "1"}, {"unassign": "1"}, {"add_user": "1", "name": "M", "email": "m@example.com"}):
            r = client.post(url, data={**fields, "csrf_token": token})
            assert r.status_code == 404 and "Northwind" not in r.get_data(as_text=True)
    assert billing_snapshot() == before
