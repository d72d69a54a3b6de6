"""How long visitors' working data is kept, and `prune`, which deletes what is older.

`flask --app helpcenter prune` (cli.py) runs it; run it daily from cron. One registry,
RETENTION, names every pruned table with the time column its age is measured from, how long
it is kept and why; SECURITY.md and the README show the same table. Orders, the ledger, audit
events, contacts and accounts are never pruned. A quote that an order references is never
deleted (nor one a kept workflow run still points at).

The workflow engine keeps a run's values in its JSON `data` column (helpcenter/workflow/
models.py): the quote ids a run shows are the RUN_QUOTE_KEYS of that document.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, Table, and_, cast, delete, exists, func, select
from sqlalchemy.orm import Session

RUN_TABLE = "workflow_runs"
RUN_QUOTE_KEYS = ("quote_id", "reviewed_quote_id", "paid_quote_id")


@dataclass(frozen=True)
class Retention:
    table: str
    age_column: str  # a row is older than `keep` when this time is
    keep: timedelta
    why: str
    only_when_set: bool = False  # rows whose age column is NULL are kept (an email not sent yet)
    # (table, column) that may reference a row's id; (table, column, key) when the id sits
    # under `key` in a JSON column.
    protected_by: tuple[tuple[str, ...], ...] = field(default=())


RETENTION = (
    Retention(RUN_TABLE, "updated_at", timedelta(days=90),
              "workflow runs: support agents look a run up by its reference when a customer calls"),
    Retention("workflow_events", "at", timedelta(days=90),
              "workflow trails and the insights page (which looks 30 days back by default)"),
    Retention("quotes", "expires_at", timedelta(days=90),
              "a quote is dead 30 minutes after it is made; kept as long as the runs that show it",
              protected_by=(("orders", "quote_id"),) + tuple((RUN_TABLE, "data", key) for key in RUN_QUOTE_KEYS)),
    Retention("sign_in_failures", "at", timedelta(days=7),
              "the throttles look 15 minutes back; a week is enough to investigate an attack"),
    Retention("search_misses", "last_seen", timedelta(days=180),
              "searches without results, for the insights page: recent ones matter"),
    Retention("email_messages", "sent_at", timedelta(days=90),
              "delivered emails; unsent ones stay for the retry command whatever their age",
              only_when_set=True),
)


@dataclass(frozen=True)
class Pruned:
    table: str
    rows: int
    keep: timedelta


def _tables() -> dict[str, Table]:
    import helpcenter.models  # noqa: F401  (every table in the metadata)
    from helpcenter.db import Base
    return Base.metadata.tables


def _condition(rule: Retention, tables: dict[str, Table], now: datetime):
    table = tables[rule.table]
    column = table.c[rule.age_column]
    clauses = [column < now - rule.keep]
    if rule.only_when_set:
        clauses.append(column.is_not(None))
    for other_name, other_column, *json_key in rule.protected_by:
        other = tables[other_name]
        reference = other.c[other_column]
        if json_key:  # JSON_EXTRACT on SQLite, ->> on PostgreSQL
            reference = reference[json_key[0]].as_string()
            clauses.append(~exists().where(reference == cast(table.c.id, String)))
        else:
            clauses.append(~exists().where(reference == table.c.id))
    return and_(*clauses)


def check_registry() -> None:
    """Every table and column the registry names exists (a renamed table must be updated here)."""
    tables = _tables()
    for rule in RETENTION:
        names = [(rule.table, rule.age_column), (rule.table, "id"), *rule.protected_by]
        for table_name, column_name, *_json_key in names:
            if table_name not in tables or column_name not in tables[table_name].c:
                raise LookupError(f"retention registry: no column {table_name}.{column_name} "
                                  f"(update helpcenter/retention.py)")


def prune(session: Session, now: datetime, *, dry_run: bool = False) -> list[Pruned]:
    """Delete (or, dry run, count) the rows past their retention; the caller commits."""
    check_registry()
    tables = _tables()
    done = []
    for rule in RETENTION:
        table, where = tables[rule.table], _condition(rule, tables, now)
        if dry_run:
            rows = session.scalar(select(func.count()).select_from(table).where(where)) or 0
        else:
            rows = session.execute(delete(table).where(where)).rowcount
        done.append(Pruned(rule.table, rows, rule.keep))
    return done
