"""Domain exceptions of the billing backend.

Each carries a stable `code` and `params` (numbers, never text): the web layer
maps the code to a translated message, so the backend stays language-free.
"""


class BillingError(Exception):
    """Base class: `code` says what went wrong, `params` gives the figures for the message."""

    code: str = "billing_error"

    def __init__(self, code: str | None = None, **params):
        self.code = code or self.code
        self.params = params
        super().__init__(f"{self.code} {params}" if params else self.code)


class SignInFailed(BillingError):
    """Unknown email or wrong password (the two are never told apart)."""

    code = "bad_credentials"


class SignInThrottled(BillingError):
    """Too many failed sign-ins for this email: params {"minutes": int} until the next try."""

    code = "throttled"


class NotFound(BillingError):
    """Missing, or belongs to another account (the same answer, so ids reveal nothing)."""

    code = "not_found"


class NotAllowed(BillingError):
    """"not_billing_contact" or "corporate_account"."""

    code = "not_billing_contact"


class SeatChangeRefused(BillingError):
    """"not_a_number", "out_of_range", "unchanged" or "below_assigned".

    params: minimum, maximum, current, assigned, to_unassign.
    """

    code = "out_of_range"


class QuoteExpired(BillingError):
    """The quote is older than its 30 minutes: review again."""

    code = "quote_expired"


class QuoteStale(BillingError):
    """The subscription (or the account's balance or VAT number) changed since the quote.

    `new_quote` is a fresh quote for the same change, already stored, or None when
    that change is no longer possible (for example the seat count is already the one asked).
    """

    code = "quote_stale"

    def __init__(self, new_quote=None, **params):
        super().__init__(**params)
        self.new_quote = new_quote


class PaymentFailed(BillingError):
    """"card_declined", "insufficient_funds", "no_payment_method" or "card_expired"."""

    code = "card_declined"


class CardInvalid(BillingError):
    """Card form errors: `errors` maps a field to a code.

    card_number: required | luhn | unsupported; exp_month, exp_year: invalid | expired;
    cvc: invalid; cardholder: required | too_long. `vat_error` is the VatNumberInvalid
    code of the VAT number sent in the same form, if that was wrong too (else None).
    """

    code = "card_invalid"

    def __init__(self, errors: dict[str, str], vat_error: str | None = None):
        super().__init__(fields=sorted(errors))
        self.errors = dict(errors)
        self.vat_error = vat_error


class VatNumberInvalid(BillingError):
    """"format", "checksum", "country_mismatch" or "not_offered"."""

    code = "format"


class SeatAssignmentRefused(BillingError):
    """"no_free_seat", "already_assigned" or "not_assigned"."""

    code = "no_free_seat"


class UserInvalid(BillingError):
    """New user form errors: name: required | too_long; email: invalid | taken."""

    code = "user_invalid"

    def __init__(self, errors: dict[str, str]):
        super().__init__(fields=sorted(errors))
        self.errors = dict(errors)
