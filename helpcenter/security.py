"""The edge of the app: what every request and response goes through.

- response headers that hold on every page;
- the trusted-proxy setting (TRUSTED_PROXY_COUNT) and a production warning when forwarded
  headers arrive without it;
- external URLs built from BASE_URL, never from the request's Host header (`App`), and
  requests for other hosts refused (Flask's TRUSTED_HOSTS);
- NUL and control characters refused in the path, the query and form fields (one 400 page);
- the rate limits.

Rate limits are applied here, in one place, after every blueprint is registered
(`apply_rate_limits(app)` at the end of create_app): the views stay free of policy, and
SECURITY.md can point at one table (RATE_LIMITS). The limits themselves are settings
(RATELIMIT_SIGN_IN, ...), so an operator can tighten them without a code change; the
counters live in RATELIMIT_STORAGE_URI (memory:// per process by default, redis://... to
share them between workers and machines).
"""
import logging
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from helpcenter.errors import ControlCharacters

log = logging.getLogger(__name__)

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class App(Flask):
    """Flask, with external URLs (and the redirects Werkzeug builds) taken from BASE_URL."""

    def create_url_adapter(self, request):
        adapter = super().create_url_adapter(request)
        base = self.config.get("BASE_URL")
        if adapter is not None and base:
            # Matching ignores these two (no host matching); building uses them: canonical and
            # hreflang links, the sitemap, robots.txt, email links and slash redirects.
            parts = urlsplit(base)
            adapter.url_scheme, adapter.server_name = parts.scheme, parts.netloc
        return adapter


# C0 controls and DEL, and C1 controls. Form fields may hold tabs and line breaks (a message).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def reject_control_characters() -> None:
    """Refuse a request carrying control characters before any view, form or database sees it."""
    if _CONTROL.search(request.path) or any(
            _CONTROL.search(key) or _CONTROL.search(value) for key, value in request.args.items(multi=True)):
        raise ControlCharacters()
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and any(
            _CONTROL.search(key) or _CONTROL_IN_TEXT.search(value) for key, value in request.form.items(multi=True)):
        raise ControlCharacters()


def init_app(app) -> None:
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies > 0:
        # Behind a reverse proxy the client address and scheme come from X-Forwarded-For/-Proto,
        # trusted for exactly that many hops (rate limits per client IP, HSTS, Secure redirects).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    elif app.config["ENV"] == "production":
        log.warning("HELPCENTER_TRUSTED_PROXY_COUNT is 0: if a proxy forwards requests to this app, every "
                    "client will look like the proxy; set it to the number of proxies in front")
        app.extensions["forwarding_warned"] = False
        app.before_request(_warn_about_untrusted_forwarding)
    # First of all hooks: nothing (CSRF, rate limits, sign-in) reads a hostile value before this.
    app.before_request_funcs.setdefault(None, []).insert(0, reject_control_characters)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(self)")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _warn_about_untrusted_forwarding() -> None:
    """Production, no TRUSTED_PROXY_COUNT, and a request came through a proxy: say so once."""
    if "X-Forwarded-For" in request.headers and not current_app.extensions["forwarding_warned"]:
        current_app.extensions["forwarding_warned"] = True
        log.warning("requests arrive with X-Forwarded-For but HELPCENTER_TRUSTED_PROXY_COUNT is 0: every "
                    "client looks like the proxy (%s), so rate limits and the audit trail see one address. "
                    "Set HELPCENTER_TRUSTED_PROXY_COUNT to the number of proxies in front (README, "
                    "Running in production).", request.remote_addr)


# --- rate limits -------------------------------------------------------------

def client_ip() -> str:
    """The client's address (after ProxyFix when TRUSTED_PROXY_COUNT is set)."""
    return "ip:" + (get_remote_address() or "unknown")


def signed_in_account() -> str:
    """The signed-in contact's account (new cards are limited per account as well as per address)."""
    from helpcenter.auth import current_contact
    contact = current_contact()
    return f"account:{contact.account_id}" if contact is not None else client_ip()


def not_a_new_card() -> bool:
    """Only submits that send a new card count towards the card limits (not "keep the card on file")."""
    return request.form.get("payment_method") == "saved" or request.form.get("action") == "keep"


def _setting(name: str) -> Callable[[], str]:
    def provider() -> str:
        return current_app.config[name]
    provider.__name__ = f"setting_{name.lower()}"
    return provider


def sign_in_failed(_response) -> bool:
    """Only failed sign-ins use up the budget (helpcenter.auth.authenticate_form marks them)."""
    return bool(g.get("sign_in_failed"))


@dataclass(frozen=True)
class Rule:
    endpoint: str                 # Flask endpoint the rule wraps
    setting: str                  # app.config key holding the limit string ("10 per minute;100 per hour")
    key: Callable[[], str]        # what is counted: client_ip
    methods: tuple[str, ...]      # only these methods count
    exempt_when: Callable[[], bool] | None = None
    shared: str | None = None     # a scope name: every endpoint with it draws on one budget
    deduct_when: Callable | None = None  # count only the responses it accepts


_SIGN_IN_IP = _setting("RATELIMIT_SIGN_IN")
_SEARCH = _setting("RATELIMIT_SEARCH")
_FEEDBACK = _setting("RATELIMIT_FEEDBACK")
_CONTACT = _setting("RATELIMIT_CONTACT")
_NEW_CARD = _setting("RATELIMIT_NEW_CARD")
_NEW_CARD_ACCOUNT = _setting("RATELIMIT_NEW_CARD_ACCOUNT")

# One table of every limit. Endpoints missing from the app (a part not built) are skipped;
# tests/security/test_rate_limits.py asserts that each is present and really limits.
# Sign-in: one budget of failures per address for both forms (the page and the workflow's
# first step); per email and per (email, address) the billing backend throttles, so that a
# stranger's failures never lock the owner out (billing/identity.py).
RATE_LIMITS = (
    Rule("auth.sign_in", "RATELIMIT_SIGN_IN", client_ip, ("POST",), shared="sign-in", deduct_when=sign_in_failed),
    Rule("wizard.sign_in", "RATELIMIT_SIGN_IN", client_ip, ("POST",), shared="sign-in",
         deduct_when=sign_in_failed),
    Rule("payment_wizard.sign_in", "RATELIMIT_SIGN_IN", client_ip, ("POST",), shared="sign-in",
         deduct_when=sign_in_failed),
    # Card testing: new cards at the seat payment step and the payment-details card step.
    Rule("wizard.payment", "RATELIMIT_NEW_CARD", client_ip, ("POST",), not_a_new_card),
    Rule("wizard.payment", "RATELIMIT_NEW_CARD_ACCOUNT", signed_in_account, ("POST",), not_a_new_card),
    Rule("payment_wizard.card", "RATELIMIT_NEW_CARD", client_ip, ("POST",), not_a_new_card),
    Rule("payment_wizard.card", "RATELIMIT_NEW_CARD_ACCOUNT", signed_in_account, ("POST",), not_a_new_card),
    Rule("help.search", "RATELIMIT_SEARCH", client_ip, ("GET", "HEAD")),
    Rule("help.feedback", "RATELIMIT_FEEDBACK", client_ip, ("POST",)),
    Rule("contact.contact", "RATELIMIT_CONTACT", client_ip, ("POST",)),
)
_PROVIDERS = {"RATELIMIT_SIGN_IN": _SIGN_IN_IP, "RATELIMIT_SEARCH": _SEARCH, "RATELIMIT_FEEDBACK": _FEEDBACK,
              "RATELIMIT_CONTACT": _CONTACT, "RATELIMIT_NEW_CARD": _NEW_CARD,
              "RATELIMIT_NEW_CARD_ACCOUNT": _NEW_CARD_ACCOUNT}


def apply_rate_limits(app) -> list[Rule]:
    """Wrap the limited views of `app` with Flask-Limiter limits; returns the rules applied.

    Call once per app, after every blueprint is registered. Flask-Limiter keeps decorated
    limits by the view's qualified name and de-duplicates equal limits, so building several
    apps in one process (tests) does not stack them.
    """
    from helpcenter.extensions import limiter
    applied = []
    for rule in RATE_LIMITS:
        view = app.view_functions.get(rule.endpoint)
        if view is None:
            continue
        options = dict(key_func=rule.key, methods=list(rule.methods), exempt_when=rule.exempt_when,
                       override_defaults=False, deduct_when=rule.deduct_when)
        if rule.shared:
            limit = limiter.shared_limit(_PROVIDERS[rule.setting], scope=rule.shared, **options)
        else:
            limit = limiter.limit(_PROVIDERS[rule.setting], **options)
        app.view_functions[rule.endpoint] = limit(view)
        applied.append(rule)
    app.extensions["rate_limit_rules"] = applied
    return applied
