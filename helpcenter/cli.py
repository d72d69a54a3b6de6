"""Command-line interface: flask --app helpcenter <command>."""
import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

# A command is the caller of the operations it runs: it commits (transaction.commit, which runs
# what waits for the commit) or rolls back, as a request does (helpcenter/db.py).
from helpcenter import transaction

db_cli = AppGroup("db", help="Database schema.")
articles_cli = AppGroup("articles", help="Help articles.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Create or upgrade the schema (Alembic migrations)."""
    from helpcenter.migrate import upgrade
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database upgraded to {revision}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the spec's demo data, placed relative to today (idempotent)."""
    from helpcenter.billing.demo import seed_demo
    from helpcenter.db import get_session
    session = get_session()
    seed_demo(session, current_app.extensions["clock"].today(), current_app.extensions["passwords"])
    from helpcenter.staff import seed_demo_staff
    seed_demo_staff(session, current_app.extensions["passwords"])
    transaction.commit(session)
    click.echo("demo data loaded")


@click.command("demo")
@click.option("--yes", is_flag=True, help="Do not ask before emptying the database.")
@with_appcontext
def demo_command(yes):
    """Empty the database and load the demo data afresh, placed relative to TODAY (development only)."""
    from helpcenter.billing.demo import seed_demo
    from helpcenter.db import get_session
    from helpcenter.migrate import reset
    if current_app.config["ENV"] != "development":
        raise click.ClickException("`demo` empties the database: it runs only with HELPCENTER_ENV=development")
    url = current_app.config["DATABASE_URL"]
    if not yes:
        click.confirm(f"Empty {current_app.extensions['db_engine'].url!r} and load the demo data?", abort=True)
    current_app.extensions["db_engine"].dispose()
    reset(url)
    today = current_app.extensions["clock"].today()
    session = get_session()
    seed_demo(session, today)
    transaction.commit(session)
    click.echo(f"fresh demo database for today = {today.isoformat()}")


@click.command("send-mail")
@with_appcontext
def send_mail_command():
    """Send the outbox over SMTP (HELPCENTER_MAIL_SERVER), retrying what failed."""
    from helpcenter.billing.outbox import MailSettings, deliver_pending
    from helpcenter.db import get_session
    settings = MailSettings.from_mapping(current_app.config)
    report = deliver_pending(get_session(), settings)
    click.echo(str(report))


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def prune_command(dry_run):
    """Delete working data past its retention (helpcenter/retention.py); run it daily."""
    from helpcenter.db import get_session
    from helpcenter.retention import prune
    session = get_session()
    try:
        results = prune(session, current_app.extensions["clock"].now(), dry_run=dry_run)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    if dry_run:
        session.rollback()
    else:
        transaction.commit(session)
    verb = "would delete" if dry_run else "deleted"
    for result in results:
        click.echo(f"{result.table}: {verb} {result.rows} row(s) older than {result.keep.days} days")


@articles_cli.command("check")
def articles_check():
    """Load, validate and render every article (into the render cache); exit 1 on the first broken one."""
    from helpcenter.help.store import ArticleError, load_store
    from helpcenter.workflows import all_workflows
    try:
        store = load_store(current_app.config["ARTICLES_DIR"], cache_dir=current_app.config["ARTICLES_CACHE_DIR"] or None)
        store.check_workflow_links(workflow.name for workflow in all_workflows())
    except ArticleError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{store.count()} articles are valid")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(articles_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(prune_command)
