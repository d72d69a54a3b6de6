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
    "ARTICLES_DIR": str(PROJECT_ROOT / "articles"),
    "TRANSLATIONS_DIR": str(PROJECT_ROOT / "translations"),
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
    "BABEL_DEFAULT_LOCALE": "en",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=2),
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
