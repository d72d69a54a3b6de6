"""Help centre pages (placeholder until the help issue lands)."""
from flask import redirect, render_template, url_for

from helpcenter.i18n import localized_blueprint, preferred_language

bp = localized_blueprint("help", __name__)


@bp.get("/")
def home():
    return render_template("base.html")


@bp.get("/search")
def search():
    return render_template("base.html")


def register(app) -> None:
    app.register_blueprint(bp)

    @app.get("/")
    def root():
        return redirect(url_for("help.home", lang=preferred_language()), 302)
