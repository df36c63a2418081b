"""Schema versions on both engines: explicit upgrades, and workers refusing other versions."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.errors import StoreError
from aggregator.store import Database
from aggregator.store.database import _alembic_config, current_revision, head_revision


def _downgrade(db: Database, revision: str) -> None:
    config = _alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_worker_refuses_an_empty_or_older_schema_until_upgraded(db_url: str) -> None:
    with pytest.raises(StoreError, match=r"\(empty\) is older .* run `aggregator db upgrade`"):
        Database(db_url, auto_upgrade=False)
    db = Database(db_url)  # the ordinary commands upgrade on first use
    try:
        assert current_revision(db.engine) == head_revision()
        _downgrade(db, "0001")
    finally:
        db.close()
    with pytest.raises(StoreError, match=r"schema \(0001\) is older .*`aggregator db upgrade`"):
        Database(db_url, auto_upgrade=False)
    result = CliRunner().invoke(app, ["--db", db_url, "db", "upgrade"])
    assert result.exit_code == 0 and f"upgraded from 0001 to {head_revision()}" in result.stdout
    Database(db_url, auto_upgrade=False).close()


def test_worker_and_upgrade_refuse_a_newer_schema(db_url: str) -> None:
    db = Database(db_url)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.close()
    for auto_upgrade in (False, True):
        with pytest.raises(StoreError, match=r"schema \(9999\) is newer .* upgrade aggregator"):
            Database(db_url, auto_upgrade=auto_upgrade)
    result = CliRunner().invoke(app, ["--db", db_url, "stories"])
    assert result.exit_code == 1 and "is newer than this aggregator knows" in result.stderr


def test_every_migration_runs_down_and_up_again(db_url: str) -> None:
    db = Database(db_url)
    try:
        _downgrade(db, "0001")
        _downgrade(db, "base")
    finally:
        db.close()
    db = Database(db_url)  # upgrades from empty again
    try:
        assert current_revision(db.engine) == head_revision()
    finally:
        db.close()
