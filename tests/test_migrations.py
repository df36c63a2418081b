"""Schema upgrades keep what is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from aggregator.store import Database
from aggregator.store.database import _alembic_config, make_engine


def test_0002_adds_the_updated_at_index_to_an_existing_database(db_url: str) -> None:
    engine = make_engine(db_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO feeds (name, url, current_url, priority, error_count, created_at) "
                "VALUES ('a', 'https://a.example/', 'https://a.example/', 0, 0, :now)"
            ),
            {"now": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    engine.dispose()
    db = Database(db_url)  # upgrades on open
    try:
        indexes = {i["name"] for i in inspect(db.engine).get_indexes("entries")}
        assert "ix_entries_updated_at" in indexes
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM feeds")).scalars().all() == ["a"]
    finally:
        db.close()
