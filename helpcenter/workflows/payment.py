"""The payment-details workflow (article 5): sign in, a new card, the VAT number (EU accounts),
confirm, done; nothing is bought.

The new card is checked with the gateway at its step (a zero-amount verification) and only
its token is kept on the run; it becomes the card on file, and the VAT number is recorded,
when the customer confirms. The run's values: card (token, brand, last4, expiry; None
to keep the card on file) and card_done, vat_number ("" clears it) and vat_done, saved.
"""
from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError

from helpcenter import articles
from helpcenter.billing import errors as billing_errors
from helpcenter.billing import accounts, payment_methods
from helpcenter.billing.outbox import MailSettings
from helpcenter.billing.payments import CardToken
from helpcenter.billing.read import CardDetails
from helpcenter.db import get_session
from helpcenter.messages import billing_error_message, card_error_messages
from helpcenter.workflow import Step, Workflow
from helpcenter.workflow.forms import StepForm, strip
from helpcenter.workflows.common import TOO_MANY_CARDS, corporate_step, not_billing_contact_step, sign_in_step

ALREADY_SAVED = _l("These payment details have already been saved. To change them again, start again from your account page.")


# --- forms ----------------------------------------------------------------------------

class CardForm(StepForm):
    card_number = StringField(_l("Card number"), filters=[strip])
    exp_month = StringField(_l("Expiry month"), filters=[strip])
    exp_year = StringField(_l("Expiry year"), filters=[strip])
    cvc = StringField(_l("Security code"), filters=[strip])
    cardholder = StringField(_l("Name on the card"), filters=[strip])

    def card(self) -> CardDetails:
        return CardDetails(number=(self.card_number.data or "")[:30], exp_month=(self.exp_month.data or "")[:4],
                           exp_year=(self.exp_year.data or "")[:6], cvc=(self.cvc.data or "")[:6],
                           cardholder=(self.cardholder.data or "")[:200])


class VatForm(StepForm):
    vat_number = StringField(_l("VAT number (optional)"), filters=[strip])

    def __init__(self, *args, contact_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_id = contact_id
        self.recorded = None

    def validate_vat_number(self, field):
        """The backend's check: format, check digits, the account's country."""
        try:
            self.recorded = payment_methods.check_vat_number(get_session(), contact_id=self.contact_id,
                                                     vat_number=(field.data or "")[:30])
        except billing_errors.VatNumberInvalid as error:
            raise ValidationError(billing_error_message(error)) from None


# --- what applies and what is done ----------------------------------------------------

def _account(progress):
    return accounts.get_account(get_session(), progress.contact.account_id)


def _card_done(p) -> bool:
    return bool(p.get("card_done"))


def _vat_applies(p) -> bool:
    return p.contact is not None and p.load("account").vat_number_offered


def _vat_done(p) -> bool:
    return bool(p.get("vat_done"))


def _saved(p) -> bool:
    return bool(p.get("saved"))


def _new_card(run) -> CardToken | None:
    card = run.get("card") if run is not None else None
    return CardToken(**card) if card else None


def _new_vat_number(run, account) -> str | None:
    """The VAT number to record: None when unchanged (or not offered)."""
    if not run.get("vat_done"):
        return None
    value = run.get("vat_number") or None
    return None if value == account.vat_number else (value or "")


# --- steps ---------------------------------------------------------------------------------

def card(ctx):
    """A new card, checked with the gateway now; or keep the card on file."""
    account = ctx.load("account")
    form = CardForm()
    if request.method == "POST":
        if ctx.run is not None and not ctx.revision_ok():
            return ctx.stale()
        ctx.start_run()
        if request.form.get("action") == "keep" and account.payment_method is not None:
            if not ctx.save(card=None, card_done=True):
                return ctx.stale()
            return ctx.redirect()
        try:
            token = payment_methods.verify_card(ctx.session, ctx.clock, contact_id=ctx.contact.contact_id,
                                               card=form.card())
        except billing_errors.CardInvalid as error:
            for name, message in card_error_messages(error.errors).items():
                form.refuse(name, message)
            return _card_page(ctx, account, form, 422)
        except billing_errors.PaymentFailed as error:
            form.refuse("card_number", billing_error_message(error))
            return _card_page(ctx, account, form, 422)
        saved = {"token": token.token, "brand": token.brand, "last4": token.last4,
                 "exp_month": token.exp_month, "exp_year": token.exp_year}
        if not ctx.save(card=saved, card_done=True):
            return ctx.stale()
        return ctx.redirect()
    return _card_page(ctx, account, form, 200)


def _card_page(ctx, account, form, status):
    form.forget_secrets()
    method = account.payment_method
    return ctx.render("wizard/payment_details/card.html", status, form=form, account=account,
                      action=ctx.url(CARD),
                      card_expired=method is not None and method.is_expired(ctx.clock.today()))


def vat(ctx):
    """The VAT number, checked now, recorded when the customer confirms."""
    account = ctx.load("account")
    form = VatForm(contact_id=ctx.contact.contact_id)
    if request.method == "POST":
        if not ctx.revision_ok():
            return ctx.stale()
        if form.validate():
            if not ctx.save(vat_number=form.recorded or "", vat_done=True):
                return ctx.stale()
            return ctx.redirect()
        return ctx.render("wizard/payment_details/vat.html", 422, form=form, account=account)
    form.vat_number.data = ctx.run.get("vat_number") if ctx.run.get("vat_done") else (account.vat_number or "")
    return ctx.render("wizard/payment_details/vat.html", form=form, account=account)


def confirm(ctx):
    """What will change, and "Save changes"."""
    account = ctx.load("account")
    new_card = _new_card(ctx.run)
    new_vat = _new_vat_number(ctx.run, account)
    if request.method == "POST":
        if not ctx.revision_ok():
            return ctx.stale()
        change = payment_methods.save_payment_details(
            ctx.session, ctx.clock, contact_id=ctx.contact.contact_id, card=new_card, vat_number=new_vat,
            locale=account.locale, account_url=url_for("account.overview", lang=account.locale, _external=True),
            ip=request.remote_addr, mail_settings=MailSettings.from_mapping(current_app.config))
        ctx.run.update(saved=True, card=None, card_changed=change.card_changed, vat_changed=change.vat_changed)
        ctx.finish(card_changed=change.card_changed, vat_changed=change.vat_changed)
        if not ctx.save():
            return ctx.stale()
        return ctx.redirect(DONE)
    return ctx.render("wizard/payment_details/confirm.html", account=account, new_card=new_card,
                      new_vat=new_vat, vat_offered=account.vat_number_offered)


def done(ctx):
    """What changed; an email confirms it."""
    account = accounts.get_account(ctx.session, ctx.contact.account_id)
    return ctx.render("wizard/payment_details/done.html", account=account,
                      card_changed=ctx.run.get("card_changed"), vat_changed=ctx.run.get("vat_changed"),
                      contact=ctx.contact)


# --- the workflow -------------------------------------------------------------------------

SIGN_IN = sign_in_step(
    _l("Sign in"),
    _l("Use the email address and password of your billing account. You will then enter the new card and your VAT number; nothing changes until you confirm."),
    _l("Corporate accounts update their payment details on the corporate billing portal: after signing in, you will be told where to go."))
CORPORATE = corporate_step(
    _l("Your account is managed by your advisor"),
    _l("Your payment details are managed on the corporate billing portal"),
    _l("To change the payment method, the address or the phone number, sign in to the corporate billing portal or ask your advisor."))
NOT_BILLING_CONTACT = not_billing_contact_step(_l("Only billing contacts can change payment details"))
CARD = Step("card", _l("Enter the new card"), card, done=_card_done, article_step=2, too_many=TOO_MANY_CARDS)
VAT = Step("vat", _l("Enter your VAT number"), vat, applies=_vat_applies, done=_vat_done, article_step=3)
CONFIRM = Step("confirm", _l("Check and save"), confirm, done=_saved, article_step=4)
DONE = Step("done", _l("Payment details saved"), done, numbered=False, methods=("GET",))

WORKFLOW = Workflow(
    name="payment", blueprint="payment_wizard", article=articles.PAYMENT_DETAILS,
    steps=(SIGN_IN, CORPORATE, NOT_BILLING_CONTACT, CARD, VAT, CONFIRM, DONE),
    step_list_label=_l("Steps to update your payment details"),
    finished_notice=ALREADY_SAVED,
    loaders={"account": _account})
