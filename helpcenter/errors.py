"""Translated error pages (404, 405, 429, 500, CSRF failure) in the page's language."""
from flask import render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("We could not find this page. It may have moved, or the address may be mistyped.")),
    405: (_l("Method not allowed"), _l("This page cannot be used that way. Please go back and use the buttons on the page.")),
    413: (_l("Request too large"), _l("What you sent is too large. Please shorten it and try again.")),
    429: (_l("Too many attempts"), _l("You have made too many attempts. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred on our side. Nothing was changed. Please try again in a moment.")),
}
CONTROL_CHARACTERS_MESSAGE = (
    _l("Characters that are not allowed"),
    _l("What you sent contains invisible control characters (such as a null byte) that this site does not "
       "accept. Go back, retype the text without them and try again. Nothing was changed."))
CSRF_MESSAGE = (_l("Your session has expired"),
                _l("For your security, this form has expired. Go back, reload the page and submit it again. Nothing was changed."))


class ControlCharacters(BadRequest):
    """NUL or another control character in the path, the query or a form field (security.py)."""


def render_error(code: int, title, message):
    if request_ctx and request_ctx.url_adapter is None:
        # No URL can be built (a Host header outside TRUSTED_HOSTS): the page's links would
        # fail, so the answer is plain text.
        return f"{title}\n\n{message}\n", code, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("error.html", code=code, title=title, message=message), code


def init_app(app) -> None:
    @app.errorhandler(ControlCharacters)
    def _control_characters(_error):
        return render_error(400, *CONTROL_CHARACTERS_MESSAGE)

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        return render_error(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        title, message = MESSAGES.get(error.code, MESSAGES[400] if error.code < 500 else MESSAGES[500])
        response = render_error(error.code, title, message)
        if error.code == 405 and getattr(error, "valid_methods", None):
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response
