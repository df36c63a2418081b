"""Polite answers for merged feeds: validators that change only with the content, and 304s.

A rendered body is cached under its URL together with the store's content version. While
the version is unchanged (one cheap query), a conditional request is answered from the
cache without loading a story. When the version moves, the body is rendered again; its
ETag is a hash of the bytes, so a filtered feed whose items did not change keeps its
ETag and its Last-Modified even though something else in the store changed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aggregator.store.queries import ContentVersion

if TYPE_CHECKING:
    from aggregator.web.context import WebState

# A body that depends on the clock (`since=24h`) is rendered again after this long even if
# the store did not change, so time-relative filters never lag by more than this.
CLOCK_DEPENDENT_TTL = 60.0


@dataclass(slots=True, frozen=True)
class Rendered:
    body: bytes
    media_type: str
    etag: str
    last_modified: datetime
    version: str
    rendered_at: float
    clock_dependent: bool = False

    def current(self, version: ContentVersion, now: float) -> bool:
        """Still what rendering now would give: same store version, clock not too far on."""
        if self.version != version.token:
            return False
        return not (self.clock_dependent and now - self.rendered_at > CLOCK_DEPENDENT_TTL)


class RenderCache:
    """A small LRU of rendered bodies keyed by URL, safe to share between threads."""

    def __init__(self, capacity: int = 128) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Rendered | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, rendered: Rendered) -> None:
        with self._lock:
            self._items[key] = rendered
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


def rendered(
    cache: RenderCache,
    key: str,
    version: ContentVersion,
    render: Callable[[], tuple[bytes, str]],
    *,
    clock_dependent: bool = False,
) -> Rendered:
    """The cached rendering of `key` if still current, else a fresh one (then cached)."""
    now = time.monotonic()
    cached = cache.get(key)
    if cached is not None and cached.current(version, now):
        return cached
    body, media_type = render()
    etag = 'W/"' + hashlib.sha1(body).hexdigest()[:24] + '"'
    if cached is not None and cached.etag == etag:
        last_modified = cached.last_modified
    else:
        last_modified = (version.changed_at or datetime.now(UTC)).replace(microsecond=0)
        if cached is not None and last_modified <= cached.last_modified:
            # changed without a newer entry (a story regrouped): the change is now
            last_modified = datetime.now(UTC).replace(microsecond=0)
    fresh = Rendered(body, media_type, etag, last_modified, version.token, now, clock_dependent)
    cache.put(key, fresh)
    return fresh


def not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    """True when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {_opaque(t) for t in if_none_match.split(",")}
        return "*" in tags or _opaque(etag) in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified <= since
    return False


def _opaque(tag: str) -> str:
    """Weak comparison (RFC 9110 8.8.3.2): `W/"x"` and `"x"` match."""
    return tag.strip().removeprefix("W/")


def conditional_response(request: Request, page: Rendered, max_age: int) -> Response:
    """200 with the body, or 304 without it; validators and caching headers on both."""
    headers = {
        "ETag": page.etag,
        "Last-Modified": format_datetime(page.last_modified, usegmt=True),
        "Cache-Control": f"public, max-age={max_age}",
    }
    if not_modified(request, page.etag, page.last_modified):
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=page.media_type, headers=headers)


def cache_key(kind: str, url: object) -> str:
    """Where a rendering of `kind` (atom, rss, json, api) for the full request URL is kept."""
    return f"{kind} {url}"


# The routes whose answers live in the render cache, and their kind in `cache_key`.
CACHED_PATHS = {
    "/feed.atom": "atom",
    "/feed.rss": "rss",
    "/feed.json": "json",
    "/api/stories": "api",
}


class CachedAnswers:
    """Answers repeat requests for cached feeds before routing, as plain ASGI.

    When the content version is fresh (no query needed) and the URL's rendering is
    current, the 304 or the 200 is sent straight from the cache: no dependency
    injection, no worker thread, no database. Anything else goes to the app.
    """

    def __init__(self, app: ASGIApp, state: WebState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = CACHED_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        version = self.state.versions.usable()
        request = Request(scope)
        page = self.state.cache.get(cache_key(kind, request.url)) if version else None
        if version is None or page is None or not page.current(version, time.monotonic()):
            await self.app(scope, receive, send)
            return
        response = conditional_response(request, page, self.state.settings.max_age)
        await response(scope, receive, send)
