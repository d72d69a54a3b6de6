"""Browser tests: a live server with the demo data; modules marked `emails` have it send its
emails to the test's real SMTP server (aiosmtpd on loopback)."""
import pytest


@pytest.fixture
def app_config(app_config, request):
    if request.node.get_closest_marker("emails"):
        smtp_server = request.getfixturevalue("smtp_server")
        app_config.update(MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port)
    return app_config


@pytest.fixture
def server(live_server, demo):
    """The live server, its database holding the demo data."""
    return live_server
