"""Account pages (placeholder)."""
from flask import render_template

from helpcenter.i18n import localized_blueprint

bp = localized_blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
def overview():
    return render_template("base.html")


def register(app) -> None:
    app.register_blueprint(bp)
