"""Response headers on every kind of response, HSTS only over HTTPS (and through a trusted proxy
only when one is configured), and pages without inline script or style (the CSP forbids them)."""
import re

import pytest

from helpcenter import create_app

PAGES = ["/en/", "/fr/", "/en/sign-in", "/fr/sign-in", "/en/search?q=seats", "/fr/no-such-page",
         "/static/css/site.css", "/static/js/site.js"]


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", PAGES)
def test_every_response_carries_the_security_headers(client, url):
    r = client.get(url)
    assert r.status_code < 500
    csp = _csp(r)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    for directive in ("script-src", "style-src"):
        assert csp[directive] == "'self'", (directive, csp[directive])
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in r.headers["Content-Security-Policy"]
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'self'" and csp["form-action"] == "'self'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP: no HSTS


def test_error_and_refusal_responses_carry_them_too(client):
    for r, status in ((client.post("/en/search"), 405), (client.post("/en/sign-in", data={}), 400),
                      (client.get("/xx/"), 404)):
        assert r.status_code == status, (r.request.path, r.status_code)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_over_https(client):
    r = client.get("/en/", base_url="https://help.example")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_forwarded_scheme_is_ignored_without_a_trusted_proxy(client):
    r = client.get("/en/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in r.headers


def test_a_trusted_proxy_tells_the_scheme(app_config):
    app_config["TRUSTED_PROXY_COUNT"] = 1
    client = create_app(app_config).test_client()
    r = client.get("/en/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def assert_no_inline_code(body: str, where: str) -> None:
    assert not INLINE_SCRIPT.search(body), f"inline <script> in {where}"
    assert not INLINE_STYLE.search(body), f"inline style in {where}"
    assert not INLINE_HANDLER.search(body), f"inline event handler in {where}"
    assert not JS_URL.search(body), f"javascript: URL in {where}"


@pytest.mark.parametrize("url", ["/en/", "/fr/", "/en/sign-in", "/fr/search?q=si%C3%A8ges", "/en/nope"])
def test_public_pages_have_no_inline_script_or_style(client, url):
    assert_no_inline_code(client.get(url).get_data(as_text=True), url)


def test_signed_in_pages_have_no_inline_script_or_style(signed_in):
    client = signed_in("dupont")
    for url in ("/en/account/", "/fr/account/", "/en/wizard/seats/", "/fr/wizard/seats/"):
        r = client.get(url, follow_redirects=True)
        assert r.status_code == 200, url
        assert_no_inline_code(r.get_data(as_text=True), url)
