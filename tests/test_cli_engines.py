"""Every command on both engines (SQLite file and PostgreSQL) through the CLI runner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from conftest import LocalFeedServer, Response
from feeds import Item, feeds_yaml, rss
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.store.database import head_revision

NOW = datetime.now(UTC).replace(microsecond=0)
SEED = "Görlitz: Altstadtbrücke nach Sanierung wieder für Fußgänger offen"
runner = CliRunner()


@pytest.fixture
def workspace(db_url: str, tmp_path: Path, feed_server: LocalFeedServer, monkeypatch):
    feed_server.routes["/a.xml"] = Response(
        rss(
            "A",
            [
                Item(
                    SEED,
                    "https://a.example/1",
                    "Die Brücke verbindet Görlitz und Zgorzelec.",
                    NOW - timedelta(hours=2),
                    "a1",
                ),
                Item(
                    "Zittau: Theater spielt Märchen",
                    "https://a.example/2",
                    "",
                    NOW - timedelta(hours=1),
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
                    SEED,
                    "https://b.example/1",
                    "Fußgänger dürfen wieder queren.",
                    NOW - timedelta(hours=3),
                    "b1",
                )
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
    monkeypatch.setenv("AGGREGATOR_DB", db_url)
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_every_command(workspace: Path) -> None:
    assert f"upgraded from empty to {head_revision()}" in invoke("db", "upgrade").stdout
    assert "2 feeds ok (0 not modified), 0 failed; 3 new entries, 0 updated, 2 new stories" in (
        invoke("fetch").stdout
    )
    stories = json.loads(invoke("stories", "--format", "json").stdout)
    assert [s["source_count"] for s in stories] == [1, 2]
    found = json.loads(
        invoke("stories", "--format", "json", "--search", "fußgänger görlitz").stdout
    )
    assert [s["title"] for s in found] == [SEED]
    story = invoke("story", str(found[0]["id"]), "--explain").stdout
    assert "https://a.example/1" in story and "https://b.example/1" in story
    parsed = feedparser.parse(invoke("export", "--format", "atom", "--search", "zittau").stdout)
    assert [e.title for e in parsed.entries] == ["Zittau: Theater spielt Märchen"]
    exported = json.loads(invoke("export", "--format", "json").stdout)
    assert len(exported["items"]) == 2
    feeds = invoke("feeds").stdout
    assert "a" in feeds and "200" in feeds
    assert "removed 0 stories and 0 entries" in invoke("prune", "--older-than", "90d").stdout
    assert f"database: {head_revision()};" in invoke("db", "current").stdout


def test_demo_into_the_given_database(workspace: Path, db_url: str) -> None:
    result = invoke("demo", "--dir", str(workspace / "demo"))
    assert "5 feeds ok" in result.stdout and "70 new entries" in result.stdout
    assert f"database: {db_url}" in result.stdout
    assert not (workspace / "demo" / "demo.db").exists()
    assert len(json.loads(invoke("stories", "--format", "json", "--limit", "0").stdout)) >= 40
