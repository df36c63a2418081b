"""Every command through typer's CliRunner, against a local feed server and a SQLite file."""

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
SEED = "Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch!"


@pytest.fixture
def workspace(tmp_path: Path, feed_server: LocalFeedServer, monkeypatch: pytest.MonkeyPatch):
    feed_server.routes["/a.xml"] = Response(
        rss(
            "A",
            [
                Item(SEED, "https://a.example/1", "Text", NOW - timedelta(hours=2), "a1"),
                Item(
                    "Dresden: Semperoper stellt Spielplan vor",
                    "https://a.example/2",
                    "Oper",
                    NOW - timedelta(hours=1),
                    "a2",
                ),
            ],
        )
    )
    feed_server.routes["/b.xml"] = Response(
        rss("B", [Item(SEED, "https://b.example/1", "Text", NOW - timedelta(hours=3), "b1")])
    )
    config = tmp_path / "feeds.yaml"
    config.write_text(
        feeds_yaml(
            [
                {"name": "a", "url": feed_server.url("/a.xml"), "region": "Sachsen", "priority": 2},
                {"name": "b", "url": feed_server.url("/b.xml"), "region": "Sachsen-Anhalt"},
                {"name": "dead", "url": feed_server.url("/dead.xml"), "region": "Sachsen"},
            ]
        )
    )
    monkeypatch.setenv("AGGREGATOR_DB", f"sqlite:///{tmp_path / 'agg.db'}")
    monkeypatch.setenv("AGGREGATOR_CONFIG", str(config))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path, feed_server


runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_fetch_then_query_story_export_feeds(workspace) -> None:
    tmp_path, server = workspace
    result = invoke("fetch")
    assert result.exit_code == 0, result.output
    assert (
        "2 feeds ok (0 not modified), 1 failed; 3 new entries, 0 updated, 2 new stories"
        in result.stdout
    )
    assert "dead: HTTP 404 Not Found" in result.stderr

    stories = json.loads(invoke("stories", "--format", "json", "--limit", "0").stdout)
    assert [s["source_count"] for s in stories] == [1, 2]  # newest first
    seed = stories[1]
    assert seed["link"] == "https://a.example/1" and seed["region"] == "Sachsen"
    assert seed["published"].endswith("+00:00")
    assert {s["feed"] for s in seed["sources"]} == {"a", "b"}
    assert set(seed["sources"][0]) >= {"feed", "title", "link", "published", "score"}

    table = invoke("stories")
    assert "Semperoper" in table.stdout and "2 stories" in table.stdout
    assert (
        json.loads(invoke("stories", "--format", "json", "--min-sources", "2").stdout)[0]["id"]
        == seed["id"]
    )
    assert (
        json.loads(invoke("stories", "--format", "json", "--search", "semperoper").stdout)[0]["id"]
        != seed["id"]
    )
    assert (
        json.loads(invoke("stories", "--format", "json", "--region", "Sachsen-Anhalt").stdout)[0][
            "id"
        ]
        == seed["id"]
    )
    assert (
        json.loads(invoke("stories", "--format", "json", "--feed", "b").stdout)[0]["id"]
        == seed["id"]
    )
    assert len(json.loads(invoke("stories", "--format", "json", "--limit", "1").stdout)) == 1
    assert (
        json.loads(invoke("stories", "--format", "json", "--since", "90m").stdout)[0][
            "source_count"
        ]
        == 1
    )

    shown = invoke("story", str(seed["id"]), "--explain")
    assert (
        shown.exit_code == 0
        and "https://a.example/1" in shown.stdout
        and "https://b.example/1" in shown.stdout
    )
    assert "identical" in shown.stdout
    assert invoke("story", "9999").exit_code == 1

    out = tmp_path / "merged.rss"
    assert invoke("export", "--format", "rss", "--output", str(out)).exit_code == 0
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 2
    atom = invoke("export")
    assert not feedparser.parse(atom.stdout_bytes).bozo
    assert json.loads(invoke("export", "--format", "json").stdout)["version"].endswith("1.1")

    feeds = invoke("feeds")
    assert feeds.exit_code == 0
    assert "HTTP 404 Not Found" in feeds.stdout and "a" in feeds.stdout


def test_refetch_adds_nothing(workspace) -> None:
    invoke("fetch")
    before = invoke("stories", "--format", "json", "--limit", "0").stdout
    second = invoke("fetch")
    assert "0 new entries" in second.stdout and "(2 not modified)" in second.stdout
    assert invoke("stories", "--format", "json", "--limit", "0").stdout == before


def test_bad_config_exits_2_names_line_and_fetches_nothing(workspace) -> None:
    tmp_path, server = workspace
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - name: a\n    url: https://a.example/\n  - name: a\n    url: https://b.example/\n"
    )
    result = invoke("fetch")
    assert result.exit_code == 2
    assert "line 4" in result.stderr and "duplicate feed name 'a'" in result.stderr
    assert server.log == []


def test_bad_options_are_clear(workspace) -> None:
    assert invoke("stories", "--since", "yesterday").exit_code == 2
    assert invoke("stories", "--limit", "-1").exit_code == 2
    assert invoke("fetch", "--feed", "nope").exit_code == 2


def test_db_commands(workspace) -> None:
    assert "upgraded from empty" in invoke("db", "upgrade").stdout
    assert "up to date" in invoke("db", "upgrade").stdout
    current = invoke("db", "current").stdout
    assert f"database: {head_revision()};" in current


def test_demo_runs_offline_and_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert "5 feeds ok" in result.stdout and "70 new entries" in result.stdout
    assert (tmp_path / "aggregator-demo" / "merged.atom").exists()
    parsed = feedparser.parse((tmp_path / "aggregator-demo" / "merged.atom").read_bytes())
    assert not parsed.bozo and len(parsed.entries) >= 40
