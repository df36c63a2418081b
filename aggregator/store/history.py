"""What scheduling needs to know of a feed's past: consecutive errors and publish times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregator.store.schema import EntryRow, FeedRow


def error_count(session: Session, feed_id: int) -> int:
    """Consecutive failed fetches recorded so far (0 after a success)."""
    return session.scalar(select(FeedRow.error_count).where(FeedRow.id == feed_id)) or 0


def publish_times(session: Session, feed_id: int, limit: int = 30) -> list[datetime]:
    """The newest `limit` publish times of the feed's stored entries, newest first."""
    return list(
        session.scalars(
            select(EntryRow.published_at)
            .where(EntryRow.feed_id == feed_id)
            .order_by(EntryRow.published_at.desc())
            .limit(limit)
        )
    )
