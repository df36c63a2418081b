"""Plain typed records that cross layer boundaries.

Fetch, parse, match, store and export talk to each other only through these records:
never feedparser dicts, httpx responses or ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True, frozen=True)
class FeedConfig:
    """One feed as configured in feeds.yaml."""

    name: str
    url: str
    region: str | None = None
    language: str | None = None
    interval: timedelta | None = None
    priority: int = 0
    line: int | None = None


@dataclass(slots=True, frozen=True)
class Settings:
    """Run-wide settings: the `settings:` block of feeds.yaml, over built-in defaults."""

    interval: timedelta = timedelta(minutes=30)
    match_threshold: float = 0.2
    match_bare_threshold: float = 0.45
    match_window: timedelta = timedelta(hours=72)
    user_agent: str = "aggregator/0.1 (+https://github.com/aggregator/aggregator)"
    timeout: float = 20.0
    connect_timeout: float = 10.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_entries_per_feed: int = 500
    concurrency: int = 20
    per_host_concurrency: int = 2
    # Scheduling bounds: nothing is fetched more often than min_interval; server hints and
    # Retry-After are capped at max_interval; back-off after errors at max_backoff.
    min_interval: timedelta = timedelta(minutes=1)
    max_interval: timedelta = timedelta(hours=24)
    max_backoff: timedelta = timedelta(hours=24)


@dataclass(slots=True, frozen=True)
class Config:
    feeds: tuple[FeedConfig, ...]
    settings: Settings = field(default_factory=Settings)
    path: str | None = None


@dataclass(slots=True, frozen=True)
class FetchState:
    """What the previous fetch left for the next one (conditional GET)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True, frozen=True)
class FetchResult:
    """The outcome of one HTTP (or file) retrieval. Errors are values, not exceptions."""

    feed_name: str
    requested_url: str
    final_url: str
    status: int | None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    permanent_url: str | None = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True, frozen=True)
class ParsedEntry:
    """One entry as the feed wrote it, adapted from any format; not yet normalized."""

    guid: str | None
    link: str | None
    title: str | None
    summary_html: str | None
    published: datetime | None
    updated: datetime | None
    author: str | None = None


@dataclass(slots=True, frozen=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: tuple[ParsedEntry, ...]
    format: str
    ttl_minutes: int | None = None
    warning: str | None = None
    skip_hours: frozenset[int] = frozenset()  # RSS <skipHours>, UTC hours 0-23
    skip_days: frozenset[str] = frozenset()  # RSS <skipDays>, lower-case English weekdays


@dataclass(slots=True, frozen=True)
class Entry:
    """A normalized entry: stable identity, canonical link, plain text beside display HTML."""

    identity: str
    guid: str | None
    link: str | None
    title: str
    summary_html: str
    summary_text: str
    published: datetime
    content_hash: str


@dataclass(slots=True, frozen=True)
class Decision:
    """Where the matcher put an entry and why."""

    story_key: int | None
    score: float
    method: str
    matched_terms: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class Source:
    """One outlet's report of a story."""

    entry_id: int
    feed: str
    title: str
    link: str | None
    published: datetime
    score: float
    method: str
    matched_terms: tuple[str, ...] = ()
    region: str | None = None


@dataclass(slots=True, frozen=True)
class Story:
    id: int
    title: str
    link: str | None
    summary: str
    summary_html: str
    published: datetime
    updated: datetime
    region: str | None
    sources: tuple[Source, ...]

    @property
    def source_count(self) -> int:
        return len(self.sources)


@dataclass(slots=True, frozen=True)
class StoryQuery:
    """Filters shared by `stories`, `export` and the web routes."""

    since: datetime | None = None
    region: str | None = None
    feed: str | None = None
    min_sources: int = 1
    search: str | None = None
    limit: int | None = 50
    offset: int = 0  # for paging: skip this many of the matching stories


@dataclass(slots=True, frozen=True)
class FeedStatus:
    """A feed's configuration beside its stored fetch state, for `aggregator feeds`."""

    name: str
    url: str
    region: str | None
    last_fetched_at: datetime | None
    last_status: int | None
    last_error: str | None
    error_count: int
    entry_count: int
    next_due_at: datetime | None
    due_reason: str | None
    disabled_reason: str | None
    configured: bool


@dataclass(slots=True, frozen=True)
class FeedReport:
    """What one feed's fetch did, for progress output and the run summary."""

    name: str
    status: int | None
    error: str | None = None
    not_modified: bool = False
    new_entries: int = 0
    updated_entries: int = 0
    new_stories: int = 0
    warning: str | None = None
    moved_to: str | None = None


@dataclass(slots=True)
class RunSummary:
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    new_entries: int = 0
    updated_entries: int = 0
    new_stories: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: RunSummary) -> None:
        """Add another summary's counts (one pass made of several batches)."""
        self.feeds_ok += other.feeds_ok
        self.feeds_failed += other.feeds_failed
        self.feeds_not_modified += other.feeds_not_modified
        self.new_entries += other.new_entries
        self.updated_entries += other.updated_entries
        self.new_stories += other.new_stories
        self.errors.extend(other.errors)
        self.moved.extend(other.moved)

    def add(self, report: FeedReport) -> None:
        if report.error:
            self.feeds_failed += 1
            self.errors.append((report.name, report.error))
        else:
            self.feeds_ok += 1
            self.feeds_not_modified += report.not_modified
        self.new_entries += report.new_entries
        self.updated_entries += report.updated_entries
        self.new_stories += report.new_stories
        if report.moved_to:
            self.moved.append((report.name, report.moved_to))

    def line(self) -> str:
        return (
            f"{self.feeds_ok} feeds ok ({self.feeds_not_modified} not modified), "
            f"{self.feeds_failed} failed; {self.new_entries} new entries, "
            f"{self.updated_entries} updated, {self.new_stories} new stories"
        )
