"""The guided workflows, one module each; `init_app` serves them all through the engine."""


def init_app(app) -> None:
    from helpcenter.workflow import register
    from helpcenter.workflows import payment, seats
    register(app, seats.WORKFLOW)
    register(app, payment.WORKFLOW)
