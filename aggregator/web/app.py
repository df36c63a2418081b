"""The ASGI app behind `aggregator serve`: merged feeds, the JSON API and the web pages.

FastAPI on Starlette: typed query parameters with validation messages for free, and an
OpenAPI document at /openapi.json describing the API. Everything reads the store through
`store/queries.py`, like the CLI does.
"""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from aggregator import __version__
from aggregator.errors import AggregatorError
from aggregator.render import when
from aggregator.sanitize import clean_html, safe_url
from aggregator.store import Database
from aggregator.web import api, feed_routes, pages
from aggregator.web.conditional import CachedAnswers
from aggregator.web.context import STATIC, TEMPLATES, WebSettings, WebState
from aggregator.web.security import SecurityHeaders

log = logging.getLogger(__name__)
# Paths whose errors are JSON; every other path answers errors with an HTML page.
MACHINE_PATHS = ("/api/", "/feed.", "/feeds.opml", "/openapi.json")


def create_app(db: Database, settings: WebSettings | None = None) -> FastAPI:
    """The app serving `db`; the caller owns the database and closes it."""
    settings = settings or WebSettings()
    app = FastAPI(
        title=f"{settings.title} API",
        version=__version__,
        description="Grouped news stories with every outlet that reported them.",
        docs_url=None,  # the interactive docs need scripts from a CDN; CSP forbids them
        redoc_url=None,
    )
    state = WebState(db=db, settings=settings, templates=_templates())
    app.state.web = state
    app.include_router(feed_routes.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(SQLAlchemyError, _store_error)
    app.add_exception_handler(AggregatorError, _store_error)
    app.add_middleware(CachedAnswers, state=state)  # inside gzip and the security headers
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeaders)
    return app


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.autoescape = True  # every template, whatever its file name
    env.filters["when"] = _when
    env.filters["safe_url"] = safe_url
    env.filters["clean_html"] = lambda markup: Markup(clean_html(markup))
    return templates


def _when(value: datetime | None) -> str:
    return f"{when(value)} UTC" if value else "–"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(MACHINE_PATHS)


def _error(
    request: Request, status: int, message: str, extra: dict[str, object] | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message, **(extra or {})}, status_code=status)
    web: WebState = request.app.state.web
    return web.templates.TemplateResponse(
        request,
        "error.html",
        {"title": web.settings.title, "status": status, "message": message, "filters": ""},
        status_code=status,
    )


async def _http_error(request: Request, exc: HTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}"
    response = _error(request, exc.status_code, message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    """422 naming each bad parameter: `limit: Input should be a valid integer`."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return _error(request, 422, "; ".join(problems), {"errors": jsonable(exc.errors())})


def jsonable(errors: object) -> object:
    """Validation errors without the exception objects pydantic may attach."""
    if isinstance(errors, list | tuple):
        return [jsonable(e) for e in errors]
    if isinstance(errors, dict):
        return {k: jsonable(v) for k, v in errors.items() if k != "ctx"}
    return errors if isinstance(errors, str | int | float | bool | type(None)) else str(errors)


async def _store_error(request: Request, exc: Exception) -> Response:
    log.error("%s %s: the store failed: %s", request.method, request.url.path, exc)
    return _error(request, 503, "the database is not available right now; try again shortly")
