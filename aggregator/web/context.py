"""What every route needs: the database, the serving settings, the render cache, templates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from aggregator.models import FeedConfig
from aggregator.store import Database
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


@dataclass(slots=True)
class WebState:
    db: Database
    settings: WebSettings
    templates: Jinja2Templates
    cache: RenderCache = field(default_factory=RenderCache)

    def session(self) -> Session:
        return self.db.session()


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def db_session(request: Request) -> Iterator[Session]:
    """One session per request, closed when the answer is sent."""
    with web_state(request).session() as session:
        yield session
