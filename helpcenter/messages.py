"""What the billing backend's refusals and notes mean, in the reader's language.

The backend speaks in codes (helpcenter.billing.errors); this is the one place that turns
them into sentences, so the workflow, the account pages and the sign-in page say the same thing.
"""
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from babel import Locale
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from helpcenter.i18n import money, ngettext, number

SEAT_TYPE_PLURAL = {"organizer": _l("organizers"), "agent": _l("agents"), "expert": _l("experts")}
SEAT_TYPE_TITLE = {"organizer": _l("Organizers"), "agent": _l("Agents"), "expert": _l("Experts")}
# Translators: the button on the product step, named for the product's seat type.
ADD_SEATS_BUTTON = {"organizer": _l("Add Organizers"), "agent": _l("Add Agents"), "expert": _l("Add Experts")}
TERM_LABEL = {"month": _l("per seat per month"), "year": _l("per seat per year")}
PERIOD_LABEL = {"month": _l("monthly"), "year": _l("yearly")}

_SIMPLE = {
    "bad_credentials": _l("The email address or password is not right. Check them and try again."),
    "not_found": _l("We could not find that on your account."),
    "not_billing_contact": _l("Only the account's billing contacts can change seats or payment details."),
    "corporate_account": _l("Your account is a Corporate account: seats are managed on the corporate billing portal with your dedicated advisor."),
    "not_a_number": _l("Enter the number of seats as a whole number, like 8."),
    "quote_expired": _l("This quote has expired (quotes are valid for 30 minutes). Here is an up-to-date quote: review it before you place the order."),
    "quote_stale": _l("Your subscription changed since this quote was made (perhaps in another tab or by another contact). Review the new figures before you place the order."),
    "card_declined": _l("Your card was declined. Use another card or contact your bank."),
    "insufficient_funds": _l("Your card was declined for insufficient funds. Use another card."),
    "no_payment_method": _l("There is no card on file. Enter the details of a card."),
    "card_expired": _l("The card on file has expired. Enter the details of another card."),
    "format": _l("Enter the VAT number in the correct format, starting with the country code, like FR40303265045."),
    "checksum": _l("This VAT number is not valid: check its digits."),
    "country_mismatch": _l("The VAT number must be from your account's country."),
    "not_offered": _l("A VAT number can only be recorded for accounts in the European Union."),
    "greek_prefix": _l("Greek VAT numbers start with EL, not GR: type EL followed by the nine digits."),
    "too_many_requests": _l("Several quote requests were sent from your account in the last hour. Wait a while, or write to your advisor directly."),
    "no_free_seat": _l("All seats are assigned. Unassign a seat or add seats first."),
    "already_assigned": _l("This user already has a seat."),
    "not_assigned": _l("This user has no seat to unassign."),
}

CARD_FIELD_ERRORS = {
    ("card_number", "required"): _l("Enter the card number."),
    ("card_number", "luhn"): _l("Enter a valid card number: check the digits."),
    ("card_number", "unsupported"): _l("This type of card is not accepted. Use Visa, Mastercard or American Express."),
    ("exp_month", "invalid"): _l("Enter the expiry month as a number from 1 to 12."),
    ("exp_month", "expired"): _l("The expiry date must be in the future."),
    ("exp_year", "invalid"): _l("Enter the expiry year as four digits, like 2030."),
    ("exp_year", "expired"): _l("The expiry date must be in the future."),
    ("cvc", "invalid"): _l("Enter the 3 or 4 digit security code from the back of the card."),
    ("cardholder", "required"): _l("Enter the name on the card."),
    ("cardholder", "too_long"): _l("Enter a name of 100 characters or fewer."),
}

USER_FIELD_ERRORS = {
    ("name", "required"): _l("Enter the user's name."),
    ("name", "too_long"): _l("Enter a name of 100 characters or fewer."),
    ("email", "invalid"): _l("Enter an email address in the correct format, like name@example.com."),
    ("email", "taken"): _l("A user with this email address is already on the account."),
    ("email", "too_many_users"): _l("This account already has as many users as it may hold. Contact "
                                    "support to add more."),
}

NOTES = {
    "decrease_still_costs": _l("You are reducing your seats, yet there is an amount to pay: a full new billing period starting today is billed for the remaining seats, and only the unused part of the current period is credited."),
    "credit_kept_on_balance": _l("The credit is more than the new charge. The difference is not refunded: it stays on your account balance and is applied to your future invoices."),
    "reverse_charge": _l("Reverse charge: no VAT is charged; as a business in another EU country with a valid VAT number, you account for the VAT yourself."),
    "domestic_vat_with_number": _l("Your VAT number is printed on the order; VAT of your country still applies."),
}


FIGURES_CHANGED = _l("The figures changed since your review (for example your account balance, VAT number or payment method was updated). Review the new figures before you place the order.")


def stale_quote_message(error) -> str:
    """Why a quote went stale: the subscription itself changed, or only the figures around it."""
    if (getattr(error, "params", {}) or {}).get("subscription_changed", True):
        return billing_error_message(error)
    return str(FIGURES_CHANGED)


def billing_error_message(error) -> str:
    """One sentence for a billing refusal, with its figures."""
    code, params = error.code, getattr(error, "params", {}) or {}
    if code == "throttled":
        minutes = params.get("minutes", 15)
        return ngettext("Too many failed attempts. Try again in %(num)s minute.",
                        "Too many failed attempts. Try again in %(num)s minutes.", minutes)
    if code == "out_of_range":
        return _("Enter a number of seats from %(minimum)s to %(maximum)s.",
                 minimum=number(params.get("minimum", 1)), maximum=number(params.get("maximum", 500)))
    if code == "unchanged":
        return _("Your subscription already has %(current)s seats: enter a different number.",
                 current=number(params.get("current", 0)))
    if code == "below_assigned":
        to_unassign = params.get("to_unassign", 0)
        return ngettext(
            "%(assigned)s seats are assigned to users. Unassign %(num)s seat first, or choose at least %(assigned)s seats.",
            "%(assigned)s seats are assigned to users. Unassign %(num)s seats first, or choose at least %(assigned)s seats.",
            to_unassign, assigned=number(params.get("assigned", 0)))
    message = _SIMPLE.get(code)
    if message is None:
        return _("This change could not be made. Nothing was changed.")
    return str(message)


def card_error_messages(errors: dict) -> dict:
    """Field name -> message for a CardInvalid refusal."""
    return {field: str(CARD_FIELD_ERRORS.get((field, code), _l("Check this field."))) for field, code in errors.items()}


def user_error_messages(errors: dict) -> dict:
    return {field: str(USER_FIELD_ERRORS.get((field, code), _l("Check this field."))) for field, code in errors.items()}


def note_message(code: str) -> str:
    return str(NOTES.get(code, ""))


def seat_type_plural(seat_type: str) -> str:
    return str(SEAT_TYPE_PLURAL.get(seat_type, seat_type))


def add_seats_label(seat_type: str) -> str:
    return str(ADD_SEATS_BUTTON.get(seat_type, _l("Change seats")))


def seat_count(seat_type: str, count: int) -> str:
    """A number of seats of one type, e.g. "8 agents", "1 organizer"."""
    if seat_type == "organizer":
        return ngettext("%(num)s organizer", "%(num)s organizers", count)
    if seat_type == "expert":
        return ngettext("%(num)s expert", "%(num)s experts", count)
    if seat_type == "agent":
        return ngettext("%(num)s agent", "%(num)s agents", count)
    return ngettext("%(num)s seat", "%(num)s seats", count)


def message_for(code: str, **params) -> str:
    """The sentence for a refusal code without an exception at hand (e.g. to explain a missing control)."""
    return billing_error_message(SimpleNamespace(code=code, params=params))


def audit_event_message(event, product_names: dict | None = None) -> str:
    """One sentence for an entry of the account's audit trail (helpcenter.billing.read.AuditEvent)."""
    details = event.details or {}
    product_code = details.get("product") or ""
    product = (product_names or {}).get(product_code) or product_code
    user = details.get("user") or ""
    if event.action == "seats_changed":
        try:
            charged = money(Decimal(str(details.get("amount_charged", "0"))), details.get("currency") or "EUR")
        except (InvalidOperation, ValueError):
            charged = details.get("amount_charged", "")
        return _("Order %(order)s: %(product)s changed from %(before)s to %(after)s seats; amount charged %(charged)s",
                 order=details.get("order", ""), product=product, before=details.get("seats_before", ""),
                 after=details.get("seats_after", ""), charged=charged)
    if event.action == "payment_method_changed":
        return _("Payment card changed to %(brand)s ending %(last4)s (expires %(expiry)s)",
                 brand=details.get("brand", ""), last4=details.get("last4", ""), expiry=details.get("expiry", ""))
    if event.action == "vat_number_changed":
        old, new = details.get("old"), details.get("new")
        if not new:
            return _("VAT number %(old)s removed", old=old or "")
        if not old:
            return _("VAT number %(new)s recorded", new=new)
        return _("VAT number changed from %(old)s to %(new)s", old=old, new=new)
    if event.action == "seat_assigned":
        return _("%(product)s seat assigned to %(user)s", product=product, user=user)
    if event.action == "seat_unassigned":
        return _("%(product)s seat unassigned from %(user)s", product=product, user=user)
    if event.action == "user_added":
        return _("User %(name)s (%(user)s) added to the account", name=details.get("name", ""), user=user)
    if event.action == "agent_viewed_trail":
        return _("Support agent %(agent)s looked at the trail of the workflow %(reference)s",
                 agent=details.get("agent", ""), reference=details.get("reference", ""))
    if event.action == "agent_answered_request":
        return _("Support agent %(agent)s answered your request", agent=details.get("agent", ""))
    # Translators: an audit trail entry of a kind this page does not describe; %(action)s is its code.
    return _("Change recorded: %(action)s", action=event.action)


def country_name(code: str) -> str:
    """A country's name in the page's language, from Babel's territory names ("IE": Ireland, Irlande)."""
    names = Locale.parse(get_locale() or "en").territories
    return names.get((code or "").upper(), code)


def init_app(app) -> None:
    app.jinja_env.globals.update(
        billing_error_message=billing_error_message, note_message=note_message,
        message_for=message_for, audit_event_message=audit_event_message, seat_count=seat_count,
        seat_type_plural=seat_type_plural, add_seats_label=add_seats_label, country_name=country_name,
        seat_type_title=lambda t: str(SEAT_TYPE_TITLE.get(t, t)),
        term_label=lambda t: str(TERM_LABEL.get(t, t)),
    )
