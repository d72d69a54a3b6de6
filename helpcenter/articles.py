"""The help articles the code links to, named once (ids are stable across languages)."""

SEAT_CHANGE = 1          # "Add or remove user seats": its ordered steps carry #step-1 … #step-6
USER_SEATS = 2           # "Manage users' product seats" (#assign, #unassign)
CORPORATE_FAQ = 3        # the corporate billing portal FAQ (#add-seats)
PRORATION = 4            # how a seat change is prorated
PAYMENT_DETAILS = 5      # "Update your payment details": the payment-details workflow follows it


def init_app(app) -> None:
    """Templates name these ids too: `articles.SEAT_CHANGE`, never a bare number."""
    import sys
    app.jinja_env.globals["articles"] = sys.modules[__name__]
