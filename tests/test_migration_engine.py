"""Migration 0002_engine: the seat runs of wizard_run move to workflow_runs, then wizard_run goes
(and back on downgrade), on the test tier's database: SQLite, or PostgreSQL."""
from datetime import datetime, timezone

from sqlalchemy import create_engine, inspect, text

from helpcenter.migrate import upgrade

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def _one_contact(conn) -> None:
    """Account 1 with its billing contact 1, as the schema of either revision has them."""
    conn.execute(text("INSERT INTO accounts (id, name, country, currency, locale, corporate, balance) "
                      "VALUES (1, 'A', 'FR', 'EUR', 'fr', :no, 0)"), {"no": False})
    conn.execute(text("INSERT INTO contacts (id, account_id, email, name, password_hash, role) "
                      "VALUES (1, 1, 'a@example.com', 'A', 'x', 'billing_contact')"))


def test_wizard_runs_are_moved_to_workflow_runs(empty_database_url):
    url = empty_database_url
    upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        _one_contact(conn)
        for run_id, order_id in (("open-run", None), ("ordered-run", 7)):
            conn.execute(text(
                "INSERT INTO wizard_run (id, contact_id, subscription_id, quantity, quote_id, checked_out, "
                "order_id, prefill_product, prefill_quantity, revision, created_at, updated_at) VALUES "
                "(:id, 1, 3, 8, 'q1', :yes, :order_id, 'gotoassist-rs5', 8, 4, :now, :now)"),
                {"id": run_id, "order_id": order_id, "now": NOW, "yes": True})
    upgrade(url)
    assert "wizard_run" not in inspect(engine).get_table_names()
    from helpcenter.workflow.models import WorkflowRun
    from sqlalchemy.orm import Session
    with Session(engine) as session:
        runs = {run.id: run for run in session.query(WorkflowRun)}
        open_run, ordered = runs["open-run"], runs["ordered-run"]
        assert open_run.workflow == "seats" and open_run.contact_id == 1 and open_run.revision == 4
        assert open_run.data == {"subscription_id": 3, "quantity": 8, "quote_id": "q1", "checked_out": True,
                                 "prefill": {"product": "gotoassist-rs5", "quantity": 8}}
        assert open_run.finished_at is None and ordered.finished_at is not None
        assert ordered.data["order_id"] == 7
        assert open_run.reference != ordered.reference and open_run.reference.startswith("HC-")
    engine.dispose()


def test_downgrade_moves_the_seat_runs_back(empty_database_url):
    from alembic import command

    from helpcenter.migrate import alembic_config
    url = empty_database_url
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        _one_contact(conn)
        conn.execute(text("INSERT INTO workflow_runs (id, workflow, contact_id, reference, data, revision, "
                          "created_at, updated_at) VALUES ('r', 'seats', 1, 'HC-ABCDEF', :data, 2, :now, :now)"),
                     {"data": '{"quantity": 9, "checked_out": false}', "now": NOW})
    command.downgrade(alembic_config(url), "0001")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, quantity, checked_out, revision FROM wizard_run")).one()
    assert tuple(row) == ("r", 9, 0, 2)
    assert "workflow_runs" not in inspect(engine).get_table_names()
    engine.dispose()
