"""Retention: removing stories nobody can ask for any more, with their entries, in batches.

A story is old when its latest report (`updated_at`, what `--since` and the exports filter
on) is before the cutoff; it goes with all of its entries. Entries of a story that is still
current stay, however old they are: the story shows every source. Each batch is its own
short transaction, so workers wait at most one batch for their grouping turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from aggregator.store.coordination import mark_pruned
from aggregator.store.schema import EntryRow, MembershipRow, StoryRow

DEFAULT_BATCH = 500


@dataclass(slots=True)
class PruneResult:
    """What a prune removed."""

    stories: int = 0
    entries: int = 0
    batches: int = 0


def prune_batch(session: Session, before: datetime, limit: int) -> tuple[int, int]:
    """Remove up to `limit` old stories with their entries, then up to `limit` old entries
    that belong to no story; returns (stories, entries) removed. The caller commits.

    Takes the grouping turn first (see store/coordination.py): no worker can attach a new
    report to a story while it is being removed, and every worker's next turn forgets the
    entries published before `before`.
    """
    mark_pruned(session, before)
    story_ids = list(
        session.scalars(
            select(StoryRow.id)
            .where(StoryRow.updated_at < before)
            .order_by(StoryRow.updated_at, StoryRow.id)
            .limit(limit)
        )
    )
    entries = 0
    if story_ids:
        entry_ids = list(
            session.scalars(
                select(MembershipRow.entry_id).where(MembershipRow.story_id.in_(story_ids))
            )
        )
        entries += _delete_entries(session, entry_ids)
        session.execute(
            delete(StoryRow)
            .where(StoryRow.id.in_(story_ids))
            .execution_options(synchronize_session=False)
        )
    orphans = list(
        session.scalars(
            select(EntryRow.id)
            .where(
                EntryRow.published_at < before,
                ~exists().where(MembershipRow.entry_id == EntryRow.id),
            )
            .limit(limit)
        )
    )
    entries += _delete_entries(session, orphans)
    return len(story_ids), entries


def _delete_entries(session: Session, entry_ids: list[int]) -> int:
    removed = 0
    for start in range(0, len(entry_ids), DEFAULT_BATCH):
        chunk = entry_ids[start : start + DEFAULT_BATCH]
        session.execute(
            delete(MembershipRow)
            .where(MembershipRow.entry_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(EntryRow)
            .where(EntryRow.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        removed += len(chunk)
    return removed


def prune(
    sessions: Callable[[], Session],
    before: datetime,
    *,
    batch: int = DEFAULT_BATCH,
    on_batch: Callable[[PruneResult], None] | None = None,
) -> PruneResult:
    """Remove every story last updated before `before`, batch by batch, each committed."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    result = PruneResult()
    while True:
        with sessions() as session:
            stories, entries = prune_batch(session, before, batch)
            session.commit()
        if not stories and not entries:
            return result
        result.stories += stories
        result.entries += entries
        result.batches += 1
        if on_batch:
            on_batch(result)
