"""Alembic, driven from the app's configuration (no alembic.ini to keep in step)."""
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Create or upgrade the schema."""
    command.upgrade(alembic_config(database_url), revision)


def reset(database_url: str) -> None:
    """Drop every table of the app (and Alembic's bookkeeping), then migrate from scratch."""
    from sqlalchemy import create_engine, text

    import helpcenter.models  # noqa: F401  (complete metadata)
    from helpcenter.db import Base
    engine = create_engine(database_url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    upgrade(database_url)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a new migration from the models (developers only)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
