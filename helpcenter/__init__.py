"""helpcenter: a French/English help centre with a guided seat-change workflow."""
from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints."""
    from helpcenter.security import App
    app = App(__name__, instance_relative_config=True)

    from helpcenter import catalogs, config
    config.load(app, test_config)
    catalogs.ensure_compiled(app.config["TRANSLATIONS_DIR"], production=app.config["ENV"] == "production")

    from helpcenter import db, errors, i18n, messages, security
    from helpcenter.billing.identity import Passwords
    from helpcenter.clock import Clock
    from helpcenter.extensions import csrf, limiter
    app.extensions["clock"] = Clock.from_setting(app.config["TODAY"])
    app.extensions["passwords"] = Passwords(app.config["PASSWORD_HASH_PROFILE"])
    security.init_app(app)  # first: its request checks run before CSRF, rate limits and sign-in
    db.init_app(app)
    i18n.init_app(app)
    messages.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    errors.init_app(app)

    from helpcenter import account, agent, articles, auth, contact, help, staff, static_files, workflows
    articles.init_app(app)
    static_files.init_app(app)
    help.init_app(app)
    auth.init_app(app)
    staff.init_app(app)
    workflows.init_app(app)
    account.init_app(app)
    contact.init_app(app)
    agent.init_app(app)

    from helpcenter import dev
    dev.init_app(app)  # development only: /dev/outbox

    from helpcenter import cli
    cli.init_app(app)
    security.apply_rate_limits(app)  # after every blueprint: limits by endpoint
    return app
