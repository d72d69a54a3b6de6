"""help feature package."""


def init_app(app) -> None:
    from helpcenter.help import views
    views.register(app)
