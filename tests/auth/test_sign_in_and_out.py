"""The billing centre's sign-in and sign-out pages, the session, and safe `next` links."""
from datetime import timedelta

import pytest
from flask import session

from helpcenter.auth import safe_next
from helpcenter.billing.errors import SignInThrottled
from helpcenter.messages import billing_error_message

LANGS = ["en", "fr"]


# --- the sign-in page -------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_page_explains_it_is_the_billing_centre(client, demo, lang, translate, soup_of):
    response = client.get(f"/{lang}/sign-in")
    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.html["lang"] == lang
    assert soup.h1.get_text(strip=True) == translate(lang, "Sign in to the billing centre")
    explanation = translate(lang, "This is the sign-in of the billing centre: use the email address and "
                                  "password of your billing account to see your subscriptions and manage your seats.")
    assert explanation in soup.get_text()
    form = soup.select_one("main form[method=post]")
    names = {field["name"] for field in form.select("input")}
    assert {"email", "password", "csrf_token"} <= names
    assert soup.select_one("label[for=email]") and soup.select_one("label[for=password]")


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_success_goes_to_the_account_page(client, demo, auth, lang, translate, text_of):
    response = auth.sign_in("billing@dupont.example", "demo-pass-fr", lang)
    assert response.status_code == 303
    assert response.location == f"/{lang}/account/"
    page = client.get(response.location)
    assert page.status_code == 200
    assert translate(lang, "You are signed in as %(name)s.", name=_contact_name(demo)) in text_of(page)


def _contact_name(app):
    from sqlalchemy import select
    from helpcenter.billing import models
    session_ = app.extensions["db_sessionmaker"]()
    try:
        return session_.scalar(select(models.Contact.name).where(models.Contact.email == "billing@dupont.example"))
    finally:
        session_.close()


def test_email_is_matched_whatever_its_case_and_spaces(demo, auth):
    response = auth.sign_in("  Billing@Dupont.Example ", "demo-pass-fr")
    assert response.status_code == 303


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("email, password", [
    ("billing@dupont.example", "wrong-password"),
    ("nobody@dupont.example", "demo-pass-fr"),
])
def test_bad_credentials_are_a_translated_error(client, demo, forms, lang, email, password, translate, soup_of):
    response = forms.post(f"/{lang}/sign-in", {"email": email, "password": password})
    assert response.status_code == 400
    soup = soup_of(response)
    message = translate(lang, "The email address or password is not right. Check them and try again.")
    summary = soup.select_one(".error-summary")
    assert summary is not None and summary["role"] == "alert"
    link = summary.select_one("a[href='#email']")
    assert link is not None and link.get_text(strip=True) == message
    assert message in soup.select_one("#email-error").get_text()
    assert soup.title.get_text().startswith(translate(lang, "Error:") + " ")
    assert soup.select_one("input[name=email]")["value"] == email
    password_field = soup.select_one("input[name=password]")
    assert not password_field.get("value")
    assert password not in response.get_data(as_text=True)
    assert soup.select_one("#email")["aria-describedby"] == "email-error"
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


@pytest.mark.parametrize("lang", LANGS)
def test_empty_form_says_what_to_enter(forms, demo, lang, translate, soup_of):
    response = forms.post(f"/{lang}/sign-in", {"email": "", "password": ""})
    assert response.status_code == 400
    summary = soup_of(response).select_one(".error-summary")
    links = {a["href"]: a.get_text(strip=True) for a in summary.select("a")}
    assert links == {"#email": translate(lang, "Enter your email address."),
                     "#password": translate(lang, "Enter your password.")}


@pytest.mark.parametrize("lang", LANGS)
def test_five_failures_throttle_the_email(demo, forms, lang, in_locale, soup_of):
    for _attempt in range(5):
        response = forms.post(f"/{lang}/sign-in", {"email": "billing@dupont.example", "password": "nope"})
        assert response.status_code == 400
    # Even the right password is refused while the email is throttled.
    response = forms.post(f"/{lang}/sign-in", {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert response.status_code == 400
    shown = soup_of(response).select_one(".error-summary a[href='#email']").get_text(strip=True)
    expected = {in_locale(lang, billing_error_message, SignInThrottled(minutes=m)) for m in range(1, 16)}
    assert shown in expected
    if lang == "fr":  # really translated, not the English fallback
        assert shown not in {in_locale("en", billing_error_message, SignInThrottled(minutes=m)) for m in range(1, 16)}
    with forms.client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_sign_in_renews_the_session(client, demo, forms):
    client.get("/en/sign-in")
    with client.session_transaction() as sess:
        sess["planted"] = "set before sign-in"
    before = client.get_cookie("session").value
    response = forms.post("/en/sign-in", {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert response.status_code == 303
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] and sess.permanent
    # The CSRF token of the anonymous session is not carried over either.
    assert forms.token("/en/account/") != ""


@pytest.mark.parametrize("lang", LANGS)
def test_signed_in_visitor_sees_who_they_are(client, demo, auth, lang, translate, soup_of):
    auth.sign_in(lang=lang)
    response = client.get(f"/{lang}/sign-in?next=/{lang}/account/seats/1")
    assert response.status_code == 200
    soup = soup_of(response)
    assert "billing@dupont.example" in soup.get_text()
    link = soup.find("a", string=lambda s: s and translate(lang, "Continue where you were") in s)
    assert link is not None and link["href"] == f"/{lang}/account/seats/1"
    response = client.get(f"/{lang}/sign-in")
    link = soup_of(response).find("a", string=lambda s: s and translate(lang, "Go to your account") in s)
    assert link["href"] == f"/{lang}/account/"


# --- next ----------------------------------------------------------------------

def test_a_same_site_next_is_honoured(demo, forms):
    response = forms.post("/en/sign-in?next=/fr/account/%3Fx%3D1", {
        "email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert response.status_code == 303
    assert response.location == "/fr/account/?x=1"


@pytest.mark.parametrize("target", [
    "https://evil.example/steal",
    "http:evil.example",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,hi",
    "/account/\r\nSet-Cookie: x=1",
    "/\t/evil.example",
    "evil.example/path",
])
def test_an_unsafe_next_is_ignored(demo, forms, target):
    assert safe_next(target) is None
    response = forms.post("/en/sign-in", {"email": "billing@dupont.example", "password": "demo-pass-fr"},
                          query_string={"next": target})
    if any(ord(ch) < 32 for ch in target):  # refused at the edge before anything reads it
        assert response.status_code == 400
        return
    assert response.status_code == 303
    assert response.location == "/en/account/"


def test_safe_next_keeps_paths_and_queries():
    assert safe_next("/en/account/") == "/en/account/"
    assert safe_next("/en/wizard/seats/?product=gotoassist-rs5&quantity=8") == \
        "/en/wizard/seats/?product=gotoassist-rs5&quantity=8"
    assert safe_next(None) is None and safe_next("") is None
    assert safe_next("/" + "a" * 3000) is None


# --- sign-out ---------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_sign_out_is_post_only(client, demo, auth, lang, translate, soup_of):
    auth.sign_in(lang=lang)
    response = client.get(f"/{lang}/sign-out")
    assert response.status_code == 405
    assert soup_of(response).h1.get_text(strip=True) == translate(lang, "Method not allowed")
    with client.session_transaction() as sess:
        assert "_user_id" in sess


def test_sign_out_needs_the_csrf_token(client, demo, auth):
    auth.sign_in()
    response = client.post("/en/sign-out", data={})
    assert response.status_code == 400
    with client.session_transaction() as sess:
        assert "_user_id" in sess
    response = client.post("/en/sign-out", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/en/account/").status_code == 200


@pytest.mark.parametrize("lang", LANGS)
def test_sign_out_clears_the_session(client, demo, auth, forms, lang, translate, text_of):
    auth.sign_in(lang=lang)
    response = forms.post(f"/{lang}/account/", {}, action=f"/{lang}/sign-out")
    assert response.status_code == 303
    assert response.location == f"/{lang}/"
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    assert translate(lang, "You are signed out.") in text_of(client.get(response.location))
    response = client.get(f"/{lang}/account/")
    assert response.status_code == 302 and "/sign-in" in response.location


# --- session lifetime (the app's clock moves; nobody sleeps) ------------------------

def test_sessions_have_a_thirty_minute_idle_lifetime(app, client, demo, auth):
    assert app.permanent_session_lifetime == timedelta(minutes=30)
    auth.sign_in()
    response = client.get("/en/account/")
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][0]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("lang", LANGS)
def test_an_idle_session_sends_to_sign_in_and_resumes(client, demo, auth, forms, app_clock, lang, translate,
                                                      text_of):
    auth.sign_in(lang=lang)
    target = f"/{lang}/account/?tab=orders"
    assert client.get(target).status_code == 200
    app_clock.advance(timedelta(minutes=31))
    response = client.get(target)
    assert response.status_code == 302
    assert response.location == f"/{lang}/sign-in?next=/{lang}/account/?tab%3Dorders"
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    sign_in_page = client.get(response.location)
    assert translate(lang, "You were signed out after a period without activity. "
                           "Sign in again to continue where you were.") in text_of(sign_in_page)
    response = forms.post(response.location, {"email": "billing@dupont.example", "password": "demo-pass-fr"})
    assert response.status_code == 303 and response.location == target
    assert client.get(target).status_code == 200


def test_activity_keeps_the_session_alive(client, demo, auth, app_clock):
    auth.sign_in()
    for _ in range(3):
        app_clock.advance(timedelta(minutes=29))
        assert client.get("/en/account/").status_code == 200
    with client.session_transaction() as sess:
        assert sess["seen_at"] == app_clock.now().timestamp()


def test_a_short_lifetime_really_expires(app, client, demo, auth, app_clock):
    """The idle lifetime is a setting: one second of the app's clock is enough to sign out."""
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    auth.sign_in()
    assert client.get("/en/account/").status_code == 200
    app_clock.advance(timedelta(seconds=2))
    response = client.get("/en/account/")
    assert response.status_code == 302
    assert response.location == "/en/sign-in?next=/en/account/"
