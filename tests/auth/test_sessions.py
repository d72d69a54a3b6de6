"""Sessions end on the server: sign-out revokes copied cookies, an absolute lifetime caps
activity, and nothing shown to a signed-in visitor may be cached."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpcenter.billing import models as m

LANGS = ["en", "fr"]


def _copy_session(app, source):
    """Another browser holding a copy of `source`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def test_a_copied_cookie_stops_working_after_sign_out(app, client, demo, auth):
    auth.sign_in()
    thief = _copy_session(app, client)
    assert thief.get("/en/account/").status_code == 200  # a copy works while the session lives
    assert auth.sign_out().status_code == 303
    response = thief.get("/en/account/")
    assert response.status_code == 302 and response.location.startswith("/en/sign-in")
    # The cookie from before sign-out is refused on every signed-in page, not only one.
    assert thief.get("/en/wizard/seats/review").status_code == 303


def test_sign_out_revokes_the_contacts_other_sessions(app, client, demo, auth, db_session):
    other = app.test_client()
    auth.sign_in()
    type(auth)(other).sign_in()
    auth.sign_out()
    assert other.get("/en/account/").status_code == 302
    generation = db_session.scalar(select(m.Contact.session_generation)
                                   .where(m.Contact.email == "billing@dupont.example"))
    assert generation == 1
    # Signing in again works, with the new generation, and other contacts are not affected.
    assert auth.sign_in().status_code == 303
    assert client.get("/en/account/").status_code == 200


def test_another_contacts_sign_out_leaves_a_session_alone(app, client, demo, auth):
    auth.sign_in()
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.sign_in("billing@northwind.example", "demo-pass-en")
    other_auth.sign_out()
    assert client.get("/en/account/").status_code == 200


@pytest.mark.parametrize("lang", LANGS)
def test_activity_cannot_keep_a_session_beyond_twelve_hours(app, client, demo, auth, app_clock, lang, translate,
                                                             text_of):
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)
    auth.sign_in(lang=lang)
    for _ in range(24):  # a request every 29 minutes: 11 h 36 min of activity
        app_clock.advance(timedelta(minutes=29))
        assert client.get(f"/{lang}/account/").status_code == 200
    app_clock.advance(timedelta(minutes=25))  # 12 h 01 min after sign-in
    response = client.get(f"/{lang}/account/")
    assert response.status_code == 302 and response.location.startswith(f"/{lang}/sign-in")
    notice = translate(lang, "You were signed out: a session lasts at most %(hours)s hours after signing in. "
                             "Sign in again to continue where you were.", hours=12)
    assert notice in text_of(client.get(response.location))


def test_a_session_without_its_sign_in_time_is_signed_out(client, demo, auth):
    auth.sign_in()
    with client.session_transaction() as sess:
        del sess["signed_in_at"]
    assert client.get("/en/account/").status_code == 302


# --- Cache-Control --------------------------------------------------------------

def _seat_page(db_session) -> str:
    sub = db_session.scalar(select(m.Subscription.id).join(m.Account).where(m.Account.name == "Atelier Dupont SARL"))
    return f"/en/account/seats/{sub}"


def test_every_page_of_a_signed_in_visitor_is_no_store(client, demo, auth, db_session):
    auth.sign_in()
    for url in ("/en/account/", _seat_page(db_session), "/en/sign-in", "/fr/", "/en/articles/1",
                "/en/wizard/seats/"):
        response = client.get(url)
        assert response.headers.get("Cache-Control") == "no-store", url
    # The sign-out answer too (its redirect is the last signed-in response).
    assert auth.sign_out().headers.get("Cache-Control") == "no-store"


def test_anonymous_pages_stay_cacheable(client, demo):
    for url in ("/en/", "/en/sign-in"):
        assert "no-store" not in (client.get(url).headers.get("Cache-Control") or ""), url
