"""merge, split and regroup through the CLI; corrections survive later fetches and regrouping."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import LocalFeedServer, Response
from feeds import Item, feeds_yaml, rss
from typer.testing import CliRunner

from aggregator.cli import app

NOW = datetime.now(UTC).replace(microsecond=0)
runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def stories() -> list[dict]:
    return json.loads(invoke("stories", "--format", "json", "--limit", "0").stdout)


@pytest.fixture
def fetched(tmp_path: Path, feed_server: LocalFeedServer, monkeypatch: pytest.MonkeyPatch):
    feed_server.routes["/a.xml"] = Response(
        rss(
            "A",
            [
                Item(
                    "Dresden: Brücke über die Elbe wird ab Montag gesperrt",
                    "https://a.example/1",
                    "",
                    NOW - timedelta(hours=3),
                    "a1",
                ),
                Item(
                    "Chemnitz: Neues Museum für Industriekultur eröffnet",
                    "https://a.example/2",
                    "",
                    NOW - timedelta(hours=2),
                    "a2",
                ),
            ],
        )
    )
    feed_server.routes["/b.xml"] = Response(
        rss(
            "B",
            [
                Item(
                    "Dresden: Brücke über die Elbe wird ab Montag gesperrt",
                    "https://b.example/1",
                    "",
                    NOW - timedelta(hours=1),
                    "b1",
                ),
            ],
        )
    )
    config = tmp_path / "feeds.yaml"
    config.write_text(
        feeds_yaml(
            [
                {"name": "a", "url": feed_server.url("/a.xml"), "region": "Sachsen", "priority": 2},
                {"name": "b", "url": feed_server.url("/b.xml"), "region": "Sachsen"},
            ]
        )
    )
    monkeypatch.setenv("AGGREGATOR_DB", f"sqlite:///{tmp_path / 'agg.db'}")
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)
    assert invoke("fetch").exit_code == 0
    return feed_server


def test_split_then_survives_refetch_and_regroup(fetched) -> None:
    bridge = next(s for s in stories() if s["source_count"] == 2)
    shown = invoke("story", str(bridge["id"])).stdout
    entry_ids = [int(part.split(")")[0]) for part in shown.split("(entry ")[1:]]
    assert len(entry_ids) == 2
    result = invoke("split", str(entry_ids[1]))
    assert (
        result.exit_code == 0 and f"entry {entry_ids[1]} left story {bridge['id']}" in result.stdout
    )
    assert sorted(s["source_count"] for s in stories()) == [1, 1, 1]

    assert invoke("fetch").exit_code == 0
    assert invoke("regroup").exit_code == 0
    after = stories()
    assert sorted(s["source_count"] for s in after) == [1, 1, 1]
    assert any(s["sources"][0]["method"] == "manual split" for s in after)


def test_merge_then_survives_regroup(fetched) -> None:
    before = stories()
    bridge = next(s for s in before if s["source_count"] == 2)
    museum = next(s for s in before if s["source_count"] == 1)
    result = invoke("merge", str(bridge["id"]), str(museum["id"]))
    assert result.exit_code == 0 and "1 sources moved" in result.stdout
    merged = stories()
    assert len(merged) == 1 and merged[0]["id"] == bridge["id"] and merged[0]["source_count"] == 3
    assert invoke("regroup").exit_code == 0
    assert [s["source_count"] for s in stories()] == [3]


def test_regroup_keeps_story_ids_when_nothing_changes(fetched) -> None:
    before = {s["id"]: s["source_count"] for s in stories()}
    result = invoke("regroup")
    assert "regrouped 3 entries: 0 changed story" in result.stdout
    assert {s["id"]: s["source_count"] for s in stories()} == before


def test_bad_corrections_are_clear_errors(fetched) -> None:
    assert invoke("merge", "1").exit_code == 2
    result = invoke("merge", "1", "999")
    assert result.exit_code == 1 and "no story with id 999" in result.stderr
    assert "no grouped entry with id 999" in invoke("split", "999").stderr


def test_a_running_pipeline_follows_a_merge_made_elsewhere(db_url: str) -> None:
    """A worker that indexed story B before B was merged into A files new reports under A."""
    from aggregator.models import Config, Entry, FeedConfig, StoryQuery
    from aggregator.pipeline import Pipeline
    from aggregator.store import Database
    from aggregator.store.corrections import merge_stories
    from aggregator.store.queries import find_stories

    def entry(identity: str, title: str, hours: int) -> Entry:
        when = NOW - timedelta(hours=hours)
        return Entry(
            identity, identity, f"https://x.example/{identity}", title, "", "", when, identity
        )

    feed = FeedConfig(name="x", url="file:///dev/null")
    db = Database(db_url)
    try:
        worker = Pipeline(db, Config(feeds=(feed,)))
        worker.ingest(
            feed, [entry("a1", "Dresden: Brücke über die Elbe wird ab Montag gesperrt", 5)]
        )
        worker.ingest(feed, [entry("b1", "Chemnitz: Neues Museum für Industriekultur eröffnet", 4)])
        with db.session() as session:
            a, b = sorted(s.id for s in find_stories(session, StoryQuery(limit=None)))
            merge_stories(session, a, [b], NOW)  # another process: the CLI
            session.commit()
        worker.ingest(feed, [entry("b2", "Chemnitz: Neues Museum für Industriekultur eröffnet", 3)])
        with db.session() as session:
            stories = find_stories(session, StoryQuery(limit=None))
        assert [(s.id, s.source_count) for s in stories] == [(a, 3)]
    finally:
        db.close()


def test_a_running_pipeline_follows_a_split_made_elsewhere(db_url: str) -> None:
    """After a split elsewhere, a worker files a new copy of the split report with it."""
    from aggregator.models import Config, Entry, FeedConfig, StoryQuery
    from aggregator.pipeline import Pipeline
    from aggregator.store import Database
    from aggregator.store.corrections import split_entry
    from aggregator.store.queries import find_stories

    def entry(identity: str, title: str, hours: int) -> Entry:
        when = NOW - timedelta(hours=hours)
        return Entry(
            identity, identity, f"https://x.example/{identity}", title, "", "", when, identity
        )

    one = "Dresden: Brücke über die Elbe wird ab Montag gesperrt"
    other = "Dresden: Brücke über die Elbe wird ab Montag für Autos gesperrt"
    feed = FeedConfig(name="x", url="file:///dev/null")
    db = Database(db_url)
    try:
        worker = Pipeline(db, Config(feeds=(feed,)))
        worker.ingest(feed, [entry("a1", one, 5)])
        worker.ingest(feed, [entry("a2", other, 4)])
        with db.session() as session:
            [story] = find_stories(session, StoryQuery(limit=None))
            assert story.source_count == 2
            a2 = next(s.entry_id for s in story.sources if s.link.endswith("a2"))
            _, new = split_entry(session, a2, NOW)  # another process: the CLI
            session.commit()
        worker.ingest(feed, [entry("a3", other, 3)])  # the same headline as a2
        with db.session() as session:
            stories = {s.id: s for s in find_stories(session, StoryQuery(limit=None))}
        assert sorted(src.link for src in stories[new].sources) == [
            "https://x.example/a2",
            "https://x.example/a3",
        ]
    finally:
        db.close()
