"""Replaying a labelled stream through the grouper: in memory (for sweeps) or the store."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from aggregator.evaluation.datasets import LabelledItem
from aggregator.match import Grouper, MatchSettings, extract_features
from aggregator.models import Config, Entry, FeedConfig, ParsedEntry, Settings
from aggregator.parse.normalize import normalize_entry

Stream = Sequence[tuple[LabelledItem, datetime]]


@dataclass(slots=True, frozen=True)
class Replay:
    predicted: dict[str, int]
    seconds: float


def _entry(item: LabelledItem, published: datetime) -> Entry:
    raw = ParsedEntry(item.id, None, item.title, item.summary, published, None)
    return normalize_entry(raw, seen_at=published)


def group_in_memory(stream: Stream, settings: MatchSettings) -> Replay:
    """The real normalizer and grouper, no database: fast enough to sweep thresholds."""
    started = time.perf_counter()
    grouper = Grouper(settings)
    predicted: dict[str, int] = {}
    for key, (item, published) in enumerate(stream):
        entry = _entry(item, published)
        features = extract_features(entry.title, entry.summary_text)
        decision = grouper.decide(entry.published, features)
        story = decision.story_key if decision.story_key is not None else key
        grouper.add(key, story, entry.published, features)
        predicted[item.id] = story
    return Replay(predicted, time.perf_counter() - started)


def replay_through_store(
    stream: Stream, threshold: float, window: timedelta, db_url: str | None = None
) -> Replay:
    """Every item stored and grouped by the pipeline, in a fresh (temporary) database."""
    from aggregator.pipeline import Pipeline
    from aggregator.store import Database
    from aggregator.store.queries import entry_stories

    with tempfile.TemporaryDirectory(prefix="aggregator-eval-") as folder:
        url = db_url or f"sqlite:///{Path(folder) / 'eval.db'}"
        db = Database(url)
        try:
            settings = Settings(
                match_threshold=threshold, match_bare_threshold=threshold, match_window=window
            )
            feeds = {
                item.source: FeedConfig(name=item.source, url="file:///dev/null")
                for item, _ in stream
            }
            clock_at = [stream[0][1] if stream else datetime.now()]
            pipeline = Pipeline(
                db,
                Config(feeds=tuple(feeds.values()), settings=settings),
                clock=lambda: clock_at[0],
            )
            started = time.perf_counter()
            for item, published in stream:
                clock_at[0] = published
                pipeline.ingest(feeds[item.source], [_entry(item, published)])
            seconds = time.perf_counter() - started
            with db.session() as session:
                stories = entry_stories(session)
        finally:
            db.close()
    predicted = {identity.removeprefix("guid:"): story for (_, identity), story in stories.items()}
    return Replay(predicted, seconds)
