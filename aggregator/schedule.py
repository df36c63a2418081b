"""When a feed is due next: pure policy, given what the last fetch said and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.durations import format_duration
from aggregator.models import FeedConfig, FetchResult, Settings


@dataclass(slots=True, frozen=True)
class Due:
    at: datetime
    reason: str


def next_due(feed: FeedConfig, result: FetchResult, settings: Settings, now: datetime) -> Due:
    """The feed's own interval, else the default from settings."""
    interval = feed.interval or settings.interval
    source = "feed interval" if feed.interval else "default interval"
    return Due(now + interval, f"{source} {format_duration(interval)}")
