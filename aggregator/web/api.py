"""The JSON API: the contract of `aggregator stories --format json`, over HTTP."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aggregator.export.contract import feed_status_dict, story_dict
from aggregator.models import StoryQuery
from aggregator.store.queries import feed_statuses, find_stories, get_story
from aggregator.web.conditional import cache_key, conditional_response, rendered
from aggregator.web.context import WebState, db_session, web_state
from aggregator.web.filters import story_filters
from aggregator.web.schemas import ErrorOut, FeedOut, StoryOut

router = APIRouter(prefix="/api", tags=["api"])
API_LIMIT = 50  # the default of `aggregator stories`
JSON = "application/json"

Filters = Annotated[StoryQuery, Depends(story_filters(API_LIMIT))]
Db = Annotated[Session, Depends(db_session)]
State = Annotated[WebState, Depends(web_state)]


def _json(data: Any) -> bytes:
    """The same serialization as the CLI's `--format json`."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


@router.get(
    "/stories",
    response_class=Response,
    responses={
        200: {"model": list[StoryOut], "description": "Stories, newest first."},
        304: {"description": "Not modified."},
        400: {"model": ErrorOut},
    },
)
def api_stories(request: Request, query: Filters, session: Db, web: State) -> Response:
    """Stories matching the filters, newest first, each with all of its sources."""

    def render_stories() -> tuple[bytes, str]:
        return _json([story_dict(s) for s in find_stories(session, query)]), JSON

    page = rendered(
        web.cache,
        cache_key("api", request.url),
        web.version(session),
        render_stories,
        clock_dependent=query.since is not None,
    )
    return conditional_response(request, page, web.settings.max_age)


@router.get(
    "/stories/{story_id}",
    response_class=Response,
    responses={200: {"model": StoryOut}, 404: {"model": ErrorOut}},
)
def api_story(
    story_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The story's id.")], session: Db
) -> Response:
    """One story with every source, and why each joined."""
    found = get_story(session, story_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no story with id {story_id}")
    return Response(_json(story_dict(found)), media_type=JSON)


@router.get("/feeds", response_class=Response, responses={200: {"model": list[FeedOut]}})
def api_feeds(session: Db, web: State) -> Response:
    """Every feed's health: last fetch, status, error, entries, next due time."""
    configured = [f.name for f in web.settings.feeds or ()]
    statuses = feed_statuses(session, configured)
    return Response(_json([feed_status_dict(s) for s in statuses]), media_type=JSON)
