"""Writes: feeds and their fetch state, entries, stories and memberships.

Every method works inside the caller's session; the pipeline decides where a transaction
ends (one per feed), so a failure in one feed rolls back only that feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from aggregator.models import Decision, Entry, FeedConfig
from aggregator.store.schema import EntryRow, FeedRow, MembershipRow, StoryRow

CHUNK = 500


@dataclass(slots=True, frozen=True)
class StoredEntry:
    """An entry after storing: its row id and whether it is new or was edited at the source."""

    id: int
    entry: Entry
    is_new: bool
    changed: bool


@dataclass(slots=True, frozen=True)
class IndexedEntry:
    """What the grouper needs of a stored entry to index it."""

    entry_id: int
    story_id: int
    title: str
    summary_text: str
    published: datetime


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def sync_feeds(session: Session, feeds: Sequence[FeedConfig], now: datetime) -> dict[str, int]:
    """Make the feeds table match the configuration; returns name → feed id.

    Feeds that left the configuration keep their rows (and entries); a changed URL resets
    the fetch state, since the old validators belong to another resource.
    """
    rows = {row.name: row for row in session.scalars(select(FeedRow))}
    for feed in feeds:
        row = rows.get(feed.name)
        if row is None:
            row = FeedRow(
                name=feed.name,
                url=feed.url,
                current_url=feed.url,
                created_at=now,
                error_count=0,
                priority=feed.priority,
            )
            session.add(row)
            rows[feed.name] = row
        elif row.url != feed.url:
            row.url = row.current_url = feed.url
            row.etag = row.last_modified = None
            row.disabled_reason = None
            row.error_count = 0
            row.next_due_at = None
        row.region = feed.region
        row.language = feed.language
        row.priority = feed.priority
    session.flush()
    return {name: row.id for name, row in rows.items()}


def upsert_entries(
    session: Session, feed_id: int, entries: Sequence[Entry], now: datetime
) -> list[StoredEntry]:
    """Insert new entries, update edited ones in place; unchanged ones are left alone."""
    if not entries:
        return []
    existing: dict[str, tuple[int, str]] = {}
    identities = [e.identity for e in entries]
    for start in range(0, len(identities), CHUNK):
        chunk = identities[start : start + CHUNK]
        for row_id, identity, digest in session.execute(
            select(EntryRow.id, EntryRow.identity, EntryRow.content_hash).where(
                EntryRow.feed_id == feed_id, EntryRow.identity.in_(chunk)
            )
        ):
            existing[identity] = (row_id, digest)
    out: list[StoredEntry] = []
    fresh = [e for e in entries if e.identity not in existing]
    if fresh:
        insert = _insert(session)
        statement = (
            insert(EntryRow)
            .on_conflict_do_nothing(index_elements=["feed_id", "identity"])
            .returning(EntryRow.id, EntryRow.identity)
        )
        rows = [_entry_values(feed_id, e, now) for e in fresh]
        by_identity = {e.identity: e for e in fresh}
        for start in range(0, len(rows), CHUNK):
            result = session.execute(statement, rows[start : start + CHUNK])
            for row_id, identity in result:
                out.append(StoredEntry(row_id, by_identity[identity], True, False))
    for entry in entries:
        known = existing.get(entry.identity)
        if known is None or known[1] == entry.content_hash:
            continue
        session.execute(
            update(EntryRow)
            .where(EntryRow.id == known[0])
            .values(
                link=entry.link,
                title=entry.title,
                summary_html=entry.summary_html,
                summary_text=entry.summary_text,
                published_at=entry.published,
                content_hash=entry.content_hash,
                updated_at=now,
                guid=entry.guid,
            )
        )
        out.append(StoredEntry(known[0], entry, False, True))
    return out


def _entry_values(feed_id: int, entry: Entry, now: datetime) -> dict[str, object]:
    return {
        "feed_id": feed_id,
        "identity": entry.identity,
        "guid": entry.guid,
        "link": entry.link,
        "title": entry.title,
        "summary_html": entry.summary_html,
        "summary_text": entry.summary_text,
        "published_at": entry.published,
        "first_seen_at": now,
        "updated_at": now,
        "content_hash": entry.content_hash,
    }


def new_story(
    session: Session, entry_id: int, entry: Entry, region: str | None, now: datetime
) -> int:
    story = StoryRow(
        title=entry.title,
        link=entry.link,
        summary_html=entry.summary_html,
        summary_text=entry.summary_text,
        region=region,
        published_at=entry.published,
        updated_at=entry.published,
        canonical_entry_id=entry_id,
        source_count=0,
        created_at=now,
    )
    session.add(story)
    session.flush()
    return story.id


def attach(
    session: Session,
    entry_id: int,
    story_id: int,
    decision: Decision,
    now: datetime,
    *,
    pinned: bool = False,
) -> None:
    """Make `entry_id` a source of `story_id` (moving it if it had another story)."""
    old_story = session.scalar(
        select(MembershipRow.story_id).where(MembershipRow.entry_id == entry_id)
    )
    values = {
        "story_id": story_id,
        "score": decision.score,
        "method": decision.method,
        "matched_terms": " ".join(decision.matched_terms),
        "pinned": pinned,
    }
    if old_story is None:
        session.execute(
            _insert(session)(MembershipRow).values(entry_id=entry_id, created_at=now, **values)
        )
    else:
        session.execute(
            update(MembershipRow).where(MembershipRow.entry_id == entry_id).values(**values)
        )
        if old_story != story_id:
            refresh_story(session, old_story)
    refresh_story(session, story_id)


def refresh_story(session: Session, story_id: int) -> None:
    """Recompute a story's canonical version, dates and source count from its members.

    Canonical: the report from the feed with the highest priority, then the earliest.
    A story left without members is deleted.
    """
    from aggregator.store.bulk import refresh_stories

    refresh_stories(session, [story_id])


def story_of(session: Session, entry_id: int) -> int | None:
    return session.scalar(select(MembershipRow.story_id).where(MembershipRow.entry_id == entry_id))


def feed_region(session: Session, feed_id: int) -> str | None:
    return session.scalar(select(FeedRow.region).where(FeedRow.id == feed_id))


def indexed_entries(
    session: Session, start: datetime, end: datetime, *, after_id: int = 0
) -> Iterable[IndexedEntry]:
    """Grouped entries published in [start, end] (with id > after_id), for the grouper."""
    rows = session.execute(
        select(
            EntryRow.id,
            MembershipRow.story_id,
            EntryRow.title,
            EntryRow.summary_text,
            EntryRow.published_at,
        )
        .join(MembershipRow, MembershipRow.entry_id == EntryRow.id)
        .where(EntryRow.published_at >= start, EntryRow.published_at <= end, EntryRow.id > after_id)
        .order_by(EntryRow.id)
        .execution_options(yield_per=2000)
    )
    for row in rows:
        yield IndexedEntry(row[0], row[1], row[2], row[3], row[4])


def max_entry_id(session: Session) -> int:
    return session.scalar(select(func.max(EntryRow.id))) or 0


@dataclass(slots=True, frozen=True)
class FetchOutcome:
    """What one fetch changes in a feed's stored state."""

    fetched_at: datetime
    status: int | None
    error: str | None
    etag: str | None
    last_modified: str | None
    current_url: str | None = None
    title: str | None = None
    next_due_at: datetime | None = None
    due_reason: str | None = None
    disabled_reason: str | None = None
    warning: str | None = None  # a success with a problem, e.g. entries saved from bad XML


def record_fetch(session: Session, feed_id: int, outcome: FetchOutcome) -> None:
    row = session.get(FeedRow, feed_id)
    if row is None:
        return
    row.last_fetched_at = outcome.fetched_at
    row.last_status = outcome.status
    if outcome.error:
        row.last_error = outcome.error
        row.error_count = (row.error_count or 0) + 1
    else:
        row.last_error = f"warning: {outcome.warning}" if outcome.warning else None
        row.error_count = 0
        row.last_success_at = outcome.fetched_at
        row.etag = outcome.etag
        row.last_modified = outcome.last_modified
    if outcome.current_url:
        row.current_url = outcome.current_url
    if outcome.title:
        row.title = outcome.title
    row.next_due_at = outcome.next_due_at
    row.due_reason = outcome.due_reason
    if outcome.disabled_reason:
        row.disabled_reason = outcome.disabled_reason


@dataclass(slots=True, frozen=True)
class FeedState:
    id: int
    name: str
    url: str
    current_url: str
    region: str | None
    priority: int
    etag: str | None
    last_modified: str | None
    error_count: int
    next_due_at: datetime | None
    disabled_reason: str | None


def feed_states(session: Session, names: Iterable[str] | None = None) -> dict[str, FeedState]:
    statement = select(FeedRow)
    if names is not None:
        statement = statement.where(FeedRow.name.in_(list(names)))
    return {
        row.name: FeedState(
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
        for row in session.scalars(statement)
    }
