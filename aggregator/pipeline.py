"""The one orchestrator: fetch → parse → normalize → match → store, one feed at a time.

Each feed's outcome is committed in its own transaction. Anything unexpected inside one
feed is caught at that boundary, recorded as the feed's error, and the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from aggregator.errors import ParseError
from aggregator.fetch import Fetcher, FetchLimits, FetchRequest
from aggregator.grouping import GroupingSession
from aggregator.match import MatchSettings
from aggregator.models import (
    Config,
    Decision,
    Entry,
    FeedConfig,
    FeedReport,
    FetchResult,
    FetchState,
    ParsedFeed,
    RunSummary,
)
from aggregator.parse import normalize_entries, parse_feed
from aggregator.schedule import FeedHints, History, next_due
from aggregator.store import Database, bulk, history, repository

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
OnFeed = Callable[[FeedReport], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    def __init__(
        self,
        db: Database,
        config: Config,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.settings = config.settings
        self.clock = clock
        self.rng = rng or random.Random()
        # The polling hints of each feed's last full document (ttl, skipHours, skipDays),
        # so that a 304 keeps obeying them for as long as this pipeline lives (`run`).
        self.hints: dict[int, FeedHints] = {}
        self.grouping = GroupingSession(
            MatchSettings(
                threshold=self.settings.match_threshold,
                bare_threshold=self.settings.match_bare_threshold,
                window=self.settings.match_window,
            )
        )
        self._known_feed_ids: dict[str, int] | None = None

    def fetch(
        self, feeds: Sequence[FeedConfig] | None = None, on_feed: OnFeed | None = None
    ) -> RunSummary:
        """Fetch the given feeds (default: all configured) now and store what they hold."""
        return asyncio.run(self.fetch_async(feeds, on_feed))

    async def fetch_async(
        self,
        feeds: Sequence[FeedConfig] | None = None,
        on_feed: OnFeed | None = None,
        stop: asyncio.Event | None = None,
    ) -> RunSummary:
        """Fetch and store `feeds`; once `stop` is set, fetches not yet begun are skipped."""
        feeds = list(self.config.feeds if feeds is None else feeds)
        summary = RunSummary()
        with self.db.session() as session:
            ids = repository.sync_feeds(session, self.config.feeds, self.clock())
            states = repository.feed_states(session, [f.name for f in feeds])
            session.commit()
        by_name = {f.name: f for f in feeds}
        requests = []
        for feed in feeds:
            state = states[feed.name]
            if state.disabled_reason:
                report = FeedReport(feed.name, None, error=f"disabled: {state.disabled_reason}")
                summary.add(report)
                if on_feed:
                    on_feed(report)
                continue
            requests.append(
                FetchRequest(
                    feed.name, FetchState(state.current_url, state.etag, state.last_modified)
                )
            )
        fetcher = Fetcher(FetchLimits.from_settings(self.settings), self.settings.user_agent)
        async for result in fetcher.fetch_all(requests, stop):
            # Storing and grouping are CPU work; done in a worker thread (one feed at a time)
            # they leave the event loop free to keep the other fetches' sockets and timers
            # going, so a long grouping never makes a healthy fetch time out.
            report = await asyncio.to_thread(
                self.handle, by_name[result.feed_name], ids[result.feed_name], result
            )
            summary.add(report)
            if on_feed:
                on_feed(report)
        return summary

    def handle(self, feed: FeedConfig, feed_id: int, result: FetchResult) -> FeedReport:
        """Store one fetch result; never raises.

        A transaction that fails for an operational reason (the connection was lost, a
        deadlock was broken, SQLite stayed locked) is retried once from the start: it
        committed nothing, and unique constraints make a retry after a commit whose answer
        was lost add nothing twice.
        """
        try:
            try:
                return self._store_once(feed, feed_id, result)
            except OperationalError as exc:
                log.warning("feed %s: retrying after a database error: %s", feed.name, exc.orig)
                return self._store_once(feed, feed_id, result)
        except Exception as exc:  # the per-feed boundary
            log.exception("feed %s: unexpected error while storing", feed.name)
            error = f"internal error while storing: {type(exc).__name__}: {exc}"
            failed = replace(result, error=error, body=None)
            with self.db.session() as session:
                outcome = self._outcome(session, feed, feed_id, failed)
                repository.record_fetch(session, feed_id, outcome)
                session.commit()
            return FeedReport(feed.name, result.status, error=error)

    def _store_once(self, feed: FeedConfig, feed_id: int, result: FetchResult) -> FeedReport:
        try:
            with self.db.session() as session:
                report = self._store(session, feed, feed_id, result)
                session.commit()
        except BaseException:
            self.grouping.rolled_back()
            raise
        self.grouping.committed()
        return report

    def _outcome(
        self,
        session: Session,
        feed: FeedConfig,
        feed_id: int,
        result: FetchResult,
        parsed: ParsedFeed | None = None,
    ) -> repository.FetchOutcome:
        now = result.fetched_at or self.clock()
        past = History(
            error_count=history.error_count(session, feed_id),
            # Only an unconfigured interval adapts to the publishing rate.
            published=history.publish_times(session, feed_id) if feed.interval is None else (),
        )
        if parsed is not None:
            self.hints[feed_id] = FeedHints(parsed.ttl_minutes, parsed.skip_hours, parsed.skip_days)
        hints = self.hints.get(feed_id)
        due = next_due(
            feed,
            result,
            self.settings,
            now,
            history=past,
            hints=hints,
            jitter=self.rng.random(),
        )
        title = parsed.title if parsed is not None else None
        return repository.FetchOutcome(
            fetched_at=now,
            status=result.status,
            error=result.error,
            etag=result.etag,
            last_modified=result.last_modified,
            current_url=result.permanent_url,
            title=title,
            next_due_at=due.at,
            due_reason=due.reason,
            disabled_reason=due.disabled_reason,
        )

    def _store(
        self, session: Session, feed: FeedConfig, feed_id: int, result: FetchResult
    ) -> FeedReport:
        moved = result.permanent_url
        if result.error or result.not_modified:
            outcome = self._outcome(session, feed, feed_id, result)
            repository.record_fetch(session, feed_id, outcome)
            error = result.error
            if outcome.disabled_reason:
                error = f"{error}: feed disabled; remove it from feeds.yaml or change its url"
            return FeedReport(
                feed.name,
                result.status,
                error=error,
                not_modified=result.not_modified,
                moved_to=moved,
            )
        try:
            parsed = parse_feed(result.body, result.content_type)
        except ParseError as exc:
            failed = replace(result, error=str(exc))
            outcome = self._outcome(session, feed, feed_id, failed)
            repository.record_fetch(session, feed_id, outcome)
            return FeedReport(feed.name, result.status, error=str(exc), moved_to=moved)
        now = self.clock()
        entries = normalize_entries(
            parsed.entries,
            seen_at=now,
            base_url=parsed.link or result.final_url,
            limit=self.settings.max_entries_per_feed,
        )
        stored = repository.upsert_entries(session, feed_id, entries, now)
        new_stories = self._group(session, feed, feed_id, stored, now)
        outcome = self._outcome(session, feed, feed_id, result, parsed)
        repository.record_fetch(session, feed_id, replace(outcome, warning=parsed.warning))
        return FeedReport(
            feed.name,
            result.status,
            new_entries=sum(s.is_new for s in stored),
            updated_entries=sum(s.changed for s in stored),
            new_stories=new_stories,
            warning=parsed.warning,
            moved_to=moved,
        )

    def _group(
        self,
        session: Session,
        feed: FeedConfig,
        feed_id: int,
        stored: list[repository.StoredEntry],
        now: datetime,
    ) -> int:
        if not stored:
            return 0
        # One process groups at a time, knowing what the others grouped before it.
        self.grouping.begin_turn(session)
        published = [s.entry.published for s in stored]
        self.grouping.cover(session, min(published), max(published))
        region = feed.region
        new_stories = 0
        touched: list[int] = []
        memberships: list[bulk.NewMembership] = []
        stories: set[int] = set()
        try:
            for item in sorted(stored, key=lambda s: (s.entry.published, s.id)):
                entry = item.entry
                if item.changed:
                    story_id = repository.story_of(session, item.id)
                    if story_id is not None:
                        stories.add(story_id)
                        self.grouping.index(
                            item.id, story_id, entry.title, entry.summary_text, entry.published
                        )
                        touched.append(item.id)
                        continue
                decision = self.grouping.decide(entry.title, entry.summary_text, entry.published)
                if decision.story_key is None:
                    story_id = repository.new_story(session, item.id, entry, region, now)
                    decision = Decision(story_id, 1.0, "new", ())
                    new_stories += 1
                else:
                    story_id = decision.story_key
                if item.is_new:
                    memberships.append(bulk.NewMembership(item.id, story_id, decision))
                else:  # an edited entry that had no story: rare, done one by one
                    repository.attach(session, item.id, story_id, decision, now)
                stories.add(story_id)
                self.grouping.index(
                    item.id, story_id, entry.title, entry.summary_text, entry.published
                )
                touched.append(item.id)
            # One statement for the memberships and one read plus one write for the stories,
            # instead of a few statements per entry.
            bulk.add_memberships(session, memberships, now)
            bulk.refresh_stories(session, stories)
        except Exception:
            self.grouping.forget(touched)
            raise
        self.grouping.end_turn(session, touched)
        return new_stories

    def ingest(self, feed: FeedConfig, entries: Sequence[Entry]) -> tuple[int, int]:
        """Store and group already-normalized entries of one feed, without fetching.

        Used to replay labelled data sets and by tools that read entries from elsewhere.
        Returns (new entries, new stories).
        """
        now = self.clock()
        try:
            with self.db.session() as session:
                feed_id = self._feed_ids(session).get(feed.name)
                if feed_id is None:
                    feed_id = repository.sync_feeds(session, [feed], now)[feed.name]
                    self._feed_ids(session)[feed.name] = feed_id
                stored = repository.upsert_entries(session, feed_id, entries, now)
                new_stories = self._group(session, feed, feed_id, stored, now)
                session.commit()
        except Exception:
            self.grouping.rolled_back()
            raise
        self.grouping.committed()
        return sum(s.is_new for s in stored), new_stories

    def _feed_ids(self, session: Session) -> dict[str, int]:
        if self._known_feed_ids is None:
            self._known_feed_ids = {
                name: state.id for name, state in repository.feed_states(session).items()
            }
        return self._known_feed_ids
