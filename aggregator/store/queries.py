"""Reads: stories with their sources and feeds with their state, as plain records.

The CLI, the exports and the web pages all ask these functions; none of them builds SQL.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from aggregator.models import FeedStatus, Source, Story, StoryQuery
from aggregator.store.schema import EntryRow, FeedRow, MembershipRow, StoryRow
from aggregator.store.search import search_condition


def _member_exists(*conditions):  # type: ignore[no-untyped-def]
    return exists(
        select(MembershipRow.entry_id)
        .join(EntryRow, EntryRow.id == MembershipRow.entry_id)
        .join(FeedRow, FeedRow.id == EntryRow.feed_id)
        .where(MembershipRow.story_id == StoryRow.id, *conditions)
    )


def _filtered(query: StoryQuery, dialect: str) -> Select[tuple[int]]:
    statement = select(StoryRow.id)
    if query.since is not None:
        statement = statement.where(StoryRow.updated_at >= query.since)
    if query.min_sources > 1:
        statement = statement.where(StoryRow.source_count >= query.min_sources)
    if query.region:
        statement = statement.where(
            or_(StoryRow.region == query.region, _member_exists(FeedRow.region == query.region))
        )
    if query.feed:
        statement = statement.where(_member_exists(FeedRow.name == query.feed))
    if query.search:
        statement = statement.where(search_condition(query.search, dialect))
    statement = statement.order_by(StoryRow.updated_at.desc(), StoryRow.id.desc())
    if query.limit:
        statement = statement.limit(query.limit)
    if query.offset:
        statement = statement.offset(query.offset)
    return statement


def find_stories(session: Session, query: StoryQuery) -> list[Story]:
    """Stories matching `query`, newest first, each with all of its sources."""
    ids = list(session.scalars(_filtered(query, session.get_bind().dialect.name)))
    return load_stories(session, ids)


def load_stories(session: Session, ids: Sequence[int]) -> list[Story]:
    if not ids:
        return []
    sources: dict[int, list[Source]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(
                MembershipRow.story_id,
                EntryRow.id,
                FeedRow.name,
                EntryRow.title,
                EntryRow.link,
                EntryRow.published_at,
                MembershipRow.score,
                MembershipRow.method,
                MembershipRow.matched_terms,
                FeedRow.region,
            )
            .join(EntryRow, EntryRow.id == MembershipRow.entry_id)
            .join(FeedRow, FeedRow.id == EntryRow.feed_id)
            .where(MembershipRow.story_id.in_(chunk))
            .order_by(EntryRow.published_at, EntryRow.id)
        )
        for story_id, entry_id, feed, title, link, published, score, method, terms, region in rows:
            sources[story_id].append(
                Source(
                    entry_id=entry_id,
                    feed=feed,
                    title=title,
                    link=link,
                    published=published,
                    score=score,
                    method=method,
                    matched_terms=tuple(terms.split()),
                    region=region,
                )
            )
    rows_by_id = {
        row.id: row
        for start in range(0, len(ids), 500)
        for row in session.scalars(
            select(StoryRow).where(StoryRow.id.in_(ids[start : start + 500]))
        )
    }
    stories = []
    for story_id in ids:
        row = rows_by_id.get(story_id)
        if row is None:
            continue
        stories.append(
            Story(
                id=row.id,
                title=row.title,
                link=row.link,
                summary=row.summary_text,
                summary_html=row.summary_html,
                published=row.published_at,
                updated=row.updated_at,
                region=row.region,
                sources=tuple(sources.get(story_id, ())),
            )
        )
    return stories


def get_story(session: Session, story_id: int) -> Story | None:
    found = load_stories(session, [story_id])
    return found[0] if found else None


def feed_statuses(session: Session, configured: Sequence[str]) -> list[FeedStatus]:
    """Every feed (configured first, in config order) with its fetch state and entry count."""
    counts = dict(
        session.execute(select(EntryRow.feed_id, func.count()).group_by(EntryRow.feed_id)).all()
    )
    rows = {row.name: row for row in session.scalars(select(FeedRow))}
    order = list(configured) + sorted(n for n in rows if n not in set(configured))
    out = []
    for name in order:
        row = rows.get(name)
        if row is None:
            continue
        out.append(
            FeedStatus(
                name=row.name,
                url=row.current_url,
                region=row.region,
                last_fetched_at=row.last_fetched_at,
                last_status=row.last_status,
                last_error=row.last_error,
                error_count=row.error_count or 0,
                entry_count=counts.get(row.id, 0),
                next_due_at=row.next_due_at,
                due_reason=row.due_reason,
                disabled_reason=row.disabled_reason,
                configured=name in configured,
            )
        )
    return out


def entry_stories(session: Session) -> dict[tuple[str, str], int]:
    """(feed name, entry identity) → story id, for every grouped entry."""
    rows = session.execute(
        select(FeedRow.name, EntryRow.identity, MembershipRow.story_id)
        .join(EntryRow, EntryRow.feed_id == FeedRow.id)
        .join(MembershipRow, MembershipRow.entry_id == EntryRow.id)
    )
    return {(name, identity): story_id for name, identity, story_id in rows}


@dataclass(slots=True, frozen=True)
class ContentVersion:
    """A cheap fingerprint of everything a merged feed or story page can show.

    It changes whenever a story, an entry, a membership or a feed's name/region changes,
    so the web layer can answer conditional requests without loading any story.
    `changed_at` is the last time stored content was written (for Last-Modified).
    """

    token: str
    changed_at: datetime | None


def content_version(session: Session) -> ContentVersion:
    """The current `ContentVersion`, from aggregates the indexes answer.

    One statement of scalar subqueries (one round trip); each max() stands alone so both
    engines answer it from an index. Only the counts and the membership sum read a whole
    (narrow) index.
    """
    row = session.execute(
        select(
            select(func.max(StoryRow.id)).scalar_subquery(),
            select(func.max(StoryRow.updated_at)).scalar_subquery(),
            select(func.count()).select_from(StoryRow).scalar_subquery(),
            select(func.max(EntryRow.id)).scalar_subquery(),
            select(func.max(EntryRow.updated_at)).scalar_subquery(),
            select(func.count()).select_from(MembershipRow).scalar_subquery(),
            select(func.sum(MembershipRow.story_id)).scalar_subquery(),
        )
    ).one()
    feeds = session.execute(select(FeedRow.id, FeedRow.name, FeedRow.region)).all()
    token = hashlib.sha1(repr((tuple(row), [tuple(f) for f in feeds])).encode()).hexdigest()
    return ContentVersion(token[:20], row[4])


def regions(session: Session) -> list[str]:
    """Every region a stored feed carries, sorted: the choices of a region filter.

    A story's region is its canonical feed's, so the feeds table (small) is enough.
    """
    found = session.scalars(select(FeedRow.region).where(FeedRow.region.is_not(None)).distinct())
    return sorted(r for r in found if r)
