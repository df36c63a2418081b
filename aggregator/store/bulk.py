"""Set-wise writes for grouping: many memberships in one statement, many stories refreshed
with one read and one executemany, instead of a few statements per entry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from aggregator.models import Decision
from aggregator.store.schema import EntryRow, FeedRow, MembershipRow, StoryRow

CHUNK = 500


@dataclass(slots=True, frozen=True)
class NewMembership:
    """An entry that has no story yet, and the story the matcher gave it."""

    entry_id: int
    story_id: int
    decision: Decision


def add_memberships(session: Session, rows: Sequence[NewMembership], now: datetime) -> None:
    """Insert memberships for entries that have none (new entries); one executemany."""
    if not rows:
        return
    values = [
        {
            "entry_id": row.entry_id,
            "story_id": row.story_id,
            "score": row.decision.score,
            "method": row.decision.method,
            "matched_terms": " ".join(row.decision.matched_terms),
            "pinned": False,
            "created_at": now,
        }
        for row in rows
    ]
    for start in range(0, len(values), CHUNK):
        session.execute(insert(MembershipRow), values[start : start + CHUNK])


def refresh_stories(session: Session, story_ids: Iterable[int]) -> None:
    """Recompute each story's canonical version, dates and source count from its members.

    Canonical: the report from the feed with the highest priority, then the earliest.
    Stories left without members are deleted.
    """
    ids = sorted(set(story_ids))
    if not ids:
        return
    members: dict[int, list[Any]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        result = session.execute(
            select(
                MembershipRow.story_id,
                EntryRow.id,
                EntryRow.title,
                EntryRow.link,
                EntryRow.summary_html,
                EntryRow.summary_text,
                EntryRow.published_at,
                FeedRow.priority,
                FeedRow.region,
            )
            .join(EntryRow, MembershipRow.entry_id == EntryRow.id)
            .join(FeedRow, FeedRow.id == EntryRow.feed_id)
            .where(MembershipRow.story_id.in_(chunk))
        )
        for row in result:
            members[row.story_id].append(row)
    empty = [story_id for story_id in ids if story_id not in members]
    for start in range(0, len(empty), CHUNK):
        session.execute(delete(StoryRow).where(StoryRow.id.in_(empty[start : start + CHUNK])))
    changes = []
    for story_id, rows in members.items():
        canonical = min(rows, key=lambda m: (-m.priority, m.published_at, m.id))
        changes.append(
            {
                "id": story_id,
                "title": canonical.title,
                "link": canonical.link,
                "summary_html": canonical.summary_html,
                "summary_text": canonical.summary_text,
                "region": canonical.region,
                "canonical_entry_id": canonical.id,
                "published_at": min(m.published_at for m in rows),
                "updated_at": max(m.published_at for m in rows),
                "source_count": len(rows),
            }
        )
    if changes:
        session.execute(update(StoryRow), changes)
