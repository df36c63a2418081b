"""Opening a database: engine settings per dialect and Alembic migrations on first use."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aggregator.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///aggregator.db"
# Serializes schema upgrades between processes sharing one PostgreSQL database.
MIGRATION_LOCK_KEY = 0x61676772  # "aggr"


def make_engine(url: str) -> Engine:
    """An engine with the settings aggregator relies on (WAL and foreign keys on SQLite)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use database {url!r}: {exc}") from None
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; returns (revision before, revision after)."""
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def check_schema(engine: Engine, *, auto_upgrade: bool, create_empty: bool = False) -> None:
    """Make sure the schema is the one this code knows; upgrade an older one if allowed.

    `create_empty`: an empty database may be given the schema even when upgrades are not
    allowed (a first `run` on a new SQLite file); an older schema is still refused.
    """
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the database: {exc.orig}") from None
    head = head_revision()
    if current == head:
        return
    known = {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the database schema ({current}) is newer than this aggregator knows ({head}): "
            "upgrade aggregator"
        )
    if not auto_upgrade and not (create_empty and current is None):
        raise StoreError(
            f"the database schema ({current or 'empty'}) is older than this aggregator "
            f"needs ({head}): run `aggregator db upgrade`"
        )
    upgrade(engine)


class Database:
    """An engine and a session factory for one database URL, schema checked."""

    def __init__(self, url: str, *, auto_upgrade: bool = True, create_empty: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url)
        check_schema(self.engine, auto_upgrade=auto_upgrade, create_empty=create_empty)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()
