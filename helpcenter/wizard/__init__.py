"""wizard feature package."""


def init_app(app) -> None:
    from helpcenter.wizard import views
    views.register(app)
