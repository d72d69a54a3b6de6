"""What a newcomer meets (issue 12, item 9): emails printed to the console in development, the
development-only /dev/outbox page, `flask demo` for a fresh demo database, and the Makefile's
run target installing no test tools."""
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpcenter import create_app
from helpcenter.billing import models, outbox
from helpcenter.contact.models import SupportRequest
from tests.conftest import PRODUCTION, csrf_token_from


ROOT = Path(__file__).resolve().parent.parent


def send_a_support_request(client, lang="fr"):
    page = client.get(f"/{lang}/contact")
    return client.post(f"/{lang}/contact", data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                                   "email": "someone@example.org", "message": "Où est ma facture ?"})


def test_in_development_each_kept_email_is_printed_to_the_console(app, client, capsys):
    app.config["TESTING"] = False  # the console echo is for a developer's `make run`, not for test runs
    app.config["ENV"] = "development"
    assert send_a_support_request(client).status_code == 303
    printed = capsys.readouterr().out
    assert "To: someone@example.org" in printed
    assert re.search(r"Subject: Nous avons bien reçu votre demande \(n°\u00a0\d+\)", printed)
    assert "Content-Language: fr" in printed
    assert "Où est ma facture ?" in printed  # the text part


def test_no_console_echo_with_a_mail_server_or_in_production():
    assert outbox.MailSettings.from_mapping({"ENV": "development"}).echo is True
    assert outbox.MailSettings.from_mapping({"ENV": "production"}).echo is False
    assert outbox.MailSettings.from_mapping({"ENV": "development", "TESTING": True}).echo is False


def test_the_development_outbox_page_lists_the_emails(client):
    send_a_support_request(client)
    response = client.get("/dev/outbox")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "someone@example.org" in html and "support_request_received" in html
    assert "Où est ma facture ?" in html


def test_the_outbox_page_does_not_exist_in_production(app_config):
    app_config.update(PRODUCTION)
    app = create_app(app_config)
    try:
        assert app.test_client().get("/dev/outbox", base_url="https://help.example.com").status_code == 404
    finally:
        app.extensions["db_engine"].dispose()


def test_flask_demo_gives_a_fresh_demo_database_for_today(app, runner, demo, db_session):
    db_session.add(SupportRequest(email="x@example.org", message="old", lang="en",
                                  created_at=datetime.now(timezone.utc)))
    dupont = db_session.scalar(select(models.Subscription).join(models.Account)
                               .where(models.Account.name == "Atelier Dupont SARL"))
    dupont.seats = 9
    db_session.commit()
    db_session.close()
    result = runner.invoke(args=["demo", "--yes"])
    assert result.exit_code == 0, result.output
    assert "fresh demo database for today = 2026-11-26" in result.output
    session = app.extensions["db_sessionmaker"]()
    try:
        sub = session.scalar(select(models.Subscription).join(models.Account)
                             .where(models.Account.name == "Atelier Dupont SARL"))
        assert sub.seats == 5 and str(sub.period_start) == "2026-11-10"  # the spec's worked example again
        assert session.scalar(select(func.count()).select_from(SupportRequest)) == 0
    finally:
        session.close()


def test_flask_demo_refuses_to_run_in_production(app_config):
    app_config.update(PRODUCTION)
    app = create_app(app_config)
    try:
        result = app.test_cli_runner().invoke(args=["demo", "--yes"])
        assert result.exit_code != 0 and "runs only with HELPCENTER_ENV=development" in result.output
    finally:
        app.extensions["db_engine"].dispose()


def test_make_run_installs_no_test_tools():
    makefile = (ROOT / "Makefile").read_text()
    run_install = re.search(r"^\$\(VENV\)/\.installed:.*?\n\n", makefile, re.S | re.M).group(0)
    assert "-e ." in run_install and "[test]" not in run_install
    assert re.search(r"^test: .*test-translations", makefile, re.M)
    assert re.search(r"^run: translations db", makefile, re.M)
    assert "PORT" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("lang, hidden", [("en", "read this page in French"), ("fr", "lire cette page en anglais")])
def test_the_language_switch_names_the_other_language_in_the_page_language(client, lang, hidden):
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert hidden in html
    assert "en English" not in html and "in Français" not in html
