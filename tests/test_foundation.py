"""The app factory, configuration and locale chain."""
import pytest

from helpcenter import create_app
from helpcenter.config import ConfigError
from tests.conftest import PRODUCTION


def test_root_redirects_by_accept_language(client):
    r = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert r.status_code == 302 and r.location.endswith("/fr/")
    r = client.get("/", headers={"Accept-Language": "de"})
    assert r.location.endswith("/en/")


def test_root_prefers_the_remembered_language(client):
    client.get("/fr/")
    r = client.get("/", headers={"Accept-Language": "en"})
    assert r.location.endswith("/fr/")


def test_unknown_language_prefix_is_404(client):
    assert client.get("/xx/").status_code == 404
    assert client.get("/de/search?q=x").status_code == 404


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_html_lang_follows_the_url(client, lang):
    assert f'<html lang="{lang}"' in client.get(f"/{lang}/").get_data(as_text=True)


def test_error_page_is_translated(client):
    body = client.get("/fr/no-such-page").get_data(as_text=True)
    assert '<html lang="fr"' in body
    assert "Page introuvable" in body


def test_security_headers(client):
    r = client.get("/en/")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in r.headers


def test_production_refuses_a_missing_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("HELPCENTER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "SECRET_KEY": "dev", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_cookies_are_secure(tmp_path):
    app = create_app({**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_secret_is_generated_once(tmp_path, monkeypatch):
    monkeypatch.delenv("HELPCENTER_SECRET_KEY", raising=False)
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config["SECRET_KEY"]
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config["SECRET_KEY"]
    assert first == second and len(first) > 30


def test_a_lang_key_in_the_query_never_overrides_the_language(client):
    # The neutral workflow link keeps the query but not a "lang" smuggled into it.
    r = client.get("/wizard/seats/?lang=xx&product=gotoassist-rs5", headers={"Accept-Language": "fr"})
    assert r.status_code == 302 and r.location.startswith("/fr/wizard/seats/")
    assert "lang=" not in r.location and "product=gotoassist-rs5" in r.location
    # The language switcher points at the other language whatever the query says.
    body = client.get("/en/search?q=seat&lang=de").get_data(as_text=True)
    assert 'href="/fr/search?' in body and "/de/" not in body
