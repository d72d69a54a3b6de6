"""Sign in and sign out (placeholder)."""
from flask import render_template

from helpcenter.i18n import localized_blueprint

bp = localized_blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    return render_template("base.html")


@bp.post("/sign-out")
def sign_out():
    return render_template("base.html")


def register(app) -> None:
    app.register_blueprint(bp)
