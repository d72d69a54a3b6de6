"""Command-line interface: flask --app helpcenter <command>."""
import click
from flask import current_app
from flask.cli import AppGroup

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Create or upgrade the schema (Alembic)."""
    from helpcenter.migrate import upgrade
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
