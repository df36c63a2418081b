"""The story filters as query parameters, the same ones `stories` and `export` take.

`region`, `feed`, `min_sources`, `since`, `search` and `limit` mean what the CLI options
mean. Values FastAPI cannot convert get a 422; a `since` it cannot read gets a 400, both
with a message naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import HTTPException, Query

from aggregator.durations import parse_since
from aggregator.models import StoryQuery

MAX_LIMIT = 500


def story_filters(default_limit: int) -> Callable[..., StoryQuery]:
    """A FastAPI dependency turning the filter parameters into a `StoryQuery`."""

    def dependency(
        region: Annotated[
            str | None, Query(max_length=200, description="Only stories from this region.")
        ] = None,
        feed: Annotated[
            str | None, Query(max_length=200, description="Only stories this feed reported.")
        ] = None,
        min_sources: Annotated[
            int, Query(ge=0, le=10_000, description="Only stories with this many sources.")
        ] = 1,
        since: Annotated[
            str | None,
            Query(max_length=64, description="Only stories updated since: 24h, 7d or a date."),
        ] = None,
        search: Annotated[
            str | None, Query(max_length=200, description="Words in title or summary.")
        ] = None,
        limit: Annotated[
            int, Query(ge=1, le=MAX_LIMIT, description="At most this many stories.")
        ] = default_limit,
    ) -> StoryQuery:
        when = None
        if since and since.strip():
            try:
                when = parse_since(since, datetime.now(UTC))
            except ValueError as exc:
                raise HTTPException(status_code=400, detail=f"since: {exc}") from None
        return StoryQuery(
            since=when,
            region=(region or "").strip() or None,
            feed=(feed or "").strip() or None,
            min_sources=max(min_sources, 1),
            search=(search or "").strip() or None,
            limit=limit,
        )

    return dependency


def paged(query: StoryQuery, page: int) -> StoryQuery:
    """The query for page `page` (from 1), asking one story more to know if a next page exists."""
    size = query.limit or 1
    return replace(query, offset=(page - 1) * size, limit=size + 1)


def filter_params(query: StoryQuery, since: str | None, default_limit: int, **extra: object) -> str:
    """The query string that repeats `query`'s filters (for links, paging and alternates)."""
    params: dict[str, object] = {}
    if query.region:
        params["region"] = query.region
    if query.feed:
        params["feed"] = query.feed
    if query.min_sources > 1:
        params["min_sources"] = query.min_sources
    if since:
        params["since"] = since
    if query.search:
        params["search"] = query.search
    if query.limit and query.limit != default_limit:
        params["limit"] = query.limit
    params.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(params)
