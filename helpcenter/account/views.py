"""The account overview and the seat-assignment page.

Every view reads the account of the signed-in contact only: the billing service is always
asked with that contact's account (or contact id), so an id from another account is a
NotFound, shown as a plain 404 that says nothing about whether the id exists.
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from helpcenter.account.forms import AddUserForm
from helpcenter.auth import current_contact, error_items, login_required
from helpcenter.billing import accounts, errors, users
from helpcenter.billing import seats as seat_assignments
from helpcenter.billing.outbox import MailSettings
from helpcenter.db import get_session
from helpcenter.i18n import localized_blueprint
from helpcenter.messages import billing_error_message, user_error_messages

bp = localized_blueprint("account", __name__, url_prefix="/account")

SEAT_ACTIONS = ("assign", "unassign")
PER_PAGE = 25  # orders or users per page: a long history never loads in full


@dataclass(frozen=True)
class Page:
    """One page of a list, newest first: `number` from 1 to `count`."""

    number: int
    count: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * PER_PAGE


def requested_page(total: int) -> Page:
    """The ?page= of the request, within the pages that exist (anything else shows the first)."""
    count = max(1, -(-total // PER_PAGE))
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1
    return Page(min(max(number, 1), count), count, total)
FILTER_MAX = 100  # characters of the users filter


@bp.context_processor
def _links():
    return {"change_seats_url": change_seats_url, "article_link": article_link}


def change_seats_url(product_code: str) -> str:
    """The seat workflow, prefilled with the product (a public URL of the spec, section 5)."""
    return url_for("wizard.start", product=product_code)


def article_link(article_id: int) -> str:
    """An article of the help centre in the page's language (its short URL redirects to the canonical one)."""
    build = current_app.jinja_env.globals.get("article_url")
    if build is not None and "help.article" in current_app.view_functions:
        return build(article_id)
    return f"/{g.lang}/articles/{article_id}"


@bp.get("/")
@login_required
def overview():
    """Subscriptions, balance, orders, payment method, VAT number and audit trail of one's account."""
    contact = current_contact()
    db = get_session()
    account = accounts.get_account(db, contact.account_id)
    subscriptions = accounts.list_subscriptions(db, account.id)
    page = requested_page(accounts.count_orders(db, account.id))
    return render_template(
        "account/overview.html",
        contact=contact,
        account=account,
        subscriptions=subscriptions,
        product_names={sub.product_code: sub.product_name for sub in subscriptions},
        orders=accounts.list_orders(db, account.id, limit=PER_PAGE, offset=page.offset),
        orders_page=page,
        events=accounts.list_audit_events(db, account.id),
        can_change_seats=contact.is_billing_contact and not account.corporate,
        today=current_app.extensions["clock"].today(),
    )


@bp.route("/seats/<int:subscription_id>", methods=["GET", "POST"])
@login_required
def seats(subscription_id: int):
    """Who holds a seat of this subscription; assign, unassign, add a user."""
    contact = current_contact()
    db = get_session()
    subscription = _subscription_or_404(contact, subscription_id)
    form = AddUserForm()
    if request.method == "POST":
        if any(action in request.form for action in SEAT_ACTIONS):
            return _change_assignment(contact, subscription)
        if "add_user" not in request.form:
            abort(400)
        response = _add_user(contact, subscription, form)
        if response is not None:
            return response
    errors_found = error_items(form)
    query = user_filter(request.args.get("q"))
    page = requested_page(seat_assignments.count_users(db, contact.account_id, query=query))
    users = seat_assignments.list_seat_users(db, contact_id=contact.contact_id, subscription_id=subscription.id,
                                             limit=PER_PAGE, offset=page.offset, query=query)
    all_count = seat_assignments.count_users(db, contact.account_id) if query else page.total
    return render_template(
        "account/seats.html",
        contact=contact,
        subscription=subscription,
        users=users,
        users_page=page,
        query=query,
        all_count=all_count,
        users_args={"subscription_id": subscription.id, **({"q": query} if query else {})},
        form=form,
        errors=errors_found,
        has_errors=bool(errors_found),
        can_change_seats=contact.is_billing_contact and not contact.corporate,
    ), (400 if errors_found else 200)


def user_filter(raw: str | None) -> str:
    """The users filter as typed, spaces tidied and bounded ("" for none)."""
    return " ".join((raw or "").split())[:FILTER_MAX]


def _subscription_or_404(contact, subscription_id: int):
    try:
        return accounts.get_subscription(get_session(), contact.account_id, subscription_id)
    except errors.NotFound:
        abort(404)


def _change_assignment(contact, subscription):
    """One assign or unassign button was pressed: its value is the user's id."""
    present = [action for action in SEAT_ACTIONS if action in request.form]
    raw = request.form.get(present[0], "") if len(present) == 1 else ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        abort(400)
    action, user_id = present[0], int(raw)
    notify = action == "assign" and _notify_requested(request.form)
    db = get_session()
    notified = False
    try:
        if action == "assign":
            notified = seat_assignments.assign_seat(
                db, contact_id=contact.contact_id, subscription_id=subscription.id, user_id=user_id,
                ip=request.remote_addr, notify=notify, mail_settings=MailSettings.from_mapping(current_app.config))
        else:
            seat_assignments.unassign_seat(db, contact_id=contact.contact_id, subscription_id=subscription.id,
                                           user_id=user_id, ip=request.remote_addr)
    except errors.NotFound:
        abort(404)
    except errors.SeatAssignmentRefused as refusal:
        flash(billing_error_message(refusal), "error")
        return _back_to_seats(subscription)
    name = _user_name(contact, subscription, user_id)
    if action == "assign":
        # Two sentences: the assignment, then whether the user was told.
        if notified:
            told = _("An email lets them know.")
        elif notify:  # asked for, but past the email limits (billing service, SEAT_EMAILS_PER_*)
            told = _("No email was sent to them: too many emails about seats were sent recently. "
                     "Let them know yourself.")
        else:
            told = _("No email was sent to them.")
        flash(" ".join((_("%(name)s now has a seat on %(product)s.", name=name, product=subscription.product_name),
                        told)), "success")
    else:
        flash(_("%(name)s no longer has a seat on %(product)s: the seat is free to assign to someone else.",
                name=name, product=subscription.product_name), "success")
    return _back_to_seats(subscription)


def _notify_requested(form) -> bool:
    """The "Notify the user by email" checkbox. An unchecked box sends nothing, so its absence
    means "no" only when the form says it had the box (notify_present); older clients that
    know nothing of it keep the default, which is to notify."""
    if "notify" in form:
        return form.get("notify", "").strip().lower() not in ("", "0", "false", "off", "no")
    return form.get("notify_present") != "1"


def _add_user(contact, subscription, form):
    """Add a user to the account; None when the form has errors to show."""
    if not form.validate_on_submit():  # only the CSRF token is checked here
        return None
    try:
        user = users.add_user(get_session(), contact_id=contact.contact_id, name=form.name.data or "",
                                email=form.email.data or "", ip=request.remote_addr)
    except errors.UserInvalid as invalid:
        for field_name, message in user_error_messages(invalid.errors).items():
            field = form._fields.get(field_name)
            if field is not None:
                field.errors = [*field.errors, message]
        return None
    except errors.NotAllowed as refusal:
        flash(billing_error_message(refusal), "error")
        return _back_to_seats(subscription)
    flash(_("%(name)s was added to the account. You can now assign them a seat.", name=user.name), "success")
    return _back_to_seats(subscription)


def _user_name(contact, subscription, user_id: int) -> str:
    users = seat_assignments.list_seat_users(get_session(), contact_id=contact.contact_id,
                                             subscription_id=subscription.id)
    return next((user.name for user in users if user.id == user_id), _("The user"))


def _back_to_seats(subscription):
    """Back to the list, on the page and with the filter the button was pressed on."""
    query = user_filter(request.form.get("q"))
    args = {"q": query} if query else {}
    page = (request.form.get("page") or "").strip()
    if page.isascii() and page.isdigit() and len(page) < 6 and int(page) > 1:
        args["page"] = int(page)
    return redirect(url_for("account.seats", subscription_id=subscription.id, **args), 303)


def register(app) -> None:
    app.register_blueprint(bp)
