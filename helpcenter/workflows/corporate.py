"""The Corporate account page: the portal, the advisor, Corporate Account Services, and (in the
seat workflow) a request for a seat quote sent to the advisor, with a copy to the customer."""
from datetime import datetime, timezone

from flask import current_app, flash, g, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import StringField

from helpcenter import articles, transaction
from helpcenter.billing import corporate as billing_corporate
from helpcenter.billing import errors as billing_errors
from helpcenter.billing import outbox
from helpcenter.billing import service as billing
from helpcenter.messages import billing_error_message, seat_count
from helpcenter.workflow.forms import StepForm, strip


class QuoteRequestForm(StepForm):
    subscription = StringField(_l("Product"), filters=[strip])
    quantity = StringField(_l("Number of seats wanted"), filters=[strip, lambda v: v[:20] if isinstance(v, str) else v])


def corporate_page(ctx, heading, task, quote_request: bool):
    """GET: the page; POST (when `quote_request`): ask the advisor for a quote, then show the page again."""
    subscriptions = billing.list_subscriptions(ctx.session, ctx.contact.account_id) if quote_request else []
    form = QuoteRequestForm()
    status = 200
    if request.method == "POST":
        sent, status = _send_quote_request(ctx, form)
        if sent:
            return ctx.redirect(ctx.step)
    else:
        chosen = _suggested(ctx, subscriptions)
        form.subscription.data = str(chosen.id) if chosen else ""
        quantity = ctx.prefill.get("quantity")
        form.quantity.data = str(quantity) if quantity is not None else (str(chosen.seats) if chosen else "")
    config = current_app.config
    return ctx.render("wizard/corporate.html", status, form=form, contact=ctx.contact, advisor=ctx.contact.advisor,
                      heading=heading, task=task, subscriptions=subscriptions, action=ctx.url(ctx.step),
                      portal_url=config["CORPORATE_PORTAL_URL"], services_email=config["CORPORATE_SERVICES_EMAIL"],
                      services_phone=config["CORPORATE_SERVICES_PHONE"],
                      faq_seats_url=ctx.article_url(articles.CORPORATE_FAQ, anchor="add-seats"))


def _suggested(ctx, subscriptions):
    """The subscription of the link's product, else the only one."""
    product = ctx.prefill.get("product")
    if product:
        match = next((s for s in subscriptions if s.product_code == product), None)
        if match is not None:
            return match
    return subscriptions[0] if len(subscriptions) == 1 else None


def _send_quote_request(ctx, form) -> tuple[bool, int]:
    """(sent, status): the two emails are queued, then delivered once the request commits; or the
    form's error, with nothing of the request kept."""
    db = ctx.session
    try:
        with transaction.savepoint(db):  # a refusal undoes whatever the request had flushed
            sent = billing_corporate.request_seat_quote(
                db, contact_id=ctx.contact.contact_id, subscription_id=form.subscription.data,
                seats=form.quantity.data, locale=g.lang, now=datetime.now(timezone.utc),
                translations_dir=current_app.config["TRANSLATIONS_DIR"],
                portal_url=current_app.config["CORPORATE_PORTAL_URL"])
    except billing_errors.SeatChangeRefused as error:
        form.refuse("quantity", billing_error_message(error))
        return False, 422
    except billing_errors.NotFound:
        form.refuse("subscription", _("Choose the product of your account that the quote is for."))
        return False, 422
    except billing_errors.NotAllowed as error:
        if error.code != "too_many_requests":
            raise
        form.refuse("quantity", billing_error_message(error))
        return False, 429
    settings = outbox.MailSettings.from_mapping(current_app.config)
    for message_id in sent.message_ids:
        outbox.send_after_commit(db, settings, message_id, "a request for a corporate quote")
    flash(_("Your request for a quote for %(count)s of %(product)s was sent to %(email)s. A copy is on its way to %(own)s.",
            count=seat_count(sent.seat_type, sent.seats_wanted), product=sent.product_name,
            email=sent.advisor_email, own=ctx.contact.email), "success")
    return True, 200
