"""Which feeds are due: the one query the scheduled run asks before each pass.

`claim_due_feeds` leases the due feeds (store/leases.py), so several workers can share one
PostgreSQL database; `next_wake` tells the loop how long it may sleep.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregator.store import leases
from aggregator.store.repository import FeedState
from aggregator.store.schema import FeedRow


def claim_due_feeds(
    session: Session, names: Sequence[str], now: datetime, worker: str, lease: timedelta
) -> list[FeedState]:
    """The configured (`names`), enabled feeds whose `next_due_at` is unset or past, leased
    to `worker` for `lease` (see `store.leases`), most overdue first."""
    return leases.claim_due_feeds(session, names, now, worker, lease)


def next_wake(session: Session, names: Sequence[str]) -> datetime | None:
    """The earliest `next_due_at` among the configured, enabled feeds (None: none scheduled)."""
    if not names:
        return None
    return session.scalar(
        select(func.min(FeedRow.next_due_at)).where(
            FeedRow.name.in_(list(names)), FeedRow.disabled_reason.is_(None)
        )
    )
