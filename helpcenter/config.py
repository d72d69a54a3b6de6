"""Settings: defaults first, then HELPCENTER_* environment variables."""
import secrets
from datetime import timedelta
from pathlib import Path

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
    "RATELIMIT_STORAGE_URI": "memory://",
    # Rate limits (helpcenter/security.py RATE_LIMITS); Flask-Limiter reads the RATELIMIT_* keys.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_SIGN_IN": "10 per minute;100 per hour",  # sign-in POSTs per client IP
    "RATELIMIT_SIGN_IN_EMAIL": "10 per 15 minutes",  # sign-in POSTs per submitted email address
    "RATELIMIT_SEARCH": "60 per minute",  # searches per client IP
    "RATELIMIT_FEEDBACK": "10 per minute;100 per day",  # article feedback POSTs per client IP
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
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "DB_POOL_SIZE": 5,
    "DB_MAX_OVERFLOW": 5,
}

INSECURE_SECRETS = {"", "dev", "changeme", "secret", "development"}


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
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg.setdefault("PREFERRED_URL_SCHEME", "https")
    elif not secret:
        cfg["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    if cfg["TODAY"] is not None:
        cfg["TODAY"] = str(cfg["TODAY"])
    cfg["MAIL_PORT"] = int(cfg["MAIL_PORT"])


def _development_secret(instance: Path) -> str:
    """Generate the development secret once and keep it in the instance folder."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
