"""auth feature package."""


def init_app(app) -> None:
    from helpcenter.auth import views
    views.register(app)
