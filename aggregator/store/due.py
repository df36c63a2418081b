"""Which feeds are due: the one query the scheduled run asks before each pass.

`claim_due_feeds` is the single entry point so that the selection can later become a
lease (several workers sharing one PostgreSQL database) without touching the run loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from aggregator.store.repository import FeedState
from aggregator.store.schema import FeedRow


def claim_due_feeds(
    session: Session, names: Sequence[str], now: datetime, worker: str, lease: timedelta
) -> list[FeedState]:
    """The configured (`names`), enabled feeds whose `next_due_at` is unset or past.

    Ordered by due time, never-fetched feeds first. `worker` and `lease` are unused by this
    single-process version; they name who takes the feeds and for how long.
    """
    del worker, lease
    if not names:
        return []
    statement = (
        select(FeedRow)
        .where(
            FeedRow.name.in_(list(names)),
            FeedRow.disabled_reason.is_(None),
            or_(FeedRow.next_due_at.is_(None), FeedRow.next_due_at <= now),
        )
        .order_by(FeedRow.next_due_at.is_not(None), FeedRow.next_due_at, FeedRow.id)
    )
    return [_state(row) for row in session.scalars(statement)]


def next_wake(session: Session, names: Sequence[str]) -> datetime | None:
    """The earliest `next_due_at` among the configured, enabled feeds (None: none scheduled)."""
    if not names:
        return None
    return session.scalar(
        select(func.min(FeedRow.next_due_at)).where(
            FeedRow.name.in_(list(names)), FeedRow.disabled_reason.is_(None)
        )
    )


def _state(row: FeedRow) -> FeedState:
    return FeedState(
        row.id,
        row.name,
        row.url,
        row.current_url,
        row.region,
        row.priority,
        row.etag,
        row.last_modified,
        row.error_count or 0,
        row.next_due_at,
        row.disabled_reason,
    )
