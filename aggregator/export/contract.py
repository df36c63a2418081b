"""The JSON form of a story: the contract of `stories --format json` and the web API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aggregator.models import FeedStatus, Source, Story


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def source_dict(source: Source) -> dict[str, Any]:
    return {
        "feed": source.feed,
        "title": source.title,
        "link": source.link,
        "published": iso(source.published),
        "score": round(source.score, 4),
        "method": source.method,
        "matched_terms": list(source.matched_terms),
        "region": source.region,
    }


def story_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "link": story.link,
        "summary": story.summary,
        "published": iso(story.published),
        "updated": iso(story.updated),
        "region": story.region,
        "source_count": story.source_count,
        "sources": [source_dict(s) for s in story.sources],
    }


def feed_status_dict(status: FeedStatus) -> dict[str, Any]:
    """A feed's health in JSON, for the web API (`/api/feeds`)."""
    return {
        "name": status.name,
        "url": status.url,
        "region": status.region,
        "configured": status.configured,
        "last_fetched": iso(status.last_fetched_at),
        "last_status": status.last_status,
        "last_error": status.last_error,
        "error_count": status.error_count,
        "disabled_reason": status.disabled_reason,
        "entries": status.entry_count,
        "next_due": iso(status.next_due_at),
        "due_reason": status.due_reason,
        "failing": bool(status.last_error or status.disabled_reason),
    }
