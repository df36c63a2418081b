"""Concurrent, polite retrieval of many feeds.

`Fetcher.fetch_all` yields one `FetchResult` per feed as soon as it is done. Every failure
(DNS, refused connection, timeout, HTTP status, size limit, redirect loop) becomes a result
with `error` set; nothing raises through to the caller.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from aggregator.fetch.body import BodyTooLarge, read_limited
from aggregator.models import FetchResult, FetchState, Settings

KEPT_HEADERS = ("retry-after", "cache-control", "expires", "content-encoding", "date", "age")
PERMANENT = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(slots=True, frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 20
    per_host_concurrency: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.timeout,
            total_timeout=settings.timeout + settings.connect_timeout,
            max_body_bytes=settings.max_body_bytes,
            max_redirects=settings.max_redirects,
            concurrency=settings.concurrency,
            per_host_concurrency=settings.per_host_concurrency,
        )


@dataclass(slots=True, frozen=True)
class FetchRequest:
    feed_name: str
    state: FetchState


class Fetcher:
    """Fetches feeds over HTTP(S) and file:// with shared limits and one connection pool."""

    def __init__(self, limits: FetchLimits, user_agent: str) -> None:
        self.limits = limits
        self.user_agent = user_agent
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def fetch_all(
        self, requests: Iterable[FetchRequest], stop: asyncio.Event | None = None
    ) -> AsyncIterator[FetchResult]:
        """Yield each request's result as it completes, with overall and per-host limits.

        Once `stop` is set, requests still waiting for a slot are skipped (no result);
        those already under way finish, so a shutdown loses no work in flight.
        """
        pending = list(requests)
        if not pending:
            return
        overall = asyncio.Semaphore(self.limits.concurrency)
        timeout = httpx.Timeout(
            connect=self.limits.connect_timeout,
            read=self.limits.read_timeout,
            write=self.limits.read_timeout,
            pool=None,
        )
        pool = httpx.Limits(
            max_connections=self.limits.concurrency,
            max_keepalive_connections=self.limits.concurrency,
        )
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        async with httpx.AsyncClient(
            timeout=timeout, limits=pool, headers=headers, follow_redirects=False
        ) as client:

            async def one(request: FetchRequest) -> FetchResult | None:
                async with overall, self._host_gate(request.state.url):
                    if stop is not None and stop.is_set():
                        return None
                    return await self.fetch_one(client, request)

            tasks = [asyncio.ensure_future(one(r)) for r in pending]
            try:
                for finished in asyncio.as_completed(tasks):
                    result = await finished
                    if result is not None:
                        yield result
            finally:
                for task in tasks:
                    task.cancel()

    def _host_gate(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        gate = self._hosts.get(host)
        if gate is None:
            gate = self._hosts[host] = asyncio.Semaphore(self.limits.per_host_concurrency)
        return gate

    async def fetch_one(self, client: httpx.AsyncClient, request: FetchRequest) -> FetchResult:
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        url = request.state.url
        try:
            if urlsplit(url).scheme.lower() == "file":
                result = _fetch_file(request, self.limits.max_body_bytes)
            else:
                async with asyncio.timeout(self.limits.total_timeout):
                    result = await self._fetch_http(client, request)
        except TimeoutError:
            result = _failed(request, url, f"timed out after {self.limits.total_timeout:g}s")
        except Exception as exc:  # the per-feed boundary: one feed never stops the others
            result = _failed(request, url, f"unexpected error: {type(exc).__name__}: {exc}")
        return _stamp(result, fetched_at, time.monotonic() - started)

    async def _fetch_http(self, client: httpx.AsyncClient, request: FetchRequest) -> FetchResult:
        state = request.state
        url = state.url
        permanent_url: str | None = None
        still_permanent = True
        seen = {url}
        for _ in range(self.limits.max_redirects + 1):
            headers = {}
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
            try:
                async with client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    kept = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
                    if status in REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            return _failed(
                                request, url, f"HTTP {status} without a Location", status
                            )
                        target = urljoin(url, location)
                        if target in seen:
                            return _failed(request, url, f"redirect loop at {target}", status)
                        seen.add(target)
                        still_permanent = still_permanent and status in PERMANENT
                        if still_permanent:
                            permanent_url = target
                        url = target
                        continue
                    if status == 304:
                        return FetchResult(
                            feed_name=request.feed_name,
                            requested_url=state.url,
                            final_url=url,
                            status=304,
                            not_modified=True,
                            etag=response.headers.get("etag") or state.etag,
                            last_modified=response.headers.get("last-modified")
                            or state.last_modified,
                            permanent_url=permanent_url,
                            headers=kept,
                        )
                    if status >= 400:
                        reason = response.reason_phrase or ""
                        return _failed(
                            request,
                            url,
                            f"HTTP {status} {reason}".strip(),
                            status,
                            kept,
                            permanent_url,
                        )
                    body = await read_limited(
                        response.aiter_raw(),
                        response.headers.get("content-encoding"),
                        self.limits.max_body_bytes,
                    )
                    return FetchResult(
                        feed_name=request.feed_name,
                        requested_url=state.url,
                        final_url=url,
                        status=status,
                        body=body,
                        content_type=response.headers.get("content-type"),
                        etag=response.headers.get("etag"),
                        last_modified=response.headers.get("last-modified"),
                        permanent_url=permanent_url,
                        headers=kept,
                    )
            except BodyTooLarge as exc:
                return _failed(request, url, str(exc), None, {}, permanent_url)
            except httpx.ConnectTimeout:
                return _failed(request, url, "connect timed out")
            except httpx.ReadTimeout:
                return _failed(request, url, "read timed out")
            except httpx.ConnectError as exc:
                return _failed(request, url, f"cannot connect: {_reason(exc)}")
            except httpx.RemoteProtocolError as exc:
                return _failed(request, url, f"the server broke the connection: {exc}")
            except httpx.HTTPError as exc:
                return _failed(request, url, f"{type(exc).__name__}: {_reason(exc)}")
        return _failed(request, url, f"more than {self.limits.max_redirects} redirects")


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return f"unknown host (DNS lookup failed): {text}"
    return text


def _failed(
    request: FetchRequest,
    url: str,
    error: str,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    permanent_url: str | None = None,
) -> FetchResult:
    return FetchResult(
        feed_name=request.feed_name,
        requested_url=request.state.url,
        final_url=url,
        status=status,
        error=error,
        headers=headers or {},
        permanent_url=permanent_url,
    )


def _stamp(result: FetchResult, fetched_at: datetime, elapsed: float) -> FetchResult:
    return replace(result, fetched_at=fetched_at, elapsed=elapsed)


def _fetch_file(request: FetchRequest, max_bytes: int) -> FetchResult:
    """A local file; its mtime stands in for Last-Modified, so unchanged files cost nothing."""
    url = request.state.url
    path = Path(unquote(urlsplit(url).path))
    try:
        stat = path.stat()
    except OSError as exc:
        return _failed(request, url, f"cannot read file: {exc.strerror or exc}")
    stamp = formatdate(stat.st_mtime, usegmt=True) + f"; size={stat.st_size}"
    if request.state.last_modified == stamp:
        return FetchResult(
            feed_name=request.feed_name,
            requested_url=url,
            final_url=url,
            status=304,
            not_modified=True,
            last_modified=stamp,
        )
    if stat.st_size > max_bytes:
        return _failed(request, url, str(BodyTooLarge(max_bytes)))
    with open(path, "rb") as handle:
        body = handle.read(max_bytes + 1)
    if len(body) > max_bytes:
        return _failed(request, url, str(BodyTooLarge(max_bytes)))
    return FetchResult(
        feed_name=request.feed_name,
        requested_url=url,
        final_url=url,
        status=200,
        body=body,
        content_type=None,
        last_modified=stamp,
    )


__all__ = ["FetchLimits", "FetchRequest", "Fetcher"]
