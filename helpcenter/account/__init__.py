"""account feature package."""


def init_app(app) -> None:
    from helpcenter.account import views
    views.register(app)
