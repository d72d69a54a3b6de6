"""Account pages: the overview (subscriptions, balance, orders, payment method, audit trail)
and the assignment of seats to the account's users."""


def init_app(app) -> None:
    from helpcenter.account import views
    views.register(app)
