"""Who is signed in: the session holds a contact id; the billing backend says who that is.

Other packages use `current_contact()`, `sign_in_contact()`, `sign_out_contact()`,
`login_required` and `safe_next()`; the sign-in and sign-out pages live in views.py.
"""
import functools
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for


def init_app(app) -> None:
    from helpcenter.auth import views
    views.register(app)
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
    keep = {k: session[k] for k in ("wizard_runs",) if k in session}
    session.clear()
    session.update(keep)
    session.permanent = True
    session["contact_id"] = contact.contact_id
    session["signed_in_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    g.contact = contact


def sign_out_contact() -> None:
    session.clear()
    g.contact = None


def safe_next(target: str | None) -> str | None:
    """A same-site path taken from a request (`next=`), or None when it points elsewhere."""
    if not target or len(target) > 2000:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
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
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped
