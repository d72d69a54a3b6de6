"""Database engine, one session per request, and the declarative base."""
from flask import current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    """An engine with a bounded pool that survives a restarted database server."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                         pool_pre_ping=True, pool_timeout=10, pool_recycle=1800)


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["DB_POOL_SIZE"], app.config["DB_MAX_OVERFLOW"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.after_request(_commit_session)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _commit_session(response):
    """The request owns the transaction: operations only flush. Any answer but a
    server error commits (a refused sign-in still records its failure); a server error rolls
    back. What waits for the commit (an email to send) runs after it."""
    from helpcenter import transaction

    session = g.get("db_session")
    if session is not None:
        if response.status_code < 500:
            transaction.commit(session)
        else:
            session.rollback()
    return response


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
