""""Still need help?": a request to support from any page (spec section 5, /<lang>/contact)."""
from urllib.parse import urlencode

from flask import request, url_for

# Query parameters never copied into the "page" a request came from: a workflow run's id is
# a capability of that browser, not something support needs (the reference names the run).
PRIVATE_PARAMETERS = ("run", "csrf_token", "revision")


def init_app(app) -> None:
    from helpcenter.contact import views
    views.register(app)
    app.jinja_env.globals["contact_url"] = contact_url


def contact_url(reference: str | None = None) -> str:
    """The contact form, prefilled with the page being shown and a workflow reference."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in PRIVATE_PARAMETERS]
    page = request.path + (f"?{urlencode(args)}" if args else "")
    params = {"page": page}
    if reference:
        params["reference"] = reference
    return url_for("contact.contact", **params)
