"""The support agents' pages under /<lang>/agent/: console, trails, requests, insights.

Vendor staff only (helpcenter.staff): every page is 404 for anyone else. The tables other
parts of the product write (workflow events, support requests, feedback) are read through
sources.py alone.
"""


def init_app(app) -> None:
    from helpcenter.agent import views
    app.register_blueprint(views.bp)
