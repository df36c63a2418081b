"""The HTML pages: grouped stories, one story with its sources, feed health.

Server-rendered with Jinja2 (autoescaping on), no JavaScript. Strangers' HTML reaches a
page only through `sanitize.clean_html`; links only through `sanitize.safe_url`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from aggregator.models import StoryQuery
from aggregator.store.queries import feed_statuses, find_stories, get_story, regions
from aggregator.web.context import WebState, db_session, web_state
from aggregator.web.filters import filter_params, paged, story_filters

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25

Db = Annotated[Session, Depends(db_session)]
State = Annotated[WebState, Depends(web_state)]


@router.get("/", response_class=HTMLResponse, name="index")
def index(
    request: Request,
    query: Annotated[StoryQuery, Depends(story_filters(PAGE_SIZE))],
    session: Db,
    web: State,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    since: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Grouped stories, newest first, with every outlet that reported each one."""
    found = find_stories(session, paged(query, page))
    size = query.limit or PAGE_SIZE
    has_next = len(found) > size
    filters = filter_params(query, since, PAGE_SIZE)
    return web.templates.TemplateResponse(
        request,
        "index.html",
        {
            "title": web.settings.title,
            "stories": found[:size],
            "query": query,
            "since": since or "",
            "regions": regions(session),
            "page": page,
            "previous_page": (
                filter_params(query, since, PAGE_SIZE, page=page - 1) if page > 1 else None
            ),
            "next_page": filter_params(query, since, PAGE_SIZE, page=page + 1)
            if has_next
            else None,
            "filters": filters,
        },
    )


@router.get("/story/{story_id}", response_class=HTMLResponse, name="story")
def story_page(
    request: Request,
    story_id: int,
    session: Db,
    web: State,
) -> HTMLResponse:
    """One story: every source, with the score, method and words that made it join."""
    found = get_story(session, story_id) if 0 < story_id < 2**63 else None
    if found is None:
        raise HTTPException(status_code=404, detail=f"no story with id {story_id}")
    return web.templates.TemplateResponse(
        request, "story.html", {"title": web.settings.title, "story": found, "filters": ""}
    )


@router.get("/feeds", response_class=HTMLResponse, name="feeds")
def feeds_page(request: Request, session: Db, web: State) -> HTMLResponse:
    """Every feed's health; failing feeds first and marked."""
    configured = [f.name for f in web.settings.feeds or ()]
    statuses = feed_statuses(session, configured)
    failing = [s for s in statuses if s.last_error or s.disabled_reason]
    healthy = [s for s in statuses if not (s.last_error or s.disabled_reason)]
    return web.templates.TemplateResponse(
        request,
        "feeds.html",
        {
            "title": web.settings.title,
            "failing": failing,
            "healthy": healthy,
            "total": len(statuses),
            "filters": "",
        },
    )
