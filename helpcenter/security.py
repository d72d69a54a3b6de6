"""Response headers that hold on every page, the trusted-proxy setting, and the rate limits.

Rate limits are applied here, in one place, after every blueprint is registered
(`apply_rate_limits(app)` at the end of create_app): the views stay free of policy, and
SECURITY.md can point at one table (RATE_LIMITS). The limits themselves are settings
(RATELIMIT_SIGN_IN, ...), so an operator can tighten them without a code change; the
counters live in RATELIMIT_STORAGE_URI (memory:// per process by default, redis://... to
share them between workers and machines).
"""
import hashlib
from dataclasses import dataclass
from typing import Callable

from flask import current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

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


def init_app(app) -> None:
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies > 0:
        # Behind a reverse proxy the client address and scheme come from X-Forwarded-For/-Proto,
        # trusted for exactly that many hops (rate limits per client IP, HSTS, Secure redirects).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

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


# --- rate limits -------------------------------------------------------------

def client_ip() -> str:
    """The client's address (after ProxyFix when TRUSTED_PROXY_COUNT is set)."""
    return "ip:" + (get_remote_address() or "unknown")


def submitted_email() -> str:
    """The email address a sign-in form submits, normalised and hashed (short, fixed-size key)."""
    email = (request.form.get("email") or "").strip().lower()[:320]
    return "email:" + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()[:32]


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


@dataclass(frozen=True)
class Rule:
    endpoint: str                 # Flask endpoint the rule wraps
    setting: str                  # app.config key holding the limit string ("10 per minute;100 per hour")
    key: Callable[[], str]        # what is counted: client_ip or submitted_email
    methods: tuple[str, ...]      # only these methods count
    exempt_when: Callable[[], bool] | None = None


_SIGN_IN_IP = _setting("RATELIMIT_SIGN_IN")
_SIGN_IN_EMAIL = _setting("RATELIMIT_SIGN_IN_EMAIL")
_SEARCH = _setting("RATELIMIT_SEARCH")
_FEEDBACK = _setting("RATELIMIT_FEEDBACK")
_NEW_CARD = _setting("RATELIMIT_NEW_CARD")
_NEW_CARD_ACCOUNT = _setting("RATELIMIT_NEW_CARD_ACCOUNT")

# One table of every limit. Endpoints missing from the app (a part not built) are skipped;
# tests/security/test_rate_limits.py asserts that each is present and really limits.
RATE_LIMITS = (
    Rule("auth.sign_in", "RATELIMIT_SIGN_IN", client_ip, ("POST",)),
    Rule("auth.sign_in", "RATELIMIT_SIGN_IN_EMAIL", submitted_email, ("POST",)),
    Rule("wizard.sign_in", "RATELIMIT_SIGN_IN", client_ip, ("POST",)),
    Rule("wizard.sign_in", "RATELIMIT_SIGN_IN_EMAIL", submitted_email, ("POST",)),
    Rule("payment_wizard.sign_in", "RATELIMIT_SIGN_IN", client_ip, ("POST",)),
    Rule("payment_wizard.sign_in", "RATELIMIT_SIGN_IN_EMAIL", submitted_email, ("POST",)),
    # Card testing: new cards at the seat payment step and the payment-details card step.
    Rule("wizard.payment", "RATELIMIT_NEW_CARD", client_ip, ("POST",), not_a_new_card),
    Rule("wizard.payment", "RATELIMIT_NEW_CARD_ACCOUNT", signed_in_account, ("POST",), not_a_new_card),
    Rule("payment_wizard.card", "RATELIMIT_NEW_CARD", client_ip, ("POST",), not_a_new_card),
    Rule("payment_wizard.card", "RATELIMIT_NEW_CARD_ACCOUNT", signed_in_account, ("POST",), not_a_new_card),
    Rule("help.search", "RATELIMIT_SEARCH", client_ip, ("GET", "HEAD")),
    Rule("help.feedback", "RATELIMIT_FEEDBACK", client_ip, ("POST",)),
)
_PROVIDERS = {"RATELIMIT_SIGN_IN": _SIGN_IN_IP, "RATELIMIT_SIGN_IN_EMAIL": _SIGN_IN_EMAIL,
              "RATELIMIT_SEARCH": _SEARCH, "RATELIMIT_FEEDBACK": _FEEDBACK,
              "RATELIMIT_NEW_CARD": _NEW_CARD, "RATELIMIT_NEW_CARD_ACCOUNT": _NEW_CARD_ACCOUNT}


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
        limit = limiter.limit(_PROVIDERS[rule.setting], key_func=rule.key, methods=list(rule.methods),
                              exempt_when=rule.exempt_when, override_defaults=False)
        app.view_functions[rule.endpoint] = limit(view)
        applied.append(rule)
    app.extensions["rate_limit_rules"] = applied
    return applied
