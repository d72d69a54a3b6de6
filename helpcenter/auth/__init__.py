"""Who is signed in: the session holds a contact id; the billing backend says who that is.

Other packages use `current_contact()`, `sign_in_contact()`, `sign_out_contact()`,
`login_required`, `safe_next()`, `authenticate_form()` and `error_items()`; the sign-in and sign-out pages
live in views.py.

Sessions are permanent cookies with an idle lifetime (PERMANENT_SESSION_LIFETIME): every
request of a signed-in contact records when it was seen, and a session left idle for
longer is treated as signed out. Flask's signed cookie enforces the same limit (its
signature carries a timestamp); the explicit check makes it hold whatever the cookie
settings, and lets the sign-in page say why the visitor has to sign in again.
"""
import functools
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

# Keys a sign-in carries over from the anonymous session; everything else is dropped.
KEPT_AT_SIGN_IN = ("wizard_runs",)
EXPIRED_NOTICE = _l("You were signed out after a period without activity. Sign in again to continue where you were.")


def init_app(app) -> None:
    from helpcenter.auth import views
    views.register(app)
    app.before_request(_end_idle_session)
    app.jinja_env.globals["signed_in_contact"] = current_contact


def current_contact():
    """The signed-in contact (billing read model), or None."""
    if "contact" not in g:
        contact_id = session.get("contact_id")
        contact = None
        if contact_id is not None:
            from helpcenter.billing import service
            from helpcenter.db import get_session
            contact = service.get_contact(get_session(), contact_id)
            if contact is None:  # the contact was removed: forget the stale session
                session.clear()
        g.contact = contact
    return g.contact


def sign_in_contact(contact) -> None:
    """Start a fresh session for this contact (a new session, never the pre-sign-in one)."""
    keep = {k: session[k] for k in KEPT_AT_SIGN_IN if k in session}
    session.clear()
    session.update(keep)
    session.permanent = True
    session["contact_id"] = contact.contact_id
    # A new random value makes the signed-in cookie differ from anything seen before sign-in.
    session["sid"] = secrets.token_urlsafe(16)
    session["signed_in_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    session["seen_at"] = int(time.time())
    g.contact = contact


def sign_out_contact() -> None:
    """Forget everything the session held."""
    session.clear()
    g.contact = None


def authenticate_form(form, staff_too: bool = False):
    """Check a validated SignInForm with the billing backend.

    Returns the contact, or None after putting the translated reason (bad credentials,
    too many attempts) on the form's email field. Does not sign in: call sign_in_contact().
    With staff_too (the sign-in page only), credentials no contact has are tried as a
    staff member's (helpcenter.staff), after the same throttle: a StaffMember may come back.
    """
    from helpcenter.billing import errors, service
    from helpcenter.db import get_session
    from helpcenter.messages import billing_error_message
    clock = current_app.extensions["clock"]
    try:
        return service.authenticate(get_session(), clock, form.email.data.strip(), form.password.data,
                                    ip=request.remote_addr)
    except (errors.SignInFailed, errors.SignInThrottled) as error:
        if staff_too and isinstance(error, errors.SignInFailed):
            from helpcenter.staff import authenticate_staff
            member = authenticate_staff(get_session(), form.email.data, form.password.data)
            if member is not None:
                return member
        form.email.errors = [*form.email.errors, billing_error_message(error)]
        return None


def error_items(form) -> list[tuple[str, str]]:
    """(field id, message) for every error of a form, in field order, for an error summary."""
    return [(field.id, str(message)) for field in form
            if field.type != "CSRFTokenField" for message in field.errors]


def safe_next(target: str | None) -> str | None:
    """A same-site path taken from a request (`next=`), or None when it points elsewhere."""
    if not target or len(target) > 2000:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def login_required(view):
    """Send a signed-out visitor to the sign-in page, coming back here afterwards."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_contact() is None:
            if g.get("session_expired"):
                flash(str(EXPIRED_NOTICE), "warning")
            # After a POST the visitor resumes on the page that held the form.
            target = request.full_path.rstrip("?") if request.method == "GET" else request.path
            return redirect(url_for("auth.sign_in", next=target))
        return view(*args, **kwargs)
    return wrapped


def _end_idle_session() -> None:
    """Treat a session idle for longer than PERMANENT_SESSION_LIFETIME as signed out."""
    if "contact_id" not in session or request.endpoint == "static":
        return
    now = time.time()
    seen = session.get("seen_at")
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if not isinstance(seen, (int, float)) or now - seen > lifetime:
        sign_out_contact()
        g.session_expired = True
        return
    session["seen_at"] = int(now)
