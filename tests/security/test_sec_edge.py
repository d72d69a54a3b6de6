"""The edge of the app (helpcenter/security.py, config.py, catalogs.py): external URLs from
BASE_URL and other hosts refused, control characters refused in one place, production start-up
checks (secret entropy, base URL, password hash profile, catalogs, proxies)."""
import logging
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpcenter import create_app
from helpcenter.billing import models as m
from helpcenter.config import CUSTOMER_FACING_PLACEHOLDERS, ConfigError
from tests.conftest import PRODUCTION as PRODUCTION_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://help.example.com"
STRONG_SECRET = "Vq3xY8p_Lr2mZ0tK9wHs4bNc7dJf1gAe6uQiXoTy5vRk"
PRODUCTION = {**PRODUCTION_SETTINGS, "SECRET_KEY": STRONG_SECRET, "BASE_URL": BASE}
URL_RE = re.compile(r"""(?:href|content)="(https?://[^"]+)"|<loc>(https?://[^<]+)</loc>|Sitemap: (\S+)""")


def _external_urls(body: str) -> list[str]:
    return [next(g for g in match if g) for match in URL_RE.findall(body)]


# --- item 3: the Host header never builds a link --------------------------------------

@pytest.fixture
def based(app_config, demo):
    """An app with a base URL, serving one alias host besides it."""
    app_config.update({"BASE_URL": BASE, "TRUSTED_HOSTS": ["help.example.com", "alias.example.com"]})
    return create_app(app_config)


@pytest.mark.parametrize("path", ["/en/articles/1", "/fr/articles/1", "/sitemap.xml", "/robots.txt"])
def test_external_links_come_from_the_base_url(based, path):
    client = based.test_client()
    r = client.get(path, base_url="http://alias.example.com", follow_redirects=True)
    assert r.status_code == 200
    urls = _external_urls(r.get_data(as_text=True))
    assert urls, "no external URL on the page"
    assert all(url.startswith(BASE + "/") for url in urls), urls


def test_a_slash_redirect_uses_the_base_url(based):
    r = based.test_client().get("/en", base_url="http://alias.example.com")
    assert r.status_code == 308
    assert r.location == f"{BASE}/en/"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_another_host_is_refused(based, lang):
    r = based.test_client().get(f"/{lang}/", base_url="http://evil.example")
    assert r.status_code == 400
    assert "evil.example" not in r.get_data(as_text=True)
    assert based.test_client().get(f"/{lang}/", base_url="http://help.example.com").status_code == 200


def test_trusted_hosts_default_to_the_base_urls_host(app_config):
    app_config["BASE_URL"] = BASE + "/"
    app = create_app(app_config)
    assert app.config["TRUSTED_HOSTS"] == ["help.example.com"] and app.config["BASE_URL"] == BASE
    assert app.test_client().get("/en/", base_url="http://evil.example").status_code == 400


def test_the_confirmation_email_links_to_the_base_url(based, sec, db_session):
    based.config["SERVER_NAME"] = "alias.example.com"  # the test client's requests go to the alias host
    client = based.test_client()
    sec.sign_in(client, "dupont")
    done = sec.press(client, sec.walk_to_confirm(client, quantity=8), r"place order|passer la commande")
    assert done.status_code == 200
    body = db_session.scalar(select(m.EmailMessage.text_body).where(m.EmailMessage.kind == "order_confirmation"))
    links = re.findall(r"https?://\S+", body)
    assert links and all(link.startswith(BASE + "/") for link in links), links


def test_production_needs_a_base_url(app_config):
    app_config.update({**PRODUCTION, "BASE_URL": None})
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app(app_config)


@pytest.mark.parametrize("name", CUSTOMER_FACING_PLACEHOLDERS)
def test_production_refuses_the_shipped_example_addresses(app_config, name):
    """The defaults are examples (a portal, a phone, a sender that do not exist): customers would
    be sent there, or get emails from there."""
    app_config.update(PRODUCTION)
    app_config.pop(name)
    with pytest.raises(ConfigError, match=f"HELPCENTER_{name}"):
        create_app(app_config)
    app_config[name] = PRODUCTION[name]
    assert create_app(app_config).config[name] == PRODUCTION[name]


@pytest.mark.parametrize("bad", ["help.example.com", "ftp://help.example.com", "https://help.example.com/?x=1"])
def test_a_malformed_base_url_is_refused(app_config, bad):
    app_config["BASE_URL"] = bad
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app(app_config)


# --- item 4: control characters refused at the edge ---------------------------------

def _assert_control_page(response, lang):
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in body
    title = "Caractères non acceptés" if lang == "fr" else "Characters that are not allowed"
    assert title in body


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("url", [
    "/{lang}/wizard/seats/review?run=%00", "/{lang}/wizard/seats/product?run=%00", "/{lang}/wizard/seats/?run=%00",
    "/wizard/seats/?run=%00", "/{lang}/search?q=a%00b", "/{lang}/account/?x=%01", "/{lang}/articles/1%00",
])
def test_a_nul_in_the_url_is_a_clear_400(signed_in, url, lang):
    client = signed_in("dupont", lang)
    _assert_control_page(client.get(url.format(lang=lang)), lang)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_sign_in_post_with_a_nul_in_the_query_signs_nobody_in(client, demo, sec, lang, billing_snapshot):
    page = client.get(f"/{lang}/wizard/seats/sign-in").get_data(as_text=True)
    r = client.post(f"/{lang}/wizard/seats/sign-in?run=%00", data={
        "email": "billing@dupont.example", "password": "demo-pass-fr", "csrf_token": sec.csrf_of(page)})
    _assert_control_page(r, lang)
    with client.session_transaction() as session:
        assert "_user_id" not in session


@pytest.mark.parametrize("name", ["Ann\x00Lee", "\x01\x02\x03", "\x1b[31mred", "a\x7fb", "x\x85y"])
def test_a_user_name_with_control_characters_is_refused(signed_in, db_session, name, sec):
    client = signed_in("dupont_admin")
    ids = sec.account_ids(db_session)
    url = f"/en/account/seats/{ids['dupont'][2][0]}"
    before = db_session.scalar(select(func.count()).select_from(m.AccountUser))
    token = sec.csrf_of(client.get(url).get_data(as_text=True))
    r = client.post(url, data={"csrf_token": token, "add_user": "1", "name": name, "email": "ann@dupont.example"})
    _assert_control_page(r, "en")
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(m.AccountUser)) == before


def test_line_breaks_in_a_form_field_are_not_control_characters(signed_in, db_session, sec):
    """A message box may hold line breaks and tabs: only the other control characters are refused."""
    client = signed_in("dupont_admin")
    ids = sec.account_ids(db_session)
    url = f"/en/account/seats/{ids['dupont'][2][0]}"
    token = sec.csrf_of(client.get(url).get_data(as_text=True))
    r = client.post(url, data={"csrf_token": token, "add_user": "1", "name": "Ann\r\n\tLee",
                               "email": "ann@dupont.example"})
    assert r.status_code == 303
    assert db_session.scalar(select(m.AccountUser.name).where(m.AccountUser.email == "ann@dupont.example")) == "Ann Lee"


def test_the_postgresql_tier_runs_the_fuzzer():
    """The fuzzer is marked slow; scripts/test runs slow tests on PostgreSQL too (only the
    browser tests are left out there), where NUL bytes used to give 500s."""
    script = (ROOT / "scripts" / "test").read_text()
    [postgresql_run] = [line for line in script.splitlines() if 'HELPCENTER_TEST_DATABASE_URL="$pg_url"' in line]
    assert '-m "not browser"' in postgresql_run and "slow" not in postgresql_run
    assert "@pytest.mark.slow" in (ROOT / "tests" / "security" / "test_sec_fuzz.py").read_text()


# --- item 9: production start-up ------------------------------------------------------

@pytest.mark.parametrize("secret", ["p" * 48, "abcdefghij" * 7, "0123456789" * 5, "Password1Password1Password1"])
def test_production_refuses_a_low_entropy_secret(app_config, secret):
    app_config.update({**PRODUCTION, "SECRET_KEY": secret})
    with pytest.raises(ConfigError, match="guessable"):
        create_app(app_config)


def test_production_accepts_a_generated_secret(app_config):
    import secrets
    app_config.update({**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(48)})
    assert create_app(app_config).config["SESSION_COOKIE_SECURE"] is True


def test_production_uses_the_real_password_hash_profile(app_config):
    from argon2.profiles import RFC_9106_LOW_MEMORY
    app_config.update(PRODUCTION)
    app_config.pop("PASSWORD_HASH_PROFILE")  # what an operator gets without setting anything
    app = create_app(app_config)
    assert app.extensions["passwords"].parameters == RFC_9106_LOW_MEMORY
    assert "m=65536,t=3,p=4" in app.extensions["passwords"].hash("x")
    app_config.update({"PASSWORD_HASH_PROFILE": "CHEAPEST"})
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE"):
        create_app(app_config)


def test_production_warns_about_forwarded_requests_without_a_trusted_proxy(app_config, caplog):
    app_config.update(PRODUCTION)
    with caplog.at_level(logging.WARNING, logger="helpcenter.security"):
        app = create_app(app_config)
        client = app.test_client()
        client.get("/en/", base_url=BASE)
        assert not [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
        for _ in range(3):
            client.get("/en/", base_url=BASE, headers={"X-Forwarded-For": "203.0.113.5"})
    warnings = [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warnings) == 1 and "TRUSTED_PROXY_COUNT" in warnings[0].getMessage()


def test_no_warning_behind_a_configured_proxy(app_config, caplog):
    app_config.update({**PRODUCTION, "TRUSTED_PROXY_COUNT": 1})
    with caplog.at_level(logging.WARNING, logger="helpcenter.security"):
        create_app(app_config).test_client().get("/en/", base_url=BASE, headers={"X-Forwarded-For": "203.0.113.5"})
    assert not [r for r in caplog.records if "TRUSTED_PROXY_COUNT" in r.getMessage()]


def test_gunicorn_trusts_no_forwarded_header_with_the_projects_config():
    """gunicorn's default forwarded_allow_ips trusts X-Forwarded-Proto from 127.0.0.1; the
    project's gunicorn.conf.py turns that off, so TRUSTED_PROXY_COUNT alone decides (T22)."""
    from gunicorn.config import Config
    assert Config().forwarded_allow_ips == ["127.0.0.1", "::1"]  # the default SECURITY.md warns about
    namespace = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)
    config = Config()
    config.set("forwarded_allow_ips", namespace["forwarded_allow_ips"])
    assert config.forwarded_allow_ips == []


# --- item 10: catalogs compiled at start-up -----------------------------------------

def _translations_copy(tmp_path) -> Path:
    target = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def test_a_missing_catalog_is_compiled_at_start_up(app_config, tmp_path):
    translations = _translations_copy(tmp_path)
    mo = translations / "fr" / "LC_MESSAGES" / "messages.mo"
    assert not mo.exists()
    app_config.update({"TRANSLATIONS_DIR": str(translations), "BABEL_TRANSLATION_DIRECTORIES": str(translations)})
    client = create_app(app_config).test_client()
    assert mo.exists()
    body = client.get("/fr/").get_data(as_text=True)
    assert "Centre d’aide" in body


def test_an_outdated_catalog_is_compiled_again(app_config, tmp_path):
    import os
    translations = _translations_copy(tmp_path)
    app_config.update({"TRANSLATIONS_DIR": str(translations), "BABEL_TRANSLATION_DIRECTORIES": str(translations)})
    create_app(app_config)
    po = translations / "fr" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(mo, (1_000_000_000, 1_000_000_000))  # older than the .po
    create_app(app_config)
    assert mo.stat().st_mtime >= po.stat().st_mtime


def test_production_refuses_to_start_without_the_french_catalog(app_config, tmp_path):
    empty = tmp_path / "translations"
    empty.mkdir()
    app_config.update({**PRODUCTION, "TRANSLATIONS_DIR": str(empty), "BABEL_TRANSLATION_DIRECTORIES": str(empty)})
    with pytest.raises(ConfigError, match="translations"):
        create_app(app_config)
