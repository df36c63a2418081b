"""`aggregator demo`: the whole pipeline on bundled feeds, served from 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aggregator.demo.server import FeedServer, outlets
from aggregator.export import FeedMeta, render
from aggregator.models import Config, FeedConfig, RunSummary, Story, StoryQuery
from aggregator.pipeline import Pipeline
from aggregator.store import Database
from aggregator.store.queries import find_stories


@dataclass(slots=True, frozen=True)
class DemoResult:
    summary: RunSummary
    stories: list[Story]
    entries: int
    feed_path: Path
    db_url: str


def run_demo(directory: Path, db_url: str | None = None) -> DemoResult:
    """Serve, fetch, group and export the bundled feeds; into `db_url` when given (best an
    empty database, e.g. on PostgreSQL), else into a new SQLite file in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{directory / 'demo.db'}"
    db = Database(db_url)
    try:
        with FeedServer() as server:
            feeds = tuple(
                FeedConfig(
                    name=o.name,
                    url=server.url(o.file),
                    region=o.region,
                    language=o.language,
                    priority=o.priority,
                )
                for o in outlets()
            )
            summary = Pipeline(db, Config(feeds=feeds)).fetch()
        with db.session() as session:
            stories = find_stories(session, StoryQuery(limit=None))
        feed_path = directory / "merged.atom"
        feed_path.write_bytes(render(stories, "atom", FeedMeta(title="aggregator demo")))
    finally:
        db.close()
    entries = sum(s.source_count for s in stories)
    return DemoResult(summary, stories, entries, feed_path, db_url)
