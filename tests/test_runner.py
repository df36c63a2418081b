"""The scheduled run: due selection, `run --once`, the loop, the lock and signals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import LocalFeedServer, Response
from fault_server import FaultServer, Route
from feeds import Item, feeds_yaml, rss
from sqlalchemy import select, update
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.config import parse_config
from aggregator.pipeline import Pipeline
from aggregator.runner import MAX_SLEEP, MIN_SLEEP, Runner
from aggregator.store import Database, repository
from aggregator.store.due import claim_due_feeds, next_wake
from aggregator.store.lock import RunLock, lock_path
from aggregator.store.schema import EntryRow, FeedRow

NOW = datetime.now(UTC).replace(microsecond=0)
cli = CliRunner()


def feed_body(name: str, count: int = 3) -> bytes:
    return rss(
        name,
        [
            Item(
                f"{name}: Meldung {k} über den Stadtrat in Halle",
                f"https://{name}.example/{k}",
                "Text",
                NOW - timedelta(minutes=20 * k + 3),
                f"{name}-{k}",
            )
            for k in range(count)
        ],
    )


def test_claim_due_feeds_returns_configured_enabled_due_feeds_in_due_order(db_url: str) -> None:
    config = parse_config(
        feeds_yaml([{"name": n, "url": f"http://127.0.0.1:9/{n}.xml"} for n in "abcdef"])
    )
    db = Database(db_url)
    try:
        with db.session() as session:
            repository.sync_feeds(session, config.feeds, NOW)
            due_at = {
                "a": NOW + timedelta(minutes=5),  # not yet due
                "b": NOW - timedelta(minutes=1),
                "c": NOW - timedelta(minutes=9),
                "d": None,  # never fetched
                "e": NOW - timedelta(minutes=30),  # due, but disabled
                "f": NOW,  # due exactly now, but not configured below
            }
            for name, at in due_at.items():
                session.execute(update(FeedRow).where(FeedRow.name == name).values(next_due_at=at))
            session.execute(
                update(FeedRow).where(FeedRow.name == "e").values(disabled_reason="gone")
            )
            session.commit()
            claimed = claim_due_feeds(session, list("abcde"), NOW, "w1", timedelta(minutes=5))
            assert [s.name for s in claimed] == ["d", "c", "b"]
            assert claimed[1].next_due_at == due_at["c"]
            assert next_wake(session, list("abcde")) == due_at["c"]
            assert claim_due_feeds(session, [], NOW, "w1", timedelta(minutes=5)) == []
    finally:
        db.close()


@pytest.fixture
def run_workspace(tmp_path: Path, feed_server: LocalFeedServer, monkeypatch: pytest.MonkeyPatch):
    for name in ("a", "b"):
        feed_server.routes[f"/{name}.xml"] = Response(feed_body(name))
    feed_server.routes["/gone.xml"] = Response(b"", status=410, etag=False)
    feed_server.routes["/old.xml"] = Response(
        b"", status=301, etag=False, headers={"Location": "/a.xml"}
    )
    config = tmp_path / "feeds.yaml"
    config.write_text(
        feeds_yaml(
            [
                {"name": "a", "url": feed_server.url("/a.xml"), "interval": "1h"},
                {"name": "b", "url": feed_server.url("/b.xml")},
                {"name": "gone", "url": feed_server.url("/gone.xml")},
                {"name": "old", "url": feed_server.url("/old.xml"), "interval": "1h"},
            ]
        )
    )
    monkeypatch.setenv("AGGREGATOR_DB", f"sqlite:///{tmp_path / 'agg.db'}")
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    return tmp_path, feed_server


def test_run_once_fetches_due_feeds_only(run_workspace) -> None:
    tmp_path, server = run_workspace
    first = cli.invoke(app, ["run", "--once"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "4 due" in first.output
    assert "old: moved permanently to" in first.output and "update its url in feeds.yaml" in (
        first.output
    )
    assert "gone: HTTP 410 Gone: feed disabled" in first.output
    hits = len(server.requests("/a.xml")) + len(server.requests("/b.xml"))
    second = cli.invoke(app, ["run", "--once"], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "0 due" in second.output
    assert len(server.requests("/a.xml")) + len(server.requests("/b.xml")) == hits
    assert len(server.requests("/gone.xml")) == 1

    feeds = cli.invoke(app, ["feeds"], catch_exceptions=False)
    lines = {line.split()[1]: line for line in feeds.output.splitlines() if "│" in line}
    assert "410 gone" in lines["gone"] and "disabled" in lines["gone"]
    assert "feed interval 1h" in lines["a"]
    assert "adaptive" in lines["b"]  # no interval: adapted to the entries' publish times

    # `fetch` still fetches every enabled feed now, due or not.
    fetched = cli.invoke(app, ["fetch"], catch_exceptions=False)
    assert fetched.exit_code == 0
    assert len(server.requests("/b.xml")) == 2
    assert len(server.requests("/gone.xml")) == 1


def test_second_run_on_the_same_sqlite_database_is_refused(run_workspace) -> None:
    tmp_path, _server = run_workspace
    url = f"sqlite:///{tmp_path / 'agg.db'}"
    assert lock_path(url) == tmp_path / "agg.db.run.lock"
    assert lock_path("postgresql://postgres@127.0.0.1/x") is None
    with RunLock(url):
        refused = cli.invoke(app, ["run", "--once"], catch_exceptions=False)
        assert refused.exit_code == 1
        assert "another `aggregator run`" in refused.output
        assert f"pid {os.getpid()}" in refused.output
    allowed = cli.invoke(app, ["run", "--once"], catch_exceptions=False)
    assert allowed.exit_code == 0, allowed.output


def test_loop_sleeps_until_the_next_feed_is_due(sqlite_url: str, feed_server: LocalFeedServer):
    feed_server.routes["/a.xml"] = Response(feed_body("a"))
    config = parse_config(
        feeds_yaml(
            [{"name": "a", "url": feed_server.url("/a.xml"), "interval": "2s"}],
            {"min_interval": "1s"},
        )
    )
    db = Database(sqlite_url)
    try:
        runner = Runner(Pipeline(db, config))
        passes = []
        stamps: list[float] = []

        async def scenario() -> None:
            stop = asyncio.Event()

            def on_pass(report) -> None:  # type: ignore[no-untyped-def]
                passes.append(report)
                stamps.append(time.monotonic())
                if len(passes) == 2:
                    stop.set()

            await runner.run(stop, on_pass=on_pass)

        asyncio.run(scenario())
        assert [p.due for p in passes] == [1, 1]
        assert len(feed_server.requests("/a.xml")) == 2
        assert feed_server.requests("/a.xml")[1][0] == 304
        assert 1.5 <= stamps[1] - stamps[0] < 5
        wake = passes[0].next_due_at
        assert wake is not None
        assert timedelta(seconds=1.5) < wake - passes[0].started_at < timedelta(seconds=4)
        assert runner.sleep_for(NOW + timedelta(days=1)) == MAX_SLEEP.total_seconds()
        assert runner.sleep_for(NOW - timedelta(hours=1)) == MIN_SLEEP.total_seconds()
        assert runner.sleep_for(None) == MAX_SLEEP.total_seconds()
    finally:
        db.close()


def test_sigterm_finishes_the_fetch_under_way_and_exits_0(tmp_path: Path) -> None:
    """A real `aggregator run` process: the slow feed in flight is stored before exiting."""
    server = FaultServer()
    try:
        server.routes["/fast.xml"] = Route(feed_body("fast"))
        slow = feed_body("slow", 2)
        # About 1.5 s of dripping: well inside the 5 s timeout, long enough to signal mid-way.
        server.routes["/slow.xml"] = Route(slow, fault="drip", drip_interval=1.5 / len(slow))
        config = tmp_path / "feeds.yaml"
        config.write_text(
            feeds_yaml(
                [
                    {"name": "fast", "url": server.url("/fast.xml")},
                    {"name": "slow", "url": server.url("/slow.xml")},
                ],
                {"timeout": 5},
            )
        )
        db_url = f"sqlite:///{tmp_path / 'agg.db'}"
        env = dict(os.environ, AGGREGATOR_DB=db_url, AGGREGATOR_CONFIG=str(config))
        process = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "run"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while not server.hits("/slow.xml") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.hits("/slow.xml") == 1
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert "stopping" in stderr
        assert "2 due" in stdout
        db = Database(db_url)
        try:
            with db.session() as session:
                links = set(session.scalars(select(EntryRow.link)))
        finally:
            db.close()
        assert {"https://slow.example/0", "https://slow.example/1"} <= links
    finally:
        server.close()
