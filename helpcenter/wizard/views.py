"""The guided seat-change workflow: one page per step at /<lang>/wizard/seats/<step>.

Each view is thin: check who is asking and which step may be shown (steps.py), read the
form, call one billing operation, then redirect (after a successful POST) or show the page
again with the errors. The state lives in a WizardRun row named by ?run=<id>.
"""
import functools
import logging

from flask import (abort, current_app, flash, g, redirect, render_template, request, url_for)
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from helpcenter.auth import authenticate_form, current_contact, error_items, sign_in_contact
from helpcenter.auth.forms import SignInForm
from helpcenter.billing import errors as billing_errors
from helpcenter.billing import service as billing
from helpcenter.billing.outbox import MailSettings
from helpcenter.billing.read import CardDetails
from helpcenter.db import get_session
from helpcenter.help.store import article_url, step_html
from helpcenter.i18n import LANGUAGES, localized_blueprint, preferred_language
from helpcenter.messages import billing_error_message, card_error_messages
from helpcenter.wizard import steps
from helpcenter.wizard.forms import PaymentInput, Prefill, parse_id, parse_prefill, seats_text
from helpcenter.wizard.models import WizardRun

log = logging.getLogger(__name__)

bp = localized_blueprint("wizard", __name__, url_prefix="/wizard/seats")

SEAT_ARTICLE = 1          # "Add or remove user seats": its ordered steps carry #step-1 … #step-6
USER_SEATS_ARTICLE = 2    # "Manage users' product seats"
CORPORATE_FAQ_ARTICLE = 3

STALE_NOTICE = _l("This workflow was changed in another tab or window after this page was shown, so what you sent was not used. Here is its current state: check it and continue.")
EXPIRED_SESSION_NOTICE = _l("You were signed out after a period without activity. Sign in again to continue where you were: what you entered is kept.")
ORDER_ALREADY_PLACED = _l("This order has already been placed. To change your seats again, start a new change.")
STEPS_TO_REDO = _l("Something changed since you saw this page. Check this step again before you place the order.")
FIGURES_CHANGED = _l("The figures changed since your review (for example your account balance, VAT number or payment method was updated). Review the new figures before you place the order.")
VAT_NEW_FIGURES = _l("Your VAT number changes the figures of your order. Check the new totals below before you place the order.")


def _clock():
    return current_app.extensions["clock"]


# --- URLs, runs and the step guard -----------------------------------------

def step_url(step: steps.Step, run: WizardRun | None = None, prefill: Prefill | None = None, **kwargs) -> str:
    """The URL of a step, carrying this run (or, before there is a run, the prefill)."""
    args = dict(kwargs)
    if run is not None:
        args["run"] = run.id
    elif prefill is not None:
        args.update(prefill.as_query())
    return url_for(step.endpoint, **args)


def _run_id_arg() -> str | None:
    run_id = request.args.get("run")
    if run_id is None:
        return None
    if not run_id or len(run_id) > 64:
        abort(404)
    return run_id


def _load_run(contact) -> WizardRun | None:
    """The run named in the URL; 404 unless it belongs to the signed-in contact."""
    run_id = _run_id_arg()
    if run_id is None:
        return None
    run = get_session().get(WizardRun, run_id)
    if run is None or contact is None or run.contact_id != contact.contact_id:
        abort(404)
    return run


def _progress(contact, run) -> steps.Progress:
    def load_quote():
        try:
            return billing.get_quote(get_session(), contact_id=contact.contact_id, quote_id=run.quote_id)
        except billing_errors.NotFound:
            return None
    return steps.Progress(contact=contact, run=run, load_quote=load_quote)


def _alternate_urls(step: steps.Step) -> dict:
    """The language switcher keeps the step, the run and the prefill (also on a page with errors)."""
    args = {k: request.args[k] for k in ("run", "product", "quantity") if request.args.get(k)}
    return {lang: url_for(step.endpoint, lang=lang, **args) for lang in LANGUAGES}


def guarded(step: steps.Step):
    """Run the view only when this step may be shown now; otherwise redirect to the right one."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped():
            contact = current_contact()
            if contact is None:
                if g.get("session_expired"):
                    flash(str(EXPIRED_SESSION_NOTICE), "warning")
                prefill, _notices = parse_prefill(request.args)
                args = {"run": request.args["run"]} if request.args.get("run") else prefill.as_query()
                return redirect(url_for(steps.SIGN_IN.endpoint, **args), 303)
            run = _load_run(contact)
            progress = _progress(contact, run)
            if run is not None and run.order_id is not None and step is not steps.DONE:
                if request.method == "GET" and step is not steps.CONFIRM:
                    flash(str(ORDER_ALREADY_PLACED), "info")
                return redirect(step_url(steps.DONE, run), 303)
            if not steps.is_reachable(step, progress):
                target = steps.first_pending(progress)
                prefill, _notices = parse_prefill(request.args)
                return redirect(step_url(target, run, prefill), 303)
            g.alternate_urls = _alternate_urls(step)
            return view(progress)
        return wrapped
    return decorator


def _revision_ok(run: WizardRun) -> bool:
    return request.form.get("revision", "") == str(run.revision)


def _stale(step: steps.Step, run: WizardRun):
    """A submit from an outdated page: nothing is changed; show the current state."""
    get_session().rollback()
    flash(str(STALE_NOTICE), "warning")
    return redirect(step_url(step, run), 303)


def _save(run: WizardRun) -> bool:
    """Commit the run; False when another request changed it meanwhile (optimistic lock)."""
    session = get_session()
    try:
        session.add(run)
        session.commit()
        return True
    except StaleDataError:
        session.rollback()
        return False


def _render_step(template: str, step: steps.Step, progress: steps.Progress, status: int = 200, **context):
    """Render a step with the step list, back link and the matching paragraph of the article."""
    excerpt = excerpt_url = None
    if step.article_step:
        excerpt, excerpt_url = _article_step(step.article_step)
    errors = context.get("errors") or []
    return render_template(
        template, step=step, progress=progress, run=progress.run, total_steps=steps.TOTAL_STEPS,
        step_list=_step_list(step, progress), back_url=_back_url(step, progress),
        excerpt=excerpt, excerpt_url=excerpt_url, has_errors=bool(errors), **context), status


def _step_list(current: steps.Step, progress: steps.Progress) -> list[dict]:
    """The six steps for the progress list: done (a link back), current, to do, or not needed."""
    reached = steps.first_pending(progress)
    items = []
    for step in steps.NUMBERED:
        if step is current:
            state = "current"
        elif not step.applies(progress):
            state = "skipped"
        elif steps.position(step) < steps.position(reached):
            state = "done"
        else:
            state = "todo"
        url = step_url(step, progress.run) if state == "done" and step is not steps.SIGN_IN else None
        items.append({"step": step, "state": state, "url": url})
    return items


def _back_url(step: steps.Step, progress: steps.Progress) -> str | None:
    if step in (steps.SIGN_IN, steps.PRODUCT):
        return _article_url(SEAT_ARTICLE, anchor="steps")
    if step is steps.DONE or step.number is None:
        return None
    previous = steps.previous_step(step, progress)
    if previous is None or previous is steps.SIGN_IN:
        return _article_url(SEAT_ARTICLE, anchor="steps")
    return step_url(previous, progress.run)


def _article_url(article_id: int, anchor: str | None = None) -> str:
    return article_url(article_id, g.lang, anchor=anchor)


def _article_step(n: int):
    """The seat article's step N in this language (None if it has no such step), and its #step-N link."""
    return step_html(SEAT_ARTICLE, g.lang, n), _article_url(SEAT_ARTICLE, anchor=f"step-{n}")


def _account(progress: steps.Progress):
    return billing.get_account(get_session(), progress.contact.account_id)


def _subscription(progress: steps.Progress):
    try:
        return billing.get_subscription(get_session(), progress.contact.account_id, progress.run.subscription_id)
    except billing_errors.NotFound:
        abort(404)


def _refusal_redirect(progress: steps.Progress, error) -> object:
    """The backend says this contact may not change seats (role or account changed): show why."""
    get_session().rollback()
    contact = billing.get_contact(get_session(), progress.contact.contact_id)
    progress = steps.Progress(contact=contact, run=progress.run, load_quote=progress.load_quote)
    target = steps.first_pending(progress)
    if target not in (steps.CORPORATE, steps.NOT_BILLING_CONTACT):
        target = steps.CORPORATE if error.code == "corporate_account" else steps.NOT_BILLING_CONTACT
    return redirect(url_for(target.endpoint), 303)


def _requote(progress: steps.Progress):
    """A fresh quote for the seat count in the cart (the old one expired or went stale)."""
    run = progress.run
    return billing.quote_seat_change(get_session(), _clock(), contact_id=progress.contact.contact_id,
                                     subscription_id=run.subscription_id, new_seats=run.quantity,
                                     ip=request.remote_addr, seller_country=_seller_country())


def _seller_country() -> str:
    return current_app.config["SELLER_COUNTRY"]


# --- the start URLs -----------------------------------------------------------

@bp.get("/")
def start():
    """Always a redirect to the first step that applies; keeps a valid prefill, drops the rest."""
    prefill, notices = parse_prefill(request.args)
    for notice in notices:
        flash(str(notice), "warning")
    contact = current_contact()
    if contact is None:
        args = {"run": request.args["run"]} if request.args.get("run") else prefill.as_query()
        return redirect(url_for(steps.SIGN_IN.endpoint, **args), 303)
    run = _load_run(contact)
    target = steps.first_pending(_progress(contact, run))
    return redirect(step_url(target, run, prefill), 303)


def start_without_language():
    """/wizard/seats/: the reader's language, query string kept."""
    query = request.args.to_dict(flat=True)
    query.pop("lang", None)  # the language comes from the reader, never from the query
    return redirect(url_for("wizard.start", lang=preferred_language(), **query), 302)


# --- step 1: sign in ----------------------------------------------------------

@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Step 1: email and password against the billing backend; skipped when already signed in."""
    contact = current_contact()
    prefill, _notices = parse_prefill(request.args)
    if request.method == "GET" and contact is not None:
        return _continue_after_sign_in(contact, prefill)
    if contact is None and g.get("session_expired") and request.method == "GET":
        flash(str(EXPIRED_SESSION_NOTICE), "warning")
    form = SignInForm()
    if form.validate_on_submit():
        contact = authenticate_form(form)
        if contact is not None:
            sign_in_contact(contact)
            return _continue_after_sign_in(contact, prefill)
    form.password.data = ""  # a password is never sent back to the browser
    errors = error_items(form)
    g.alternate_urls = _alternate_urls(steps.SIGN_IN)
    progress = steps.Progress(contact=None)
    action = url_for(steps.SIGN_IN.endpoint, **({"run": request.args["run"]} if request.args.get("run")
                                             else prefill.as_query()))
    return _render_step("wizard/sign_in.html", steps.SIGN_IN, progress, 422 if errors else 200,
                 form=form, errors=errors, action=action)


def _continue_after_sign_in(contact, prefill: Prefill):
    """Resume the run named in the URL if it is this contact's; otherwise start a new one."""
    session = get_session()
    run_id = request.args.get("run")
    run = session.get(WizardRun, run_id) if run_id and len(run_id) <= 64 else None
    if run is not None and run.contact_id != contact.contact_id:
        run = None  # someone else's run: never shown, never said to exist
    progress = _progress(contact, run)
    target = steps.first_pending(progress)
    if run is None and target is steps.PRODUCT and request.method == "POST":
        run = WizardRun(contact_id=contact.contact_id, prefill_product=prefill.product,
                        prefill_quantity=prefill.quantity)
        session.add(run)
        session.commit()
    return redirect(step_url(target, run, prefill), 303)


# --- refusal pages --------------------------------------------------------------

@bp.get("/corporate")
@guarded(steps.CORPORATE)
def corporate(progress):
    """A Corporate account: seats are managed on the corporate billing portal with the advisor."""
    return _render_step("wizard/corporate.html", steps.CORPORATE, progress, contact=progress.contact,
                 advisor=progress.contact.advisor,
                 faq_url=_article_url(CORPORATE_FAQ_ARTICLE),
                 faq_seats_url=_article_url(CORPORATE_FAQ_ARTICLE, anchor="add-seats"))


@bp.get("/not-billing-contact")
@guarded(steps.NOT_BILLING_CONTACT)
def not_billing_contact(progress):
    """A contact of the account who is not a billing contact (an account admin, say)."""
    return _render_step("wizard/not_billing_contact.html", steps.NOT_BILLING_CONTACT, progress,
                        contact=progress.contact,
                        billing_contacts=billing.list_billing_contacts(get_session(), progress.contact.account_id))


# --- step 2: product ------------------------------------------------------------

@bp.route("/product", methods=["GET", "POST"])
@guarded(steps.PRODUCT)
def product(progress):
    """Step 2: the account's subscriptions, each with a button named for its seat type."""
    run = progress.run
    prefill, _notices = (Prefill(run.prefill_product, run.prefill_quantity), []) if run else parse_prefill(request.args)
    session = get_session()
    account_id = progress.contact.account_id
    if request.method == "POST":
        if run is not None and not _revision_ok(run):
            return _stale(steps.PRODUCT, run)
        subscription_id = parse_id(request.form.get("subscription"))
        if subscription_id is None:
            abort(400)
        try:
            subscription = billing.get_subscription(session, account_id, subscription_id)
        except billing_errors.NotFound:
            abort(404)
        if run is None:
            run = WizardRun(contact_id=progress.contact.contact_id, prefill_product=prefill.product,
                            prefill_quantity=prefill.quantity)
        run.choose_subscription(subscription.id)
        if not _save(run):
            return _stale(steps.PRODUCT, run)
        return redirect(step_url(steps.SEATS, run), 303)

    subscriptions = billing.list_subscriptions(session, account_id)
    suggested = None
    prefill_missing = False
    if prefill.product:
        suggested = billing.find_subscription_by_product(session, account_id, prefill.product)
        prefill_missing = suggested is None
    if suggested is not None:
        subscriptions = [suggested] + [s for s in subscriptions if s.id != suggested.id]
    action = step_url(steps.PRODUCT, run, prefill)
    return _render_step("wizard/product.html", steps.PRODUCT, progress, subscriptions=subscriptions,
                 suggested=suggested, prefill_missing=prefill_missing, prefill=prefill, action=action,
                 chosen_id=run.subscription_id if run else None)


# --- step 3: seats --------------------------------------------------------------

@bp.route("/seats", methods=["GET", "POST"])
@guarded(steps.SEATS)
def seats(progress):
    """Step 3: the seat count (Add to cart), then Checkout."""
    run = progress.run
    subscription = _subscription(progress)
    if request.method == "POST":
        if not _revision_ok(run):
            return _stale(steps.SEATS, run)
        if request.form.get("action") == "checkout":
            if run.quote_id is None:
                return redirect(step_url(steps.SEATS, run), 303)
            run.checked_out = True
            if not _save(run):
                return _stale(steps.SEATS, run)
            return redirect(step_url(steps.first_pending(progress), run), 303)
        typed = seats_text(request.form)
        try:
            quote = billing.quote_seat_change(
                get_session(), _clock(), contact_id=progress.contact.contact_id,
                subscription_id=subscription.id, new_seats=typed, ip=request.remote_addr,
                seller_country=_seller_country())
        except billing_errors.SeatChangeRefused as error:
            get_session().rollback()
            return _seats_page(progress, subscription, typed, error, 422)
        except billing_errors.NotAllowed as error:
            return _refusal_redirect(progress, error)
        except billing_errors.NotFound:
            abort(404)
        run.put_in_cart(quote.seats_after, quote.id)
        if not _save(run):
            return _stale(steps.SEATS, run)
        return redirect(step_url(steps.SEATS, run, _anchor="cart"), 303)

    if run.quantity is not None:
        value = str(run.quantity)
    elif _prefill_quantity_applies(run, subscription):
        value = str(run.prefill_quantity)
    else:
        value = str(subscription.seats)
    return _seats_page(progress, subscription, value, None, 200)


def _prefill_quantity_applies(run: WizardRun, subscription) -> bool:
    return run.prefill_quantity is not None and (run.prefill_product is None
                                                  or run.prefill_product == subscription.product_code)


def _seats_page(progress, subscription, value: str, error, status: int):
    run = progress.run
    errors = []
    message = None
    if error is not None:
        message = billing_error_message(error)
        errors = [("quantity", message)]
    quote = progress.quote if run.quote_id else None
    return _render_step("wizard/seats.html", steps.SEATS, progress, status, subscription=subscription, value=value,
                 error=error, error_text=message, errors=errors, cart=quote,
                 prefilled=(run.quantity is None and _prefill_quantity_applies(run, subscription)),
                 assign_url=url_for("account.seats", subscription_id=subscription.id),
                 unassign_article_url=_article_url(USER_SEATS_ARTICLE, anchor="unassign"))


# --- step 4: review -------------------------------------------------------------

@bp.route("/review", methods=["GET", "POST"])
@guarded(steps.REVIEW)
def review(progress):
    """Step 4: the stored quote; "Edit order" goes back to step 3 with the values kept."""
    run = progress.run
    quote = progress.quote
    if request.method == "POST":
        if not _revision_ok(run):
            return _stale(steps.REVIEW, run)
        if quote.is_expired(_clock().now()):
            return _fresh_review(progress, billing_errors.QuoteExpired())
        run.reviewed_quote_id = quote.id
        if not _save(run):
            return _stale(steps.REVIEW, run)
        progress.forget_quote()
        return redirect(step_url(steps.first_pending(progress), run), 303)
    return _render_step("wizard/review.html", steps.REVIEW, progress, quote=quote,
                 expired=quote.is_expired(_clock().now()),
                 next_is_payment=steps.PAYMENT.applies(progress))


def _fresh_review(progress: steps.Progress, reason, new_quote=None):
    """Back to step 4 with up-to-date figures, saying why."""
    run = progress.run
    session = get_session()
    session.rollback()
    if new_quote is None:
        try:
            new_quote = _requote(progress)
        except billing_errors.SeatChangeRefused as error:
            # The change no longer makes sense (e.g. the seats were changed elsewhere): choose again.
            flash(billing_error_message(error), "warning")
            run.put_in_cart(run.quantity, None)
            _save(run)
            return redirect(step_url(steps.SEATS, run), 303)
        except billing_errors.NotAllowed as error:
            return _refusal_redirect(progress, error)
    run.replace_quote(new_quote.id)
    if not _save(run):
        return _stale(steps.REVIEW, run)
    flash(billing_error_message(reason) if isinstance(reason, billing_errors.BillingError) else str(reason), "warning")
    return redirect(step_url(steps.REVIEW, run), 303)


# --- step 5: payment and VAT number ---------------------------------------------

@bp.route("/payment", methods=["GET", "POST"])
@guarded(steps.PAYMENT)
def payment(progress):
    """Step 5 (when the rate rises, or money is due with no card on file): card and VAT number."""
    run = progress.run
    quote = progress.quote
    account = _account(progress)
    card_on_file = account.payment_method is not None
    if request.method == "GET":
        typed = PaymentInput(payment_method="saved" if card_on_file else "new",
                             vat_number=account.vat_number or "")
        if run.payment_error:
            typed.errors = {"payment_method": billing_error_message(billing_errors.PaymentFailed(run.payment_error))}
        return _payment_page(progress, quote, account, typed, 200)

    if not _revision_ok(run):
        return _stale(steps.PAYMENT, run)
    typed = PaymentInput.from_form(request.form, card_on_file=card_on_file)
    card = None
    if not typed.use_saved_card:
        card = CardDetails(number=typed.card_number, exp_month=typed.exp_month, exp_year=typed.exp_year,
                           cvc=typed.cvc, cardholder=typed.cardholder)
    vat_number = typed.vat_number.upper().replace(" ", "") if account.vat_number_offered else None
    try:
        new_quote = billing.update_payment_details(
            get_session(), _clock(), contact_id=progress.contact.contact_id, quote_id=quote.id,
            use_saved_card=typed.use_saved_card, card=card, vat_number=vat_number, ip=request.remote_addr,
            seller_country=_seller_country())
    except billing_errors.CardInvalid as error:
        get_session().rollback()
        typed.errors = card_error_messages(error.errors)
        if error.vat_error:
            typed.errors["vat_number"] = billing_error_message(billing_errors.VatNumberInvalid(error.vat_error))
        return _payment_page(progress, quote, account, typed, 422)
    except billing_errors.VatNumberInvalid as error:
        get_session().rollback()
        typed.errors = {"vat_number": billing_error_message(error)}
        return _payment_page(progress, quote, account, typed, 422)
    except billing_errors.PaymentFailed as error:
        get_session().rollback()
        field_name = "payment_method" if typed.use_saved_card else "card_number"
        typed.errors = {field_name: billing_error_message(error)}
        return _payment_page(progress, quote, account, typed, 422)
    except (billing_errors.QuoteExpired, billing_errors.QuoteStale) as error:
        return _fresh_review(progress, error, getattr(error, "new_quote", None))
    except billing_errors.NotAllowed as error:
        return _refusal_redirect(progress, error)
    except billing_errors.NotFound:
        abort(404)
    if new_quote.id != quote.id:
        run.replace_quote(new_quote.id, reviewed=True, paid=True)
        flash(str(VAT_NEW_FIGURES), "info")
    run.paid_quote_id = new_quote.id
    run.payment_error = None
    if not _save(run):
        return _stale(steps.PAYMENT, run)
    return redirect(step_url(steps.CONFIRM, run), 303)


# Where each payment field's error summary link points (radios: the first option).
PAYMENT_FIELD_ORDER = ("payment_method", "card_number", "exp_month", "exp_year", "cvc", "cardholder", "vat_number")


def _payment_page(progress, quote, account, typed: PaymentInput, status: int):
    anchors = {"payment_method": "payment_method-saved" if account.payment_method else "card_number"}
    errors = [(anchors.get(name, name), typed.errors[name]) for name in PAYMENT_FIELD_ORDER if name in typed.errors]
    return _render_step("wizard/payment.html", steps.PAYMENT, progress, status, quote=quote, account=account,
                 typed=typed, errors=errors, card_expired=_card_expired(account))


def _card_expired(account) -> bool:
    method = account.payment_method
    return method is not None and method.is_expired(_clock().today())


# --- step 6: confirm and place the order ----------------------------------------

@bp.route("/confirm", methods=["GET", "POST"])
@guarded(steps.CONFIRM)
def confirm(progress):
    """Step 6: the totals the customer agrees to, and "Place order"."""
    run = progress.run
    if request.method == "GET":
        return _render_step("wizard/confirm.html", steps.CONFIRM, progress, quote=progress.quote,
                     expired=progress.quote.is_expired(_clock().now()))
    return _place_order(progress)


def _place_order(progress: steps.Progress):
    """Validate every step again, recompute the totals, then place the order (idempotent)."""
    run, contact = progress.run, progress.contact
    session = get_session()
    if request.form.get("quote") != run.quote_id or not _revision_ok(run):
        return _stale(steps.first_pending(progress), run)

    # Every earlier step again: the subscription is still this account's, each step still done.
    _subscription(progress)
    if steps.first_pending(progress) is not steps.CONFIRM:
        flash(str(STEPS_TO_REDO), "warning")
        return redirect(step_url(steps.first_pending(progress), run), 303)
    agreed = progress.quote
    order = _order_for_quote(progress, agreed.id)
    if order is None:
        # The totals recomputed now must be the ones shown; otherwise review again.
        try:
            fresh = _requote(progress)
        except billing_errors.SeatChangeRefused as error:
            order = _order_for_quote(progress, agreed.id)  # a twin request placed it meanwhile
            if order is None:
                return _fresh_review(progress, error)
        except billing_errors.NotAllowed as error:
            return _refusal_redirect(progress, error)
        else:
            if _figures(fresh) != _figures(agreed):
                changed = fresh.subscription_version != agreed.subscription_version
                return _fresh_review(progress, billing_errors.QuoteStale() if changed else FIGURES_CHANGED, fresh)
    if order is None:
        try:
            order = billing.place_order(
                session, _clock(), contact_id=contact.contact_id, quote_id=agreed.id, locale=g.lang,
                assign_seats_url=url_for("account.seats", subscription_id=run.subscription_id, _external=True),
                ip=request.remote_addr, mail_settings=MailSettings.from_mapping(current_app.config))
        except (billing_errors.QuoteExpired, billing_errors.QuoteStale, billing_errors.SeatChangeRefused) as error:
            return _fresh_review(progress, error, getattr(error, "new_quote", None))
        except billing_errors.PaymentFailed as error:
            session.rollback()
            run.payment_error = error.code
            if not _save(run):
                return _stale(steps.CONFIRM, run)
            return redirect(step_url(steps.PAYMENT, run), 303)
        except billing_errors.NotAllowed as error:
            return _refusal_redirect(progress, error)
    _record_order(run, order)
    return redirect(step_url(steps.DONE, run), 303)


def _record_order(run: WizardRun, order) -> None:
    """The order is a fact: it is recorded on the run even if a twin request changed the run meanwhile."""
    session = get_session()
    for _attempt in range(3):
        run.order_id = order.id
        if _save(run):
            return
        session.expire_all()
        run = session.get(WizardRun, run.id)
        if run.order_id == order.id:
            return


def _figures(quote) -> tuple:
    """What the customer agrees to: every amount, the seats, the period and the card charged."""
    method = quote.payment_method
    return (quote.seats_before, quote.seats_after, quote.unit_price, quote.credit, quote.charge, quote.net,
            quote.vat_rate, quote.tax, quote.reverse_charge, quote.total, quote.balance_applied, quote.due,
            quote.new_period_start, quote.new_period_end,
            (method.brand, method.last4) if method else None)


def _order_for_quote(progress: steps.Progress, quote_id: str):
    return billing.find_order(get_session(), progress.contact.account_id, quote_id=quote_id)


# --- done -------------------------------------------------------------------------

@bp.get("/done")
@guarded(steps.DONE)
def done(progress):
    """The order: its number, what changed, and (when seats were added) a call to assign them."""
    run = progress.run
    order = billing.find_order(get_session(), progress.contact.account_id, order_id=run.order_id)
    if order is None:
        abort(404)
    return _render_step("wizard/done.html", steps.DONE, progress, order=order, contact=progress.contact,
                 assign_url=url_for("account.seats", subscription_id=order.subscription_id),
                 assign_article_url=_article_url(USER_SEATS_ARTICLE, anchor="assign"))


# --- wiring -----------------------------------------------------------------------

@bp.after_request
def _no_store(response):
    """Workflow pages hold account figures: never cached, so the back button shows the current state."""
    response.headers["Cache-Control"] = "no-store"
    return response


# Flask-WTF's descriptions for a well-signed token that is not this session's.
STALE_TOKEN_ERRORS = ("The CSRF session token is missing.", "The CSRF tokens do not match.")


@bp.errorhandler(CSRFError)
def _csrf_failed(error):
    """A form posted after the session ended: sign in again and come back to the same step."""
    if current_contact() is None:
        flash(str(EXPIRED_SESSION_NOTICE), "warning")
        args = {"run": request.args["run"]} if request.args.get("run") else {}
        return redirect(url_for(steps.SIGN_IN.endpoint, **args), 303)
    if request.endpoint == steps.SIGN_IN.endpoint and error.description in STALE_TOKEN_ERRORS:
        # The sign-in form sent again after it already worked (back button, a retried request
        # whose answer was lost): it carries a genuine token of the session that sign-in
        # replaced. Nothing is done with the form; the visitor, signed in, just moves on.
        # A missing or forged token is still refused below.
        args = {"run": request.args["run"]} if request.args.get("run") else {}
        return redirect(url_for(steps.SIGN_IN.endpoint, **args), 303)
    from helpcenter.errors import CSRF_MESSAGE, render_error
    return render_error(400, *CSRF_MESSAGE)


def register(app) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/wizard/seats/", "wizard_start_without_language", start_without_language)
