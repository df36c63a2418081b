"""Grouping turns: how processes sharing one database take grouping decisions one at a time.

Every process keeps its own in-memory index of recent entries (match/grouper.py). Two
processes that decide at the same moment on two reports of one story would each start a
story, so a decision and its writes happen inside a *turn*:

- `take_grouping_turn` increments the single `grouping_state` row. On PostgreSQL the row
  lock it takes is held until the transaction ends, so turns never overlap; on SQLite the
  write lock the transaction already holds does the same. Because turns are serial, the
  turn numbers grow in commit order, which entry ids (drawn before the turn) do not.
- Every membership a turn writes is stamped with the turn's number (`stamp_grouped`).
- At the start of its next turn a process loads the memberships stamped after the last
  turn it saw (`grouped_between`), so its index knows everything decided before it decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aggregator.errors import StoreError
from aggregator.store.repository import CHUNK, IndexedEntry
from aggregator.store.schema import EntryRow, GroupingStateRow, MembershipRow

STATE_ID = 1


@dataclass(slots=True, frozen=True)
class GroupingTurn:
    """This transaction's turn number, and the prune horizon at the time it began."""

    seq: int
    pruned_before: datetime | None


def take_grouping_turn(session: Session) -> GroupingTurn:
    """Wait for, then hold until the transaction ends, the right to group."""
    row = session.execute(
        update(GroupingStateRow)
        .where(GroupingStateRow.id == STATE_ID)
        .values(seq=GroupingStateRow.seq + 1)
        .returning(GroupingStateRow.seq, GroupingStateRow.pruned_before)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        raise StoreError("the grouping_state row is missing: run `aggregator db upgrade`")
    return GroupingTurn(row[0], row[1])


def stamp_grouped(session: Session, entry_ids: Sequence[int], seq: int) -> None:
    """Mark the memberships of `entry_ids` as written in turn `seq`."""
    for start in range(0, len(entry_ids), CHUNK):
        session.execute(
            update(MembershipRow)
            .where(MembershipRow.entry_id.in_(entry_ids[start : start + CHUNK]))
            .values(grouped_seq=seq)
            .execution_options(synchronize_session=False)
        )


def grouped_between(
    session: Session, after_seq: int, before_seq: int, start: datetime, end: datetime
) -> Iterable[IndexedEntry]:
    """Entries published in [start, end] whose membership a turn in (after, before) wrote."""
    rows = session.execute(
        select(
            EntryRow.id,
            MembershipRow.story_id,
            EntryRow.title,
            EntryRow.summary_text,
            EntryRow.published_at,
        )
        .join(MembershipRow, MembershipRow.entry_id == EntryRow.id)
        .where(
            MembershipRow.grouped_seq > after_seq,
            MembershipRow.grouped_seq < before_seq,
            EntryRow.published_at >= start,
            EntryRow.published_at <= end,
        )
        .order_by(MembershipRow.grouped_seq, EntryRow.id)
    )
    for row in rows:
        yield IndexedEntry(row[0], row[1], row[2], row[3], row[4])


def mark_pruned(session: Session, before: datetime) -> None:
    """Record that entries published before `before` may be gone (takes a turn first)."""
    session.execute(
        update(GroupingStateRow)
        .where(GroupingStateRow.id == STATE_ID)
        .values(seq=GroupingStateRow.seq + 1, pruned_before=before)
        .execution_options(synchronize_session=False)
    )
