"""What every route needs: the database, the serving settings, the render cache, templates."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from aggregator.models import FeedConfig
from aggregator.store import Database
from aggregator.store.queries import ContentVersion, content_version
from aggregator.web.conditional import RenderCache

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
DEFAULT_MAX_AGE = 1800


@dataclass(slots=True, frozen=True)
class WebSettings:
    """How `serve` presents the store.

    `max_age` is the Cache-Control lifetime of the merged feeds: the fetch interval, since
    nothing new can appear sooner. `feeds` are the configured subscriptions (for ordering
    the health page and for OPML); None when no feeds.yaml was found, and then the feeds
    stored in the database stand in.
    """

    title: str = "aggregator"
    max_age: int = DEFAULT_MAX_AGE
    feeds: tuple[FeedConfig, ...] | None = None
    version_ttl: float = 1.0  # seconds a content version is trusted before asking again


class VersionCache:
    """The store's content version, asked at most once per `ttl` seconds.

    Under load, every conditional request would otherwise run the version query; with
    this, a change made by `fetch` in another process shows within `ttl` seconds.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._current: ContentVersion | None = None
        self._asked_at = 0.0
        self._lock = threading.Lock()

    def fresh(self) -> ContentVersion | None:
        """The cached version if it is younger than `ttl`, else None (no query)."""
        current = self._current
        if current is not None and time.monotonic() - self._asked_at < self.ttl:
            return current
        return None

    def usable(self) -> ContentVersion | None:
        """Like `fresh`, but while another request is asking the store, its predecessor.

        So a burst of requests does not fall back to the slow path all at once whenever
        the version expires.
        """
        current = self.fresh()
        if current is None and self._lock.locked():
            return self._current
        return current

    def get(self, session: Session) -> ContentVersion:
        """The current version; asks the store when the cached one is older than `ttl`.

        While one request asks, the others go on with the previous answer instead of
        waiting for it (it is at most a moment older than they would get anyway).
        """
        current = self.fresh()
        if current is not None:
            return current
        if not self._lock.acquire(blocking=self._current is None):
            assert self._current is not None
            return self._current
        try:
            current = self.fresh()
            if current is None:
                current = content_version(session)
                self._current, self._asked_at = current, time.monotonic()
            return current
        finally:
            self._lock.release()


@dataclass(slots=True)
class WebState:
    db: Database
    settings: WebSettings
    templates: Jinja2Templates
    cache: RenderCache = field(default_factory=RenderCache)
    versions: VersionCache = field(init=False)

    def __post_init__(self) -> None:
        self.versions = VersionCache(self.settings.version_ttl)

    def session(self) -> Session:
        return self.db.session()

    def version(self, session: Session) -> ContentVersion:
        return self.versions.get(session)


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def db_session(request: Request) -> Iterator[Session]:
    """One session per request, closed when the answer is sent."""
    with web_state(request).session() as session:
        yield session
