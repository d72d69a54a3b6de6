"""Who is signed in, with Flask-Login; the billing backend says who that is.

Other packages use `current_contact()`, `sign_in_contact()`, `sign_out_contact()`,
`login_required`, `safe_next()`, `authenticate_form()` and `error_items()` (thin wrappers
over Flask-Login's current_user, login_user, logout_user and login_required); the sign-in
and sign-out pages live in views.py.

A session ends in four ways, all checked on the server at every request:

- sign-out bumps the contact's session generation (billing/identity.py): the session's user
  id carries the generation it was made with, so a copied cookie is refused afterwards;
- idle: no request for PERMANENT_SESSION_LIFETIME (30 minutes);
- absolute: SESSION_ABSOLUTE_LIFETIME (12 hours) after sign-in, however active;
- the contact was removed.

Times come from the app's injectable clock (helpcenter/clock.py), so tests move the clock
instead of sleeping. Flask's signed cookie enforces the idle limit too (its signature carries
a timestamp); the explicit check makes it hold whatever the cookie settings, and lets the
sign-in page say why the visitor has to sign in again.
"""
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, LoginManager, current_user, login_user, logout_user
from flask_login import login_required as _flask_login_required

EXPIRED_NOTICE = _l("You were signed out after a period without activity. Sign in again to continue where you were.")
SIGNED_IN_AT = "signed_in_at"  # session keys: POSIX seconds from the app's clock
SEEN_AT = "seen_at"

login_manager = LoginManager()
# Revocation is by session generation; Flask-Login's IP/browser fingerprint would sign out
# customers whose mobile address changes, and adds nothing once cookies are revocable.
login_manager.session_protection = None

# Flask-Login's decorator: an anonymous visitor goes to login_manager.unauthorized() below.
login_required = _flask_login_required


class SignedInContact:
    """Flask-Login's user: the contact's read model and the session generation it signed in with."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, contact, generation: int):
        self.contact = contact
        self.generation = generation

    def get_id(self) -> str:
        # Flask-Login's "alternative token": the id changes when the generation does.
        return f"{self.contact.contact_id}:{self.generation}"


class Anonymous(AnonymousUserMixin):
    contact = None


login_manager.anonymous_user = Anonymous


def init_app(app) -> None:
    from helpcenter.auth import views
    login_manager.init_app(app)
    views.register(app)
    app.before_request(_end_expired_session)
    app.after_request(_no_store_when_signed_in)
    app.jinja_env.globals["signed_in_contact"] = current_contact


@login_manager.user_loader
def _load_user(user_id: str):
    """The session's contact, or None when the contact is gone or the session was revoked."""
    from helpcenter.billing import identity
    from helpcenter.db import get_session
    contact_id, _sep, generation = (user_id or "").partition(":")
    contact = identity.signed_in_contact(get_session(), contact_id, generation)
    if contact is None:
        _forget_session()
        return None
    return SignedInContact(contact, int(generation))


@login_manager.unauthorized_handler
def _send_to_sign_in():
    """Send a signed-out visitor to the sign-in page, coming back here afterwards."""
    if g.get("session_expired") == "lifetime":
        hours = round(current_app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds() / 3600)
        flash(_("You were signed out: a session lasts at most %(hours)s hours after signing in. "
                "Sign in again to continue where you were.", hours=hours), "warning")
    elif g.get("session_expired"):
        flash(str(EXPIRED_NOTICE), "warning")
    # After a POST the visitor resumes on the page that held the form.
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.sign_in", next=target))


def current_contact():
    """The signed-in contact (billing read model), or None."""
    return current_user.contact if current_user.is_authenticated else None


def _now() -> float:
    return current_app.extensions["clock"].now().timestamp()


def sign_in_contact(contact) -> None:
    """Start a fresh session for this contact (a new session, never the pre-sign-in one)."""
    from helpcenter.billing import identity
    from helpcenter.db import get_session
    session.clear()  # nothing of the anonymous session is carried over (a run lives in its URL)
    session.permanent = True
    generation = identity.session_generation(get_session(), contact.contact_id) or 0
    login_user(SignedInContact(contact, generation))
    now = _now()
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


def sign_out_contact() -> None:
    """Revoke the contact's sessions on the server, then forget everything this one held."""
    from helpcenter.billing import identity
    from helpcenter.db import get_session
    contact = current_contact()
    if contact is not None:
        identity.end_sessions(get_session(), contact.contact_id)
    logout_user()
    _forget_session()


def _forget_session() -> None:
    session.clear()
    g.pop("_login_user", None)


def authenticate_form(form, staff_too: bool = False):
    """Check a validated SignInForm with the billing backend.

    Returns the contact, or None after putting the translated reason (bad credentials,
    too many attempts) on the form's email field. Does not sign in: call sign_in_contact().
    With staff_too (the sign-in page only), credentials no contact has are tried as a
    staff member's (helpcenter.staff), after the same throttle: a StaffMember may come back.
    A failure is marked on `g` so that the per-address rate limit counts it (security.py).
    """
    from helpcenter.billing import errors, identity
    from helpcenter.db import get_session
    from helpcenter.messages import billing_error_message
    clock = current_app.extensions["clock"]
    try:
        return identity.authenticate(get_session(), clock, form.email.data.strip(), form.password.data,
                                    ip=request.remote_addr, passwords=current_app.extensions["passwords"])
    except (errors.SignInFailed, errors.SignInThrottled) as error:
        if staff_too and isinstance(error, errors.SignInFailed):
            from helpcenter.staff import authenticate_staff
            member = authenticate_staff(get_session(), form.email.data, form.password.data,
                                        current_app.extensions["passwords"], ip=request.remote_addr)
            if member is not None:
                return member
        g.sign_in_failed = True
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


def _end_expired_session() -> None:
    """Sign out a session idle for longer than PERMANENT_SESSION_LIFETIME, or older than
    SESSION_ABSOLUTE_LIFETIME; otherwise record this request as activity."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    g.signed_in_request = True
    now = _now()
    seen, signed_in = session.get(SEEN_AT), session.get(SIGNED_IN_AT)
    config = current_app.config
    if not isinstance(seen, (int, float)) or not isinstance(signed_in, (int, float)):
        expired = "idle"  # a session from before these keys existed
    elif now - signed_in > config["SESSION_ABSOLUTE_LIFETIME"].total_seconds():
        expired = "lifetime"
    elif now - seen > config["PERMANENT_SESSION_LIFETIME"].total_seconds():
        expired = "idle"
    else:
        expired = None
    if expired:
        logout_user()
        _forget_session()
        g.session_expired = expired  # the sign-in page says why
        return
    session[SEEN_AT] = now


def _no_store_when_signed_in(response):
    """Nothing shown to a signed-in visitor may stay in a cache (Back after sign-out on a shared computer)."""
    # Static files are the same for everyone (no personal data): they stay cacheable.
    if request.endpoint != "static" and (g.get("signed_in_request") or "_user_id" in session):
        response.headers["Cache-Control"] = "no-store"
    return response
