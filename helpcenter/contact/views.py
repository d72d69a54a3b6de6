"""/<lang>/contact: the form, and the page that says the request was received."""
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for

from helpcenter.auth import current_contact, error_items, safe_next
from helpcenter.billing import outbox
from helpcenter.contact.forms import REFERENCE_RE, ContactForm, normalise_reference
from helpcenter.contact.operations import record_support_request
from helpcenter.db import get_session
from helpcenter.i18n import current_language, localized_blueprint

bp = localized_blueprint("contact", __name__)

SENT_KEY = "support_request_sent"  # the number of the request just sent, for the thank-you page


def came_from() -> str | None:
    """The same-site page the customer came from: `page=` in the query, else the Referer."""
    page = safe_next(request.args.get("page"))
    if page is None and request.referrer:
        referrer = urlsplit(request.referrer)
        if referrer.netloc == request.host:
            page = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    if page and urlsplit(page).path.rstrip("/").endswith("/contact"):
        return None  # the form itself says nothing about where the customer was
    return page


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    """Ask support for help, prefilled with the page and the workflow reference the customer came from."""
    contact = current_contact()
    form = ContactForm()
    if request.method == "GET":
        form.page.data = came_from()
        reference = normalise_reference(request.args.get("reference"))
        form.reference.data = reference if reference and REFERENCE_RE.match(reference) else None
        if contact is not None:
            form.email.data = contact.email
    elif form.validate_on_submit():
        number = _send(form, contact)
        session[SENT_KEY] = number
        return redirect(url_for("contact.sent"), code=303)
    return render_template("contact/form.html", form=form, errors=error_items(form), has_errors=bool(form.errors))


def _send(form: ContactForm, contact) -> int:
    db = get_session()
    support_request, message_id = record_support_request(
        db, email=form.email.data, message=form.message.data, reference=form.reference.data,
        page=safe_next(form.page.data), lang=current_language(),
        account_id=contact.account_id if contact else None, contact_id=contact.contact_id if contact else None,
        now=datetime.now(timezone.utc), translations_dir=current_app.config["TRANSLATIONS_DIR"])
    # Sent once the request commits, like the order confirmation: a failed send stays in the
    # outbox for send-mail; a request that fails rolls back both the request and its email.
    outbox.send_after_commit(db, outbox.MailSettings.from_mapping(current_app.config), message_id,
                             "the acknowledgement of a support request")
    return support_request.id


@bp.get("/contact/sent")
def sent():
    """The request was received: its number, and what happens next."""
    number = session.get(SENT_KEY)
    if number is None:
        return redirect(url_for("contact.contact"), code=303)
    return render_template("contact/sent.html", number=number)


def register(app) -> None:
    app.register_blueprint(bp)
