"""Cookies (HttpOnly, SameSite, Secure in production), the session renewed at sign-in and
cleared at sign-out, and a production start that refuses a missing or default secret key."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpcenter import create_app
from helpcenter.config import CUSTOMER_FACING_PLACEHOLDERS, ConfigError
from tests.conftest import PRODUCTION as PRODUCTION_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def _set_cookies(response) -> dict[str, str]:
    """name -> the full Set-Cookie header of that cookie."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _decode(app, value):
    return app.session_interface.get_signing_serializer(app).loads(value)


def test_session_and_language_cookies_are_httponly_and_samesite(client):
    cookies = _set_cookies(client.get("/en/sign-in"))  # the form's CSRF token lives in the session
    for name in ("session", "lang"):
        header = cookies[name]
        assert "httponly" in _flags(header), header
        assert "SameSite=Lax" in header, header
        assert "secure" not in _flags(header), header  # development over plain HTTP


PRODUCTION = {**PRODUCTION_SETTINGS, "BASE_URL": "https://help.example"}


def test_production_cookies_are_secure(app_config):
    app_config.update(PRODUCTION)
    client = create_app(app_config).test_client()
    cookies = _set_cookies(client.get("/en/sign-in", base_url="https://help.example"))
    for name in ("session", "lang"):
        assert {"secure", "httponly", "samesite"} <= _flags(cookies[name]), cookies[name]


@pytest.mark.parametrize("secret", [None, "", "dev", "changeme", "secret", "development", "short-secret"])
def test_production_refuses_a_missing_default_or_short_secret(app_config, monkeypatch, secret):
    monkeypatch.delenv("HELPCENTER_SECRET_KEY", raising=False)
    app_config["ENV"] = "production"
    if secret is None:
        app_config.pop("SECRET_KEY")
    else:
        app_config["SECRET_KEY"] = secret
    with pytest.raises(ConfigError):
        create_app(app_config)


def test_a_production_process_will_not_start_without_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPCENTER_")}
    env.update({"HELPCENTER_ENV": "production", "HELPCENTER_DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
                "HELPCENTER_BASE_URL": "https://help.example", "PYTHONPATH": str(ROOT)})
    start = "from helpcenter import create_app; create_app(); print('started')"
    refused = subprocess.run([sys.executable, "-c", start], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "started" not in refused.stdout
    assert "HELPCENTER_SECRET_KEY" in refused.stderr
    env["HELPCENTER_SECRET_KEY"] = PRODUCTION["SECRET_KEY"]
    refused = subprocess.run([sys.executable, "-c", start], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "HELPCENTER_CORPORATE_PORTAL_URL" in refused.stderr  # still the example's
    env.update({f"HELPCENTER_{name}": PRODUCTION[name] for name in CUSTOMER_FACING_PLACEHOLDERS})
    started = subprocess.run([sys.executable, "-c", start], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr[-2000:]


def test_sign_in_starts_a_new_session(app, client, demo, sec):
    page = client.get("/en/sign-in").get_data(as_text=True)
    before_value = sec.session_cookie(client, app)
    before = _decode(app, before_value)
    assert "_user_id" not in before
    sec.sign_in(client, "dupont")
    after = _decode(app, sec.session_cookie(client, app))
    assert after["_user_id"] and after.get("signed_in_at")
    # Nothing of the anonymous session is carried over but the workflow runs (never the CSRF token).
    assert after.get("csrf_token") != before.get("csrf_token")
    assert sec.csrf_of(page) and sec.session_cookie(client, app) != before_value
    # A pre-sign-in cookie replayed later is still signed out.
    replay = app.test_client()
    replay.set_cookie("session", before_value)
    assert replay.get("/en/account/").status_code == 302


def test_two_sign_ins_give_two_different_sessions(app, demo, sec):
    first, second = app.test_client(), app.test_client()
    sec.sign_in(first, "dupont")
    sec.sign_in(second, "dupont")
    first.get("/en/account/"), second.get("/en/account/")  # each page puts a CSRF token in its session
    one, two = _decode(app, sec.session_cookie(first, app)), _decode(app, sec.session_cookie(second, app))
    assert one["_user_id"] == two["_user_id"]  # the same contact...
    assert one["csrf_token"] != two["csrf_token"]  # ...in two sessions of their own


def test_sign_out_clears_the_session(app, client, demo, sec):
    sec.sign_in(client, "dupont")
    assert client.get("/en/account/").status_code == 200
    token = sec.csrf_of(client.get("/en/account/").get_data(as_text=True))
    r = client.post("/en/sign-out", data={"csrf_token": token})
    assert r.status_code == 303
    value = sec.session_cookie(client, app)
    state = _decode(app, value) if value else {}
    assert "_user_id" not in state and "signed_in_at" not in state
    assert client.get("/en/account/").status_code == 302


def test_sign_out_is_post_with_csrf_only(client, demo, sec):
    sec.sign_in(client, "dupont")
    assert client.get("/en/sign-out").status_code == 405
    assert client.post("/en/sign-out").status_code == 400  # no CSRF token
    assert client.get("/en/account/").status_code == 200  # still signed in


def test_a_forged_session_cookie_is_ignored(app, demo, sec):
    """A cookie signed with another key (e.g. the development one) signs nobody in."""
    other = create_app({**app.config, "SECRET_KEY": "another-secret-key-0123456789"})
    with other.test_request_context():
        forged = other.session_interface.get_signing_serializer(other).dumps(
            {"_user_id": "1:0", "signed_in_at": 2_000_000_000, "seen_at": 2_000_000_000})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/en/account/").status_code == 302
