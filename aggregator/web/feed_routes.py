"""The merged feeds (`/feed.atom`, `/feed.rss`, `/feed.json`) and the OPML subscription list.

The feeds are byte for byte what `aggregator export` writes for the same filters, plus a
self link: the URL they were requested under.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aggregator.export import MEDIA_TYPES, FeedMeta, render
from aggregator.models import FeedConfig, StoryQuery
from aggregator.opml import write_opml
from aggregator.store.queries import feed_statuses, find_stories
from aggregator.web.conditional import cache_key, conditional_response, rendered
from aggregator.web.context import WebState, db_session, web_state
from aggregator.web.filters import story_filters

router = APIRouter(tags=["merged feeds"])
FEED_LIMIT = 50  # the default of `aggregator export`

Filters = Annotated[StoryQuery, Depends(story_filters(FEED_LIMIT))]
Db = Annotated[Session, Depends(db_session)]
State = Annotated[WebState, Depends(web_state)]


def _merged(
    fmt: str, request: Request, query: StoryQuery, session: Session, web: WebState
) -> Response:
    """Exactly what `aggregator export --format FMT --self-url URL` writes, served politely."""
    self_url = str(request.url)

    def render_feed() -> tuple[bytes, str]:
        stories = find_stories(session, query)
        return render(stories, fmt, FeedMeta(self_url=self_url)), MEDIA_TYPES[fmt]

    page = rendered(
        web.cache,
        cache_key(fmt, request.url),
        web.version(session),
        render_feed,
        clock_dependent=query.since is not None,
    )
    return conditional_response(request, page, web.settings.max_age)


_FEED_RESPONSE = {200: {"description": "The merged feed."}, 304: {"description": "Not modified."}}


@router.get("/feed.atom", response_class=Response, responses=_FEED_RESPONSE)
def feed_atom(request: Request, query: Filters, session: Db, web: State) -> Response:
    """The merged feed as Atom 1.0: one entry per story, every source linked."""
    return _merged("atom", request, query, session, web)


@router.get("/feed.rss", response_class=Response, responses=_FEED_RESPONSE)
def feed_rss(request: Request, query: Filters, session: Db, web: State) -> Response:
    """The merged feed as RSS 2.0."""
    return _merged("rss", request, query, session, web)


@router.get("/feed.json", response_class=Response, responses=_FEED_RESPONSE)
def feed_json(request: Request, query: Filters, session: Db, web: State) -> Response:
    """The merged feed as JSON Feed 1.1 (sources in the `_aggregator` extension)."""
    return _merged("json", request, query, session, web)


def subscriptions(session: Session, web: WebState) -> list[FeedConfig]:
    """The configured feeds, or the stored ones when serving without a feeds.yaml."""
    if web.settings.feeds is not None:
        return list(web.settings.feeds)
    return [FeedConfig(name=s.name, url=s.url, region=s.region) for s in feed_statuses(session, [])]


@router.get("/feeds.opml", response_class=Response)
def feeds_opml(session: Db, web: State) -> Response:
    """Every subscription as OPML 2.0, one folder per region."""
    body = write_opml(
        subscriptions(session, web), f"{web.settings.title} subscriptions", datetime.now(UTC)
    )
    return Response(body, media_type="text/x-opml; charset=utf-8")
