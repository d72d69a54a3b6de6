"""The seat workflow (article 1): sign in, product, seats, review, payment and VAT, place the order.

Each step handler reads one form, calls one billing operation, then redirects (after a
successful POST) or shows the page again with the errors. Billing refusals that end a step
(an expired or stale quote, a failed charge) are mapped to pages once, in ERROR_HANDLERS.
The run's values: subscription_id, quantity, quote_id, checked_out, reviewed_quote_id,
paid_quote_id, payment_error, card (the token of a new card, never its number), order_id,
prefill ({product, quantity}).
"""
import re

from flask import abort, current_app, flash, g, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Regexp

from helpcenter import articles, transaction
from helpcenter.billing import errors as billing_errors
from helpcenter.billing import accounts, orders, payment_methods, quotes
from helpcenter.billing.outbox import MailSettings
from helpcenter.billing.payments import CardToken
from helpcenter.billing.read import CardDetails
from helpcenter.db import get_session
from helpcenter.messages import billing_error_message, card_error_messages, stale_quote_message
from helpcenter.workflow import Step, Workflow
from helpcenter.workflow.forms import StepForm, strip
from helpcenter.workflows.common import TOO_MANY_CARDS, corporate_step, not_billing_contact_step, sign_in_step

PRODUCT_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_SEATS_TEXT = 100         # longer than any valid count; the backend says what is wrong

PREFILL_QUANTITY_IGNORED = _l("The number of seats in the link you followed is not valid (it must be a whole number from 1 to 500), so it was ignored. You can choose the number yourself.")
PREFILL_PRODUCT_IGNORED = _l("The product in the link you followed is not valid, so it was ignored. You can choose the product yourself.")
ORDER_ALREADY_PLACED = _l("This order has already been placed. To change your seats again, start a new change.")
STEPS_TO_REDO = _l("Something changed since you saw this page. Check this step again before you place the order.")
VAT_NEW_FIGURES = _l("Your VAT number changes the figures of your order. Check the new totals below before you place the order.")


# A new quote (edit, VAT number, stale) asks for review and payment again.
NEW_CART = {"checked_out": False, "reviewed_quote_id": None, "paid_quote_id": None, "payment_error": None,
            "card": None}


def parse_prefill(args) -> tuple[dict, list]:
    """A support agent's link: `product` and `quantity`, both optional; invalid values are dropped with a notice."""
    notices = []
    product = (args.get("product") or "").strip().lower()
    if product and not PRODUCT_CODE.match(product):
        notices.append(PREFILL_PRODUCT_IGNORED)
        product = ""
    raw = (args.get("quantity") or "").strip()
    quantity = None
    if raw:
        if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= 500:
            quantity = int(raw)
        else:
            notices.append(PREFILL_QUANTITY_IGNORED)
    prefill = {k: v for k, v in (("product", product or None), ("quantity", quantity)) if v is not None}
    return prefill, notices


# --- forms ------------------------------------------------------------------------

class ProductForm(StepForm):
    subscription = StringField(validators=[DataRequired(), Regexp(r"^[0-9]{1,12}$")], filters=[strip])


class SeatsForm(StepForm):
    quantity = StringField(filters=[strip, lambda v: v[:MAX_SEATS_TEXT] if isinstance(v, str) else v])
    action = HiddenField()


class PaymentForm(StepForm):
    """Step 5: the card on file or a new card, and the VAT number (EU accounts)."""

    payment_method = RadioField(choices=["saved", "new"], validate_choice=False)
    card_number = StringField(_l("Card number"), filters=[strip])
    exp_month = StringField(_l("Expiry month"), filters=[strip])
    exp_year = StringField(_l("Expiry year"), filters=[strip])
    cvc = StringField(_l("Security code"), filters=[strip])
    cardholder = StringField(_l("Name on the card"), filters=[strip])
    vat_number = StringField(_l("VAT number (optional)"), filters=[strip])

    @property
    def use_saved_card(self) -> bool:
        return self.payment_method.data == "saved"

    def card(self) -> CardDetails | None:
        if self.use_saved_card:
            return None
        return CardDetails(number=self.card_number.data[:30], exp_month=self.exp_month.data[:4],
                           exp_year=self.exp_year.data[:6], cvc=self.cvc.data[:6],
                           cardholder=self.cardholder.data[:200])


class ConfirmForm(StepForm):
    quote = HiddenField()
    figures = HiddenField()


# --- what each step needs to apply and to be done --------------------------------

def _quote(progress):
    """The run's stored quote (billing read.Quote), or None."""
    quote_id = progress.get("quote_id")
    if quote_id is None:
        return None
    try:
        return quotes.get_quote(get_session(), contact_id=progress.contact.contact_id, quote_id=quote_id)
    except billing_errors.NotFound:
        return None


def _product_chosen(p) -> bool:
    return p.get("subscription_id") is not None


def _checked_out(p) -> bool:
    return _product_chosen(p) and bool(p.get("checked_out")) and p.load("quote") is not None


def _reviewed(p) -> bool:
    return p.get("quote_id") is not None and p.get("reviewed_quote_id") == p.get("quote_id")


def _payment_applies(p) -> bool:
    """Step 5: the rate rises, or money is due with no card on file, or a charge was refused."""
    if p.get("payment_error"):
        return True
    quote = p.load("quote")
    return quote is None or bool(quote.needs_payment_step)


def _paid(p) -> bool:
    return p.get("quote_id") is not None and p.get("paid_quote_id") == p.get("quote_id") and not p.get("payment_error")


def _ordered(p) -> bool:
    return p.get("order_id") is not None


# --- helpers -----------------------------------------------------------------------

def _subscription(ctx):
    return accounts.get_subscription(ctx.session, ctx.contact.account_id, ctx.run.get("subscription_id"))


def _pending_card(run) -> CardToken | None:
    """The new card chosen at step 5, charged when the order is placed."""
    card = run.get("card") if run is not None else None
    return CardToken(**card) if card else None


def quote_figures(quote) -> dict:
    """A quote's figures for the trail: what the customer saw."""
    return {"seats_before": quote.seats_before, "seats_after": quote.seats_after, "currency": quote.currency,
            "credit": str(quote.credit), "charge": str(quote.charge), "net": str(quote.net),
            "vat_rate": str(quote.vat_rate), "tax": str(quote.tax), "total": str(quote.total),
            "balance_applied": str(quote.balance_applied), "due": str(quote.due),
            "period": [quote.new_period_start.isoformat(), quote.new_period_end.isoformat()]}


def _record_quote(ctx, quote) -> None:
    ctx.record("quote", quote=quote.id, figures=quote_figures(quote))


def _requote(ctx):
    """A fresh quote for the seat count in the cart (the old one expired or went stale)."""
    return quotes.quote_seat_change(ctx.session, ctx.clock, contact_id=ctx.contact.contact_id,
                                     subscription_id=ctx.run.get("subscription_id"),
                                     new_seats=ctx.run.get("quantity"), ip=request.remote_addr,
                                     seller_country=ctx.seller_country)


def _fresh_review(ctx, message, new_quote=None):
    """Back to step 4 with up-to-date figures, saying why."""
    if new_quote is None:
        try:
            new_quote = _requote(ctx)
        except billing_errors.SeatChangeRefused as error:
            # The change no longer makes sense (e.g. the seats were changed elsewhere): choose again.
            flash(billing_error_message(error), "warning")
            ctx.save(quote_id=None, **NEW_CART)
            return ctx.redirect(SEATS)
    ctx.run.update(quote_id=new_quote.id, **dict(NEW_CART, checked_out=True))
    _record_quote(ctx, new_quote)
    if not ctx.save():
        return ctx.stale(REVIEW)
    flash(str(message), "warning")
    return ctx.redirect(REVIEW)


# --- steps ---------------------------------------------------------------------------

def product(ctx):
    """Step 2: the account's subscriptions, each with a button named for its seat type."""
    run = ctx.run
    prefill = run.get("prefill", {}) if run is not None else ctx.prefill
    account_id = ctx.contact.account_id
    if request.method == "POST":
        if run is not None and not ctx.revision_ok():
            return ctx.stale()
        form = ProductForm()
        if not form.validate():
            abort(400)
        subscription = accounts.get_subscription(ctx.session, account_id, int(form.subscription.data))
        run = ctx.start_run()
        if run.get("subscription_id") != subscription.id:
            run.update(quantity=None, quote_id=None, **NEW_CART)
        if not ctx.save(subscription_id=subscription.id):
            return ctx.stale()
        return ctx.redirect(SEATS)

    subscriptions = accounts.list_subscriptions(ctx.session, account_id)
    suggested = None
    if prefill.get("product"):
        suggested = accounts.find_subscription_by_product(ctx.session, account_id, prefill["product"])
    if suggested is not None:
        subscriptions = [suggested] + [s for s in subscriptions if s.id != suggested.id]
    return ctx.render("wizard/product.html", subscriptions=subscriptions, suggested=suggested,
                      prefill_missing=bool(prefill.get("product")) and suggested is None,
                      prefill_product=prefill.get("product"), action=ctx.url(PRODUCT),
                      chosen_id=run.get("subscription_id") if run else None)


def _prefill_quantity(run, subscription) -> int | None:
    prefill = run.get("prefill", {})
    if prefill.get("quantity") is not None and prefill.get("product") in (None, subscription.product_code):
        return prefill["quantity"]
    return None


def seats(ctx):
    """Step 3: the seat count (Add to cart), then Checkout."""
    run = ctx.run
    subscription = _subscription(ctx)
    form = SeatsForm()
    if request.method == "POST":
        if not ctx.revision_ok():
            return ctx.stale()
        checkout = form.action.data == "checkout"
        typed = form.quantity.data or ""
        # Checkout reviews the number in the field: a number typed after "Add to cart" is quoted first.
        if checkout and typed in ("", str(run.get("quantity"))):
            if run.get("quote_id") is None:
                return ctx.redirect(SEATS)
            if not ctx.save(checked_out=True):
                return ctx.stale()
            return ctx.redirect()
        try:
            quote = quotes.quote_seat_change(
                ctx.session, ctx.clock, contact_id=ctx.contact.contact_id, subscription_id=subscription.id,
                new_seats=typed, ip=request.remote_addr, seller_country=ctx.seller_country)
        except billing_errors.SeatChangeRefused as error:
            form.refuse("quantity", billing_error_message(error))
            return _seats_page(ctx, subscription, form, error, 422)
        run.update(quantity=quote.seats_after, quote_id=quote.id, **dict(NEW_CART, checked_out=checkout))
        _record_quote(ctx, quote)
        if not ctx.save():
            return ctx.stale()
        return ctx.redirect() if checkout else ctx.redirect(SEATS, _anchor="cart")

    if run.get("quantity") is not None:
        form.quantity.data = str(run.get("quantity"))
    elif _prefill_quantity(run, subscription) is not None:
        form.quantity.data = str(_prefill_quantity(run, subscription))
    else:
        form.quantity.data = str(subscription.seats)
    return _seats_page(ctx, subscription, form, None, 200)


def _seats_page(ctx, subscription, form, error, status: int):
    run = ctx.run
    return ctx.render("wizard/seats.html", status, form=form, subscription=subscription,
                      value=form.quantity.data or "", error=error,
                      error_text=form.quantity.errors[0] if form.quantity.errors else None,
                      cart=ctx.load("quote") if run.get("quote_id") else None,
                      prefilled=run.get("quantity") is None and _prefill_quantity(run, subscription) is not None,
                      assign_url=url_for("account.seats", subscription_id=subscription.id),
                      unassign_article_url=ctx.article_url(articles.USER_SEATS, anchor="unassign"))


def review(ctx):
    """Step 4: the stored quote; "Edit order" goes back to step 3 with the values kept."""
    quote = ctx.load("quote")
    if request.method == "POST":
        if not ctx.revision_ok():
            return ctx.stale()
        if quote.is_expired(ctx.clock.now()):
            raise billing_errors.QuoteExpired()
        if not ctx.save(reviewed_quote_id=quote.id):
            return ctx.stale()
        return ctx.redirect()
    return ctx.render("wizard/review.html", quote=quote, expired=quote.is_expired(ctx.clock.now()),
                      next_is_payment=PAYMENT.applies(ctx.progress))


def payment(ctx):
    """Step 5 (when the rate rises, or money is due with no card on file): card and VAT number."""
    run = ctx.run
    quote = ctx.load("quote")
    account = accounts.get_account(ctx.session, ctx.contact.account_id)
    card_on_file = account.payment_method is not None
    form = PaymentForm()
    if request.method == "GET":
        form.payment_method.data = "saved" if card_on_file else "new"
        form.vat_number.data = account.vat_number or ""
        if run.get("payment_error"):
            form.refuse("payment_method",
                        billing_error_message(billing_errors.PaymentFailed(run.get("payment_error"))))
        return _payment_page(ctx, quote, account, form, 200)

    if not ctx.revision_ok():
        return ctx.stale()
    if form.payment_method.data not in ("saved", "new"):
        form.payment_method.data = "saved" if card_on_file else "new"
    vat_number = (form.vat_number.data or "")[:30].upper().replace(" ", "") if account.vat_number_offered else None
    try:
        choice = payment_methods.update_payment_details(
            ctx.session, ctx.clock, contact_id=ctx.contact.contact_id, quote_id=quote.id,
            use_saved_card=form.use_saved_card, card=form.card(), vat_number=vat_number, ip=request.remote_addr,
            seller_country=ctx.seller_country)
    except billing_errors.CardInvalid as error:
        for name, message in card_error_messages(error.errors).items():
            form.refuse(name, message)
        if error.vat_error:
            form.refuse("vat_number", billing_error_message(billing_errors.VatNumberInvalid(error.vat_error)))
        return _payment_page(ctx, quote, account, form, 422)
    except billing_errors.VatNumberInvalid as error:
        form.refuse("vat_number", billing_error_message(error))
        return _payment_page(ctx, quote, account, form, 422)
    except billing_errors.PaymentFailed as error:
        form.refuse("payment_method" if form.use_saved_card else "card_number", billing_error_message(error))
        return _payment_page(ctx, quote, account, form, 422)
    new_quote = choice.quote
    card = None
    if choice.card is not None:
        token = choice.card
        card = {"token": token.token, "brand": token.brand, "last4": token.last4,
                "exp_month": token.exp_month, "exp_year": token.exp_year}
    if new_quote.id != quote.id:
        run.update(quote_id=new_quote.id, reviewed_quote_id=new_quote.id, checked_out=True)
        _record_quote(ctx, new_quote)
        flash(str(VAT_NEW_FIGURES), "info")
    if not ctx.save(paid_quote_id=new_quote.id, payment_error=None, card=card):
        return ctx.stale()
    return ctx.redirect(CONFIRM)


# Where each payment field's error summary link points (radios: the first option).
PAYMENT_FIELD_ORDER = ("payment_method", "card_number", "exp_month", "exp_year", "cvc", "cardholder", "vat_number")


def _payment_page(ctx, quote, account, form, status: int):
    anchors = {"payment_method": "payment_method-saved" if account.payment_method else "card_number"}
    errors = [(anchors.get(name, name), str(message)) for name in PAYMENT_FIELD_ORDER
              for message in form[name].errors]
    form.forget_secrets()
    method = account.payment_method
    return ctx.render("wizard/payment.html", status, errors=errors, quote=quote, account=account, form=form,
                      card_expired=method is not None and method.is_expired(ctx.clock.today()))


def confirm(ctx):
    """Step 6: the totals the customer agrees to, and "Place order"."""
    run = ctx.run
    quote = ctx.load("quote")
    card = _pending_card(run)
    if request.method == "GET":
        return ctx.render("wizard/confirm.html", quote=quote, card=card or quote.payment_method,
                          figures=quotes.quote_figures(quote, card),
                          expired=quote.is_expired(ctx.clock.now()))
    form = ConfirmForm()
    if form.quote.data != run.get("quote_id") or not ctx.revision_ok():
        return ctx.stale(ctx.workflow.first_pending(ctx.progress))
    _subscription(ctx)  # still this account's (NotFound: 404)
    if ctx.workflow.first_pending(ctx.progress) is not CONFIRM:
        flash(str(STEPS_TO_REDO), "warning")
        return ctx.redirect()
    order = orders.place_order(
        ctx.session, ctx.clock, contact_id=ctx.contact.contact_id, quote_id=quote.id, locale=g.lang,
        assign_seats_url=url_for("account.seats", subscription_id=run.get("subscription_id"), _external=True),
        ip=request.remote_addr, mail_settings=MailSettings.from_mapping(current_app.config),
        card=card, shown_figures=form.figures.data or None)
    _record_order(ctx, order)
    return ctx.redirect(DONE)


def _record_order(ctx, order) -> None:
    """The order is a fact: it is recorded on the run even if a twin request changed the run meanwhile."""
    from helpcenter.workflow.models import WorkflowRun
    for _attempt in range(3):
        if ctx.run.get("order_id") == order.id:
            return
        try:
            # A savepoint: losing the run's optimistic lock must not undo the order (nor its email).
            with transaction.savepoint(ctx.session):
                ctx.run.update(order_id=order.id, card=None)
                ctx.record("order", order=order.id, number=order.number)
                ctx.finish(order=order.number)
            return
        except StaleDataError:
            ctx.session.expire(ctx.run)
            ctx.progress.run = ctx.session.get(WorkflowRun, ctx.run.id)


def done(ctx):
    """The order: its number, what changed, and (when seats were added) a call to assign them."""
    order = accounts.find_order(ctx.session, ctx.contact.account_id, order_id=ctx.run.get("order_id"))
    if order is None:
        abort(404)
    return ctx.render("wizard/done.html", order=order, contact=ctx.contact,
                      assign_url=url_for("account.seats", subscription_id=order.subscription_id),
                      assign_article_url=ctx.article_url(articles.USER_SEATS, anchor="assign"))


# --- billing errors, mapped once --------------------------------------------------------

def _quote_expired(ctx, error):
    return _fresh_review(ctx, billing_error_message(error))


def _quote_stale(ctx, error):
    return _fresh_review(ctx, stale_quote_message(error), error.new_quote)


def _seat_change_refused(ctx, error):
    """Seats were assigned meanwhile, say: the change must be chosen again."""
    return _fresh_review(ctx, billing_error_message(error))


def _payment_failed(ctx, error):
    """The charge was refused when placing the order: back to step 5, which says why."""
    if not ctx.save(payment_error=error.code, card=None):
        return ctx.stale(CONFIRM)
    return ctx.redirect(PAYMENT)


# --- the workflow -------------------------------------------------------------------------

SIGN_IN = sign_in_step(
    _l("Sign in"),
    _l("Use the email address and password of your billing account. You will then choose the product and the number of seats; nothing changes until you place the order."),
    _l("Corporate accounts do not change seats here: after signing in, you will be told where to go instead."))
CORPORATE = corporate_step(
    _l("Your account is managed by your advisor"), _l("Your seats are managed on the corporate billing portal"),
    _l("To add or remove seats, ask your advisor for a quote. You then accept or reject it on the corporate billing portal; an accepted order may take up to 24 hours to be processed."), quote_request=True)
NOT_BILLING_CONTACT = not_billing_contact_step(_l("Only billing contacts can change seats"))
PRODUCT = Step("product", _l("Choose the product"), product, done=_product_chosen, article_step=2)
SEATS = Step("seats", _l("Choose the number of seats"), seats, done=_checked_out, article_step=3)
REVIEW = Step("review", _l("Review your order"), review, done=_reviewed, article_step=4)
PAYMENT = Step("payment", _l("Payment and VAT number"), payment, applies=_payment_applies, done=_paid,
               article_step=5, too_many=TOO_MANY_CARDS)
CONFIRM = Step("confirm", _l("Place your order"), confirm, done=_ordered, article_step=6)
DONE = Step("done", _l("Order placed"), done, numbered=False, methods=("GET",))

WORKFLOW = Workflow(
    name="seats", blueprint="wizard", article=articles.SEAT_CHANGE,
    steps=(SIGN_IN, CORPORATE, NOT_BILLING_CONTACT, PRODUCT, SEATS, REVIEW, PAYMENT, CONFIRM, DONE),
    step_list_label=_l("Steps to change your seats"),
    finished_notice=ORDER_ALREADY_PLACED,
    loaders={"quote": _quote},
    error_handlers={billing_errors.QuoteExpired: _quote_expired, billing_errors.QuoteStale: _quote_stale,
                    billing_errors.SeatChangeRefused: _seat_change_refused,
                    billing_errors.PaymentFailed: _payment_failed},
    parse_prefill=parse_prefill)
