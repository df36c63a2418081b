"""A user's corrections of grouping: merge stories, split an entry out, and regrouping.

Corrected memberships are `pinned`: later fetches never move them and `regroup` keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from aggregator.errors import StoreError
from aggregator.models import Decision, Entry
from aggregator.store.coordination import stamp_grouped, take_grouping_turn
from aggregator.store.repository import attach, new_story, refresh_story
from aggregator.store.schema import EntryRow, FeedRow, MembershipRow, StoryRow


def merge_stories(session: Session, target: int, others: Sequence[int], now: datetime) -> int:
    """Move every source of `others` into `target`; returns how many sources moved."""
    wanted = {target, *others}
    found = set(session.scalars(select(StoryRow.id).where(StoryRow.id.in_(wanted))))
    if missing := sorted(wanted - found):
        raise StoreError(f"no story with id {', '.join(map(str, missing))}")
    # A grouping turn, and the moved memberships stamped with it, so that running workers
    # re-index them under their new story (see store/coordination.py).
    turn = take_grouping_turn(session)
    sources = [o for o in others if o != target]
    entry_ids = list(
        session.scalars(select(MembershipRow.entry_id).where(MembershipRow.story_id.in_(sources)))
    )
    moved = session.execute(
        update(MembershipRow)
        .where(MembershipRow.story_id.in_(sources))
        .values(story_id=target, pinned=True, method="manual merge", score=1.0)
    ).rowcount
    stamp_grouped(session, entry_ids, turn.seq)
    session.execute(
        update(MembershipRow).where(MembershipRow.story_id == target).values(pinned=True)
    )
    for other in others:
        if other != target:
            refresh_story(session, other)
    refresh_story(session, target)
    return int(moved or 0)


def split_entry(session: Session, entry_id: int, now: datetime) -> tuple[int, int]:
    """Give one entry a story of its own; returns (old story id, new story id)."""
    row = session.execute(
        select(EntryRow, FeedRow.region, MembershipRow.story_id)
        .join(FeedRow, FeedRow.id == EntryRow.feed_id)
        .join(MembershipRow, MembershipRow.entry_id == EntryRow.id)
        .where(EntryRow.id == entry_id)
    ).first()
    if row is None:
        raise StoreError(f"no grouped entry with id {entry_id}")
    entry_row, region, old_story = row
    turn = take_grouping_turn(session)  # running workers re-index the entry (coordination.py)
    story = new_story(session, entry_id, _entry(entry_row), region, now)
    attach(session, entry_id, story, Decision(story, 1.0, "manual split"), now, pinned=True)
    stamp_grouped(session, [entry_id], turn.seq)
    # The user said these two belong apart: the sources left behind are pinned too, so a
    # regroup cannot pull them back together.
    session.execute(
        update(MembershipRow).where(MembershipRow.story_id == old_story).values(pinned=True)
    )
    return old_story, story


def _entry(row: EntryRow) -> Entry:
    return Entry(
        identity=row.identity,
        guid=row.guid,
        link=row.link,
        title=row.title,
        summary_html=row.summary_html,
        summary_text=row.summary_text,
        published=row.published_at,
        content_hash=row.content_hash,
    )


@dataclass(slots=True, frozen=True)
class Detached:
    entry_id: int
    old_story: int
    title: str
    summary_text: str
    published: datetime
    region: str | None
    entry: Entry


def detach_unpinned(session: Session, since: datetime | None) -> list[Detached]:
    """Remove the automatic memberships of entries published since `since` (all if None).

    Returns the entries in publishing order, ready to be grouped again. Their old stories
    stay until `drop_empty_stories`, so their ids can be handed back to the same reports.
    """
    statement = (
        select(EntryRow, FeedRow.region, MembershipRow.story_id)
        .join(FeedRow, FeedRow.id == EntryRow.feed_id)
        .join(MembershipRow, MembershipRow.entry_id == EntryRow.id)
        .where(MembershipRow.pinned.is_(False))
        .order_by(EntryRow.published_at, EntryRow.id)
    )
    if since is not None:
        statement = statement.where(EntryRow.published_at >= since)
    out = []
    for entry_row, region, story in session.execute(statement):
        entry = _entry(entry_row)
        out.append(
            Detached(
                entry_row.id,
                story,
                entry_row.title,
                entry_row.summary_text,
                entry_row.published_at,
                region,
                entry,
            )
        )
    ids = [d.entry_id for d in out]
    for start in range(0, len(ids), 500):
        session.execute(
            delete(MembershipRow).where(MembershipRow.entry_id.in_(ids[start : start + 500]))
        )
    return out


def empty_stories(session: Session, candidates: Sequence[int]) -> set[int]:
    """Those of `candidates` that have no member left."""
    out: set[int] = set()
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        out |= set(
            session.scalars(
                select(StoryRow.id).where(
                    StoryRow.id.in_(chunk),
                    ~exists(
                        select(MembershipRow.entry_id).where(MembershipRow.story_id == StoryRow.id)
                    ),
                )
            )
        )
    return out


def refresh_stories(session: Session, story_ids: Sequence[int]) -> None:
    """Recompute the given stories; those left without members are deleted."""
    for story_id in story_ids:
        refresh_story(session, story_id)
