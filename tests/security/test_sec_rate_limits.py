"""Rate limits (helpcenter/security.py RATE_LIMITS) really limit: failed sign-ins per address
(one budget for both sign-in forms; successes not counted, a stranger cannot lock the owner
out), search, feedback; a 429 is the translated error page; the counters live in the
configured store (memory, or Redis shared between instances)."""
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from helpcenter import create_app
from helpcenter.extensions import limiter

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_of(html):
    match = CSRF_RE.search(html)
    return match.group(1) if match else None


def fresh_ip():
    n = uuid.uuid4().int
    return f"10.{n % 250 + 1}.{(n >> 8) % 250 + 1}.{(n >> 16) % 250 + 1}"


def _client(app, ip=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip or fresh_ip()
    return client


def _post_sign_in(client, email, lang="en", password="wrong-password"):
    token = csrf_of(client.get(f"/{lang}/sign-in").get_data(as_text=True))
    return client.post(f"/{lang}/sign-in", data={"email": email, "password": password, "csrf_token": token})


def _assert_translated_429(response, lang):
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in body
    assert ("Trop de tentatives" if lang == "fr" else "Too many attempts") in body
    assert int(response.headers["Retry-After"]) > 0


def test_limits_are_wired_to_the_spec_endpoints(limited_config):
    app = create_app(limited_config)
    wired = {(rule.endpoint, rule.setting) for rule in app.extensions["rate_limit_rules"]}
    assert wired == {("auth.sign_in", "RATELIMIT_SIGN_IN"), ("wizard.sign_in", "RATELIMIT_SIGN_IN"),
                     ("payment_wizard.sign_in", "RATELIMIT_SIGN_IN"),
                     ("wizard.payment", "RATELIMIT_NEW_CARD"), ("wizard.payment", "RATELIMIT_NEW_CARD_ACCOUNT"),
                     ("payment_wizard.card", "RATELIMIT_NEW_CARD"),
                     ("payment_wizard.card", "RATELIMIT_NEW_CARD_ACCOUNT"),
                     ("help.search", "RATELIMIT_SEARCH"), ("help.feedback", "RATELIMIT_FEEDBACK"),
                     ("contact.contact", "RATELIMIT_CONTACT")}


def test_limits_are_not_stacked_when_apps_are_built_again(limited_config):
    from flask_limiter.util import get_qualified_name
    app = create_app(limited_config)
    name = get_qualified_name(app.view_functions["auth.sign_in"])
    with app.app_context():
        once = len(limiter.limit_manager.decorated_limits(name))
    for _ in range(3):
        app = create_app(limited_config)
    assert get_qualified_name(app.view_functions["auth.sign_in"]) == name
    with app.app_context():
        assert len(limiter.limit_manager.decorated_limits(name)) == once >= 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sign_in_is_limited_per_address(limited_config, lang):
    app = create_app(limited_config)
    client = _client(app)
    for i in range(5):
        r = _post_sign_in(client, f"nobody{i}-{uuid.uuid4().hex[:6]}@example.com", lang)
        assert r.status_code != 429, i
    r = _post_sign_in(client, f"nobody-x-{uuid.uuid4().hex[:6]}@example.com", lang)
    _assert_translated_429(r, lang)
    # The form page itself (GET) is not limited, and another address is not affected.
    assert client.get(f"/{lang}/sign-in").status_code == 200
    assert _post_sign_in(_client(app), "someone@example.com", lang).status_code != 429


def test_one_sign_in_budget_for_both_forms(limited_config):
    """The sign-in page and the workflow's first step used to have a budget each (10 + 10)."""
    app = create_app(limited_config)
    client = _client(app)
    for i in range(3):
        assert _post_sign_in(client, f"n{i}-{uuid.uuid4().hex[:6]}@example.com").status_code == 400
    url = "/en/wizard/seats/sign-in"
    for i in range(2):
        token = csrf_of(client.get(url).get_data(as_text=True))
        r = client.post(url, data={"email": f"w{i}-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 8,
                                   "csrf_token": token})
        assert r.status_code != 429, i
    # Five failures in all (the limit): both forms now refuse this address.
    _assert_translated_429(_post_sign_in(client, "late@example.com"), "en")
    token = csrf_of(client.get(url).get_data(as_text=True))
    r = client.post(url, data={"email": "late@example.com", "password": "x" * 8, "csrf_token": token})
    assert r.status_code == 429


def test_successful_sign_ins_do_not_use_the_budget(limited_config, demo):
    """An office behind one address: more people sign in than the failure limit allows."""
    app = create_app(limited_config)
    office = fresh_ip()
    for _ in range(12):  # the limit is 5 per minute
        r = _post_sign_in(_client(app, office), "billing@dupont.example", password="demo-pass-fr")
        assert r.status_code == 303
    for _ in range(5):
        assert _post_sign_in(_client(app, office), "billing@dupont.example").status_code == 400
    _assert_translated_429(_post_sign_in(_client(app, office), "billing@dupont.example", password="demo-pass-fr"),
                           "en")


def test_a_stranger_cannot_lock_the_owner_out(limited_config, demo):
    """Five wrong passwords from elsewhere used to lock the owner out for 15 minutes."""
    app = create_app(limited_config)
    attacker = _client(app)
    for _ in range(5):
        assert _post_sign_in(attacker, "billing@dupont.example").status_code == 400
    assert _post_sign_in(attacker, "billing@dupont.example", password="demo-pass-fr").status_code == 429
    owner = _post_sign_in(_client(app), "billing@dupont.example", password="demo-pass-fr")
    assert owner.status_code == 303


def test_a_refused_csrf_post_is_not_even_counted(limited_config):
    app = create_app(limited_config)
    client = _client(app)
    for _ in range(8):
        r = client.post("/en/sign-in", data={"email": "a@example.com", "password": "x"})
        assert r.status_code == 400
    assert _post_sign_in(client, "a@example.com").status_code != 429


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_search_is_limited(limited_config, lang):
    app = create_app(limited_config)
    client = _client(app)
    for i in range(6):
        assert client.get(f"/{lang}/search?q=seats{i}").status_code != 429
    _assert_translated_429(client.get(f"/{lang}/search?q=more"), lang)
    assert _client(app).get(f"/{lang}/search?q=seats").status_code != 429


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_feedback_is_limited(limited_config, lang):
    app = create_app(limited_config)
    client = _client(app)
    article = client.get(f"/{lang}/articles/1", follow_redirects=True)
    assert article.status_code == 200
    # The feedback form carries no CSRF token (article pages are shared): a same-origin POST.
    same = {"Origin": "http://localhost"}
    url = f"/{lang}/articles/1/feedback"
    statuses = [client.post(url, data={"helpful": "yes"}, headers=same).status_code for _ in range(4)]
    assert statuses == [303] * 4, statuses
    _assert_translated_429(client.post(url, data={"helpful": "no"}, headers=same), lang)
    assert _client(app).post(url, data={"helpful": "yes"}, headers=same).status_code != 429


def test_wizard_sign_in_step_is_limited(limited_config):
    app = create_app(limited_config)
    rules = {r.endpoint for r in app.extensions["rate_limit_rules"] if r.setting == "RATELIMIT_SIGN_IN"}
    wizard = sorted(rules - {"auth.sign_in"})
    if not wizard:
        pytest.fail("the workflow's sign-in step is not rate limited")
    client = _client(app)
    url = "/en/wizard/seats/sign-in"
    for i in range(5):
        token = csrf_of(client.get(url).get_data(as_text=True))
        r = client.post(url, data={"email": f"n{i}-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 8,
                                   "csrf_token": token})
        assert r.status_code != 429
    token = csrf_of(client.get(url).get_data(as_text=True))
    r = client.post(url, data={"email": "late@example.com", "password": "x" * 8, "csrf_token": token})
    _assert_translated_429(r, "en")
    # Other workflow steps are not counted against the sign-in budget.
    assert client.get("/en/wizard/seats/").status_code != 429


def test_a_forged_forwarded_for_does_not_reset_the_budget(limited_config):
    app = create_app(limited_config)
    client = _client(app)
    statuses = [client.get(f"/en/search?q=a{i}", headers={"X-Forwarded-For": fresh_ip()}).status_code
                for i in range(7)]
    assert statuses[-1] == 429, statuses


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(limited_config):
    limited_config["TRUSTED_PROXY_COUNT"] = 1
    app = create_app(limited_config)
    proxy = _client(app)  # every request arrives from the proxy's address
    first, second = fresh_ip(), fresh_ip()
    statuses = [proxy.get(f"/en/search?q=b{i}", headers={"X-Forwarded-For": first}).status_code for i in range(7)]
    assert statuses[-1] == 429, statuses
    assert proxy.get("/en/search?q=c", headers={"X-Forwarded-For": second}).status_code == 200


# --- the shared store ----------------------------------------------------------

def _redis_keys(redis_url, fragment):
    import redis
    r = redis.Redis.from_url(redis_url)
    return [k.decode() for k in r.scan_iter(match=f"*{fragment}*")]


def test_the_storage_setting_is_used_and_redis_holds_the_counters(limited_config, redis_url):
    limited_config["RATELIMIT_STORAGE_URI"] = redis_url
    app = create_app(limited_config)
    from limits.storage import RedisStorage
    assert isinstance(limiter.storage, RedisStorage)
    ip = fresh_ip()
    client = _client(app, ip)
    for i in range(6):
        assert client.get(f"/en/search?q=x{i}").status_code != 429
    assert client.get("/en/search?q=y").status_code == 429
    keys = _redis_keys(redis_url, ip)
    assert keys, "no counter in Redis for this client"
    import redis
    redis.Redis.from_url(redis_url).delete(*keys)


def test_the_environment_variable_selects_redis(app_config, redis_url, monkeypatch):
    monkeypatch.setenv("HELPCENTER_RATELIMIT_STORAGE_URI", redis_url)
    app_config.pop("RATELIMIT_STORAGE_URI", None)
    app_config["RATELIMIT_ENABLED"] = True
    app = create_app(app_config)
    from limits.storage import RedisStorage
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    assert isinstance(limiter.storage, RedisStorage)


SECOND_INSTANCE = r"""
import json, sys
from helpcenter import create_app
config = json.loads(sys.argv[1])
app = create_app(config)
client = app.test_client()
client.environ_base["REMOTE_ADDR"] = sys.argv[2]
print(json.dumps([client.get(f"/en/search?q=other{i}").status_code for i in range(int(sys.argv[3]))]))
"""


def test_two_instances_share_the_counters_through_redis(limited_config, redis_url, tmp_path):
    """Another process (a second instance) spends part of the budget; this one sees it."""
    limited_config["RATELIMIT_STORAGE_URI"] = redis_url
    ip = fresh_ip()
    config = {k: v for k, v in limited_config.items() if isinstance(v, (str, int, bool, type(None)))}
    out = subprocess.run([sys.executable, "-c", SECOND_INSTANCE, json.dumps(config), ip, "4"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [200, 200, 200, 200]
    app = create_app(limited_config)
    client = _client(app, ip)
    assert [client.get(f"/en/search?q=mine{i}").status_code for i in range(3)] == [200, 200, 429]
    import redis
    keys = _redis_keys(redis_url, ip)
    if keys:
        redis.Redis.from_url(redis_url).delete(*keys)


def test_an_unreachable_store_falls_back_to_limiting_in_memory(limited_config):
    """Redis down: requests are still served (no 500) and still limited, per process."""
    limited_config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    limited_config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    app = create_app(limited_config)
    client = _client(app)
    statuses = [client.get(f"/en/search?q=z{i}").status_code for i in range(7)]
    assert 500 not in statuses
    assert statuses[-1] == 429, statuses
