"""Settings: defaults first, then HELPCENTER_* environment variables."""
import math
import secrets
import zlib
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "ENV": "development",
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "TODAY": None,  # ISO date pinning the billing calendar; None: the real date (UTC)
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_DEFAULT_SENDER": "Billing Centre <billing@helpcenter.example>",
    "MAIL_TIMEOUT": 10,
    "SELLER_COUNTRY": "IE",
    # Corporate accounts (wizard's corporate page): where they manage quotes and invoices, and
    # the team that looks after them (each account's dedicated advisor is in its own data).
    "CORPORATE_PORTAL_URL": "https://corporate.vendor.example/",
    "CORPORATE_SERVICES_EMAIL": "corporate-services@vendor.example",
    "CORPORATE_SERVICES_PHONE": "+1 555 0199",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Rate limits (helpcenter/security.py RATE_LIMITS); Flask-Limiter reads the RATELIMIT_* keys.
    "RATELIMIT_ENABLED": True,
    # Failed sign-ins per client IP, both sign-in forms together (successes are not counted);
    # per email and per (email, address) the billing backend throttles (billing/identity.py).
    "RATELIMIT_SIGN_IN": "10 per minute;100 per hour",
    "RATELIMIT_SEARCH": "60 per minute",  # searches per client IP
    "RATELIMIT_FEEDBACK": "10 per minute;100 per day",  # article feedback POSTs per client IP
    "RATELIMIT_CONTACT": "5 per minute;20 per day",  # support requests (/<lang>/contact POSTs) per client IP
    "RATELIMIT_NEW_CARD": "5 per 10 minutes;20 per day",  # new-card submits per client IP (card testing)
    "RATELIMIT_NEW_CARD_ACCOUNT": "10 per hour;30 per day",  # new-card submits per signed-in account
    "RATELIMIT_KEY_PREFIX": "helpcenter",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,  # shared store unreachable: keep limiting per process
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # larger request bodies get the translated 413 page
    "TRUSTED_PROXY_COUNT": 0,  # reverse proxies in front (X-Forwarded-For/-Proto are trusted that many hops)
    "ARTICLES_DIR": str(PROJECT_ROOT / "articles"),
    "TRANSLATIONS_DIR": str(PROJECT_ROOT / "translations"),
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
    "BABEL_DEFAULT_LOCALE": "en",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),  # idle lifetime: renewed by every request
    "SESSION_ABSOLUTE_LIFETIME": timedelta(hours=12),  # from sign-in, whatever the activity
    # Argon2id parameters (billing/identity.py HASH_PROFILES); production refuses anything but the real one.
    "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
    # The site's public address (https://help.example.com): every external URL is built from it
    # (canonical, hreflang, sitemap, robots, emails, redirects). Required in production.
    "BASE_URL": None,
    # Host headers served; None: the BASE_URL's host when it is set, else any (development).
    "TRUSTED_HOSTS": None,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "DB_POOL_SIZE": 5,
    "DB_MAX_OVERFLOW": 5,
}

# Defaults that only stand in for the vendor's real addresses: production refuses them.
CUSTOMER_FACING_PLACEHOLDERS = ("CORPORATE_PORTAL_URL", "CORPORATE_SERVICES_EMAIL", "CORPORATE_SERVICES_PHONE",
                                "MAIL_DEFAULT_SENDER")

INSECURE_SECRETS = {"", "dev", "changeme", "secret", "development"}
SECRET_MIN_BITS = 128  # estimated entropy a production SECRET_KEY must reach


class ConfigError(RuntimeError):
    """The configuration cannot run the app."""


def load(app, test_config=None):
    """Fill app.config from defaults, the environment, then test overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("HELPCENTER")
    if test_config:
        app.config.from_mapping(test_config)
    cfg = app.config
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'helpcenter.db'}"
    production = cfg["ENV"] == "production"
    secret = cfg.get("SECRET_KEY")
    if production:
        if not secret or str(secret) in INSECURE_SECRETS or len(str(secret)) < 16:
            raise ConfigError("HELPCENTER_SECRET_KEY must be set to a long random value in production")
        if not secret_is_random_enough(str(secret)):
            raise ConfigError("HELPCENTER_SECRET_KEY looks guessable (too few different characters or a "
                              "repeated pattern): generate one, e.g. python -c 'import secrets; "
                              "print(secrets.token_urlsafe(48))'")
        if cfg["PASSWORD_HASH_PROFILE"] != PRODUCTION_HASH_PROFILE:
            raise ConfigError(f"HELPCENTER_PASSWORD_HASH_PROFILE must be {PRODUCTION_HASH_PROFILE} in production")
        if not cfg["BASE_URL"]:
            raise ConfigError("HELPCENTER_BASE_URL must be set in production (e.g. https://help.example.com): "
                              "every link the site sends out is built from it")
        placeholders = [f"HELPCENTER_{name}" for name in CUSTOMER_FACING_PLACEHOLDERS if cfg.get(name) == DEFAULTS[name]]
        if placeholders:
            raise ConfigError(f"{', '.join(placeholders)} still hold the examples the code ships with: "
                              "customers would be sent to, or get emails from, addresses that do not "
                              "exist. Set the real ones.")
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg.setdefault("PREFERRED_URL_SCHEME", "https")
    elif not secret:
        cfg["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    _base_url_and_hosts(cfg)
    for name in ("PERMANENT_SESSION_LIFETIME", "SESSION_ABSOLUTE_LIFETIME"):
        if not isinstance(cfg[name], timedelta):  # from the environment: seconds
            cfg[name] = timedelta(seconds=int(cfg[name]))
    if cfg["TODAY"] is not None:
        cfg["TODAY"] = str(cfg["TODAY"])
    cfg["MAIL_PORT"] = int(cfg["MAIL_PORT"])


PRODUCTION_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # = billing.identity.PRODUCTION_PROFILE


def secret_is_random_enough(secret: str) -> bool:
    """An estimate, not a proof: enough bits by character frequencies, and no repeated pattern."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    if per_char * len(secret) < SECRET_MIN_BITS or len(counts) < 10:
        return False
    # A pattern repeated ("abcdefghij" * 6) has many characters but compresses away.
    packed = len(zlib.compress(secret.encode("utf-8"), 9))
    return packed >= 0.5 * len(secret.encode("utf-8"))


def _base_url_and_hosts(cfg) -> None:
    """Check BASE_URL (scheme and host, no query) and derive TRUSTED_HOSTS from it when unset."""
    base = cfg.get("BASE_URL")
    if base:
        parts = urlsplit(str(base))
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError(f"HELPCENTER_BASE_URL must look like https://help.example.com, not {base!r}")
        cfg["BASE_URL"] = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    hosts = cfg.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):  # HELPCENTER_TRUSTED_HOSTS=help.example.com,www.help.example.com
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    if not hosts and base:
        hosts = [urlsplit(cfg["BASE_URL"]).hostname]
    cfg["TRUSTED_HOSTS"] = list(hosts) if hosts else None


def _development_secret(instance: Path) -> str:
    """Generate the development secret once and keep it in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
