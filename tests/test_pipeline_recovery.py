"""A lost connection or a repeated fetch neither loses nor doubles anything (both engines;
the lost connections are real: PostgreSQL terminates the backend mid-transaction)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import LocalFeedServer, Response
from feeds import Item, feeds_yaml, rss
from sqlalchemy import create_engine, event, func, select, text

from aggregator.config import parse_config
from aggregator.fetch import Fetcher, FetchLimits, FetchRequest
from aggregator.models import Config, FetchResult, FetchState, StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.store import Database, repository
from aggregator.store.queries import find_stories
from aggregator.store.schema import EntryRow, MembershipRow, StoryRow

NOW = datetime.now(UTC).replace(microsecond=0)
SEED = "Dessau: Bauhaus-Museum zeigt neue Ausstellung zur Moderne"


@pytest.fixture
def two_feeds(feed_server: LocalFeedServer) -> Config:
    feed_server.routes["/a.xml"] = Response(
        rss(
            "A",
            [
                Item(SEED, "https://a.example/1", "Eröffnung am Freitag.", NOW, "a1"),
                Item("Dessau: Stadtpark wird saniert", "https://a.example/2", "", NOW, "a2"),
            ],
        )
    )
    feed_server.routes["/b.xml"] = Response(
        rss("B", [Item(SEED, "https://b.example/1", "Eröffnung.", NOW - timedelta(hours=1), "b1")])
    )
    return parse_config(
        feeds_yaml(
            [
                {"name": "a", "url": feed_server.url("/a.xml")},
                {"name": "b", "url": feed_server.url("/b.xml")},
            ]
        )
    )


def fetch_results(config: Config) -> dict[str, FetchResult]:
    """The feeds' fetch results, fetched once, to hand to the pipeline as often as wanted."""
    import asyncio

    async def run() -> dict[str, FetchResult]:
        fetcher = Fetcher(FetchLimits(), "test")
        requests = [FetchRequest(f.name, FetchState(f.url)) for f in config.feeds]
        return {r.feed_name: r async for r in fetcher.fetch_all(requests)}

    return asyncio.run(run())


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table))
            for table in (EntryRow, MembershipRow, StoryRow)
        )


def handle_all(pipeline: Pipeline, db: Database, config: Config, results) -> list:
    with db.session() as session:
        ids = repository.sync_feeds(session, config.feeds, NOW)
        session.commit()
    return [pipeline.handle(f, ids[f.name], results[f.name]) for f in config.feeds]


def test_the_same_fetch_stored_twice_by_two_processes_adds_nothing(
    db_url: str, two_feeds: Config
) -> None:
    results = fetch_results(two_feeds)
    db = Database(db_url)
    try:
        first = handle_all(Pipeline(db, two_feeds), db, two_feeds, results)
        assert [r.new_entries for r in first] == [2, 1] and counts(db) == (3, 3, 2)
        # a second worker took the lease over and stores the very same fetch again
        again = handle_all(Pipeline(db, two_feeds), db, two_feeds, results)
        assert [(r.error, r.new_entries, r.new_stories) for r in again] == [(None, 0, 0)] * 2
        assert counts(db) == (3, 3, 2)
    finally:
        db.close()


@pytest.fixture
def postgres_url(db_url: str) -> Iterator[str]:
    if not db_url.startswith("postgresql"):
        pytest.skip("a SQLite file has no server connection to lose")
    yield db_url


class Terminator:
    """Terminates the backend of the connection that is about to run a chosen step."""

    def __init__(self, db_url: str) -> None:
        self.admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        self.killed: list[int] = []

    def kill(self, connection) -> None:  # type: ignore[no-untyped-def]
        pid = connection.connection.dbapi_connection.info.backend_pid
        with self.admin.connect() as admin:
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        self.killed.append(pid)

    def close(self) -> None:
        self.admin.dispose()


@pytest.mark.parametrize("step", ["INSERT INTO memberships", "COMMIT"])
def test_a_connection_lost_mid_feed_is_retried_once_and_stores_everything_once(
    postgres_url: str, two_feeds: Config, step: str, caplog: pytest.LogCaptureFixture
) -> None:
    results = fetch_results(two_feeds)
    db = Database(postgres_url)
    terminator = Terminator(postgres_url)

    def before_statement(connection, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith(step) and not terminator.killed:
            terminator.kill(connection)

    def before_commit(connection) -> None:  # type: ignore[no-untyped-def]
        if step == "COMMIT" and not terminator.killed and connection.info.get("grouped"):
            terminator.kill(connection)

    def mark_grouping(connection, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE grouping_state"):
            connection.info["grouped"] = True

    event.listen(db.engine, "before_cursor_execute", before_statement)
    event.listen(db.engine, "before_cursor_execute", mark_grouping)
    event.listen(db.engine, "commit", before_commit)
    try:
        with caplog.at_level(logging.WARNING, logger="aggregator.pipeline"):
            reports = handle_all(Pipeline(db, two_feeds), db, two_feeds, results)
        assert len(terminator.killed) == 1, "the backend was never terminated"
        assert "retrying after a database error" in caplog.text
        assert [(r.error, r.new_entries) for r in reports] == [(None, 2), (None, 1)]
        assert counts(db) == (3, 3, 2)
        with db.session() as session:
            stories = find_stories(session, StoryQuery(limit=None))
            pids = session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": terminator.killed[0]},
            )
        assert pids == 0
        assert sorted(s.source_count for s in stories) == [1, 2]
        # nothing half-done remains: a fresh process stores the same fetch without change
        again = handle_all(Pipeline(db, two_feeds), db, two_feeds, results)
        assert [r.new_entries for r in again] == [0, 0] and counts(db) == (3, 3, 2)
    finally:
        terminator.close()
        db.close()
