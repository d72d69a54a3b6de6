"""Development-only pages: /dev/outbox lists the emails the app wrote (no mail server needed).

Registered only when ENV is "development": in production the URL does not exist (404)."""
from flask import Blueprint, current_app, render_template

from helpcenter.billing import outbox
from helpcenter.db import get_session

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox_page():
    """The newest emails of the outbox, with their text part, sent or kept."""
    return render_template("dev/outbox.html", messages=outbox.list_messages(get_session()),
                           mail_server=current_app.config.get("MAIL_SERVER"))


def init_app(app) -> None:
    if app.config["ENV"] == "development":
        app.register_blueprint(bp)
