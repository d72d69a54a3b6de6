"""helpcenter: a French/English help centre with a guided seat-change workflow."""
from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints."""
    app = Flask(__name__, instance_relative_config=True)

    from helpcenter import config
    config.load(app, test_config)

    from helpcenter import db, errors, i18n, messages, security
    from helpcenter.clock import Clock
    from helpcenter.extensions import csrf, limiter
    app.extensions["clock"] = Clock.from_setting(app.config["TODAY"])
    db.init_app(app)
    i18n.init_app(app)
    messages.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from helpcenter import account, auth, help, static_files, wizard
    static_files.init_app(app)
    help.init_app(app)
    auth.init_app(app)
    wizard.init_app(app)
    account.init_app(app)

    from helpcenter import cli
    cli.init_app(app)
    security.apply_rate_limits(app)  # after every blueprint: limits by endpoint
    return app
