"""Sharing the feeds between workers: a worker leases due feeds before it fetches them.

A lease is two columns on the feed (`lease_owner`, `lease_until`). Claiming is one
`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`: on PostgreSQL two
workers claiming at the same moment skip each other's rows instead of waiting or taking
the same ones; on SQLite the statement runs under the database's single write lock, so
the `lease_until` guard alone keeps claims disjoint. A worker that dies keeps its leases
only until they expire; then any worker takes the feeds over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from aggregator.store.repository import FeedState
from aggregator.store.schema import FeedRow

# More names than this go into the statement in slices (SQLite caps bound parameters).
NAME_CHUNK = 5000


def claim_due_feeds(
    session: Session,
    names: Sequence[str],
    now: datetime,
    worker: str,
    lease: timedelta,
    *,
    limit: int | None = None,
) -> list[FeedState]:
    """Lease up to `limit` (default: all) of the named feeds that are due and free.

    Due: `next_due_at` is unset or not after `now`, and the feed is not disabled. Free: no
    lease, or one that expired at or before `now`. The leases hold until `now + lease` or
    until `release_feed`. The caller commits; commit right away, since on PostgreSQL the
    claimed rows stay locked (and skipped by others, which is harmless) until then.
    Feeds come back most overdue first.
    """
    claimed: list[FeedState] = []
    until = now + lease
    for start in range(0, max(len(names), 1), NAME_CHUNK):
        chunk = list(names[start : start + NAME_CHUNK])
        want = None if limit is None else limit - len(claimed)
        if not chunk or (want is not None and want <= 0):
            break
        candidates = (
            select(FeedRow.id)
            .where(
                FeedRow.name.in_(chunk),
                FeedRow.disabled_reason.is_(None),
                or_(FeedRow.next_due_at.is_(None), FeedRow.next_due_at <= now),
                or_(FeedRow.lease_until.is_(None), FeedRow.lease_until <= now),
            )
            .order_by(FeedRow.next_due_at.is_not(None), FeedRow.next_due_at, FeedRow.id)
            .with_for_update(skip_locked=True)
        )
        if want is not None:
            candidates = candidates.limit(want)
        statement = (
            update(FeedRow)
            .where(FeedRow.id.in_(candidates.scalar_subquery()))
            .values(lease_owner=worker, lease_until=until)
            .returning(
                FeedRow.id,
                FeedRow.name,
                FeedRow.url,
                FeedRow.current_url,
                FeedRow.region,
                FeedRow.priority,
                FeedRow.etag,
                FeedRow.last_modified,
                FeedRow.error_count,
                FeedRow.next_due_at,
                FeedRow.disabled_reason,
            )
            .execution_options(synchronize_session=False)
        )
        for row in session.execute(statement):
            claimed.append(
                FeedState(
                    row.id,
                    row.name,
                    row.url,
                    row.current_url,
                    row.region,
                    row.priority or 0,
                    row.etag,
                    row.last_modified,
                    row.error_count or 0,
                    row.next_due_at,
                    row.disabled_reason,
                )
            )
    claimed.sort(key=lambda f: (f.next_due_at is not None, f.next_due_at or now, f.id))
    return claimed


def release_feed(session: Session, feed_id: int, worker: str) -> bool:
    """Give a feed's lease back; False when `worker` no longer held it (it expired and
    another worker took the feed over)."""
    result = session.execute(
        update(FeedRow)
        .where(FeedRow.id == feed_id, FeedRow.lease_owner == worker)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_all(session: Session, worker: str) -> int:
    """Give back every lease `worker` holds (a worker stopping cleanly); returns how many."""
    result = session.execute(
        update(FeedRow)
        .where(FeedRow.lease_owner == worker)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
