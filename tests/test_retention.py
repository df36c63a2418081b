"""`aggregator prune` on both engines: old stories go with their entries, in batches,
current stories keep every source, and a worker grouping afterwards is not confused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import LocalFeedServer, Response
from feeds import Item, feeds_yaml, rss
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.config import parse_config
from aggregator.models import StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.store import Database
from aggregator.store.queries import find_stories
from aggregator.store.retention import prune
from aggregator.store.schema import EntryRow, StoryRow

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=120)
ANNIVERSARY = "Wittenberg: Lutherhaus feiert Jubiläum mit Festwoche"


OLD_TOPICS = [
    "Kreistag beschließt neue Abfallsatzung",
    "Hochwasser: Deich bei Roßlau wird verstärkt",
    "Schwimmhalle schließt für Sanierung",
    "Orchester probt für Neujahrskonzert",
    "Radweg nach Vockerode freigegeben",
    "Tierpark erwartet Nachwuchs bei Erdmännchen",
    "Glasfaserausbau in Mosigkau beginnt",
]


def old_and_new_items(feed: str) -> list[Item]:
    items = [
        Item(
            f"Dessau-Roßlau: {topic}",
            f"https://{feed}.example/old{n}",
            topic,
            OLD + timedelta(hours=n),
            f"{feed}-old{n}",
        )
        for n, topic in enumerate(OLD_TOPICS)
    ]
    items.append(
        Item("Sommerfest im Stadtpark", f"https://{feed}.example/new", "", NOW, f"{feed}-new")
    )
    return items


@pytest.fixture
def filled(db_url: str, feed_server: LocalFeedServer, tmp_path: Path):
    feed_server.routes["/a.xml"] = Response(
        rss(
            "A",
            old_and_new_items("a")
            + [Item(ANNIVERSARY, "https://a.example/anniversary", "", OLD, "a-anniversary")],
        )
    )
    feed_server.routes["/b.xml"] = Response(
        rss(
            "B",
            old_and_new_items("b")
            + [
                Item(
                    ANNIVERSARY,
                    "https://b.example/anniversary",
                    "",
                    NOW - timedelta(days=2),
                    "b-anniversary",
                )
            ],
        )
    )
    text_ = feeds_yaml(
        [
            {"name": "a", "url": feed_server.url("/a.xml")},
            {"name": "b", "url": feed_server.url("/b.xml")},
        ],
        {"match_window": "200d"},
    )
    config_path = tmp_path / "feeds.yaml"
    config_path.write_text(text_)
    config = parse_config(text_)
    db = Database(db_url)
    pipeline = Pipeline(db, config)
    summary = pipeline.fetch()
    assert summary.new_entries == 18 and summary.new_stories == 9
    yield db, pipeline, config_path, feed_server
    db.close()


def stored(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(StoryRow)),
            session.scalar(select(func.count()).select_from(EntryRow)),
        )


def test_prune_removes_old_stories_with_their_entries_in_batches(filled) -> None:
    db, _config, _path, _server = filled
    batches: list[int] = []
    removed = prune(
        db.session, NOW - timedelta(days=90), batch=3, on_batch=lambda r: batches.append(r.stories)
    )
    assert (removed.stories, removed.entries) == (7, 14)
    assert batches == [3, 6, 7] and removed.batches == 3
    assert stored(db) == (2, 4)
    with db.session() as session:
        stories = {s.title: s for s in find_stories(session, StoryQuery(limit=None))}
        # the anniversary was reported 120 days ago and again 2 days ago: it stays whole
        assert stories[ANNIVERSARY].source_count == 2
        hits = find_stories(session, StoryQuery(search="Abfallsatzung"))
    assert hits == []  # the search index lost the removed entries too
    assert prune(db.session, NOW - timedelta(days=90)).stories == 0


def test_workers_after_a_prune_forget_what_it_removed(filled) -> None:
    db, pipeline, _path, server = filled  # a long-running worker with everything in memory
    assert len(pipeline.grouping.grouper) == 18
    prune(db.session, NOW - timedelta(days=90))
    # an outlet re-publishes an old report: the worker must not attach it to a removed story
    server.routes["/a.xml"] = Response(
        rss(
            "A",
            [
                Item(
                    "Dessau-Roßlau: " + OLD_TOPICS[3],
                    "https://a.example/again",
                    OLD_TOPICS[3],
                    OLD + timedelta(hours=3),
                    "a-again",
                )
            ],
        )
    )
    summary = pipeline.fetch([pipeline.config.feeds[0]])
    assert summary.feeds_failed == 0 and summary.new_stories == 1
    assert stored(db) == (3, 5)


def test_prune_command(filled, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db, _config, _path, _server = filled
    config = tmp_path / "default-window.yaml"
    config.write_text(feeds_yaml([{"name": "a", "url": "http://127.0.0.1:9/a.xml"}]))
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(config))
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db.url, "prune", "--older-than", "90d", "--batch", "5"])
    assert result.exit_code == 0, result.output
    assert "removed 7 stories and 14 entries last updated before" in result.stdout
    assert "(2 batches)" in result.stdout
    result = runner.invoke(app, ["--db", db.url, "prune", "--older-than", "90d"])
    assert "removed 0 stories and 0 entries" in result.stdout
    result = runner.invoke(app, ["--db", db.url, "prune", "--older-than", "48h"])
    assert result.exit_code == 2 and "at least the match window (3d)" in result.stderr
    result = runner.invoke(app, ["--db", db.url, "prune", "--older-than", "lange"])
    assert result.exit_code == 2 and "--older-than: bad duration" in result.stderr
    with db.session() as session:
        assert session.scalar(text("SELECT pruned_before FROM grouping_state")) is not None
