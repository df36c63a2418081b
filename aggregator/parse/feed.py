"""Detects the format of a body and hands it to the right adapter.

XML formats (RSS 0.9x/1.0/2.0, Atom) go through feedparser; JSON Feed through our own
adapter. Whatever the format, the result is a `ParsedFeed` of `ParsedEntry` records.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from aggregator.errors import ParseError
from aggregator.models import ParsedEntry, ParsedFeed
from aggregator.parse.hints import skip_days, skip_hours
from aggregator.parse.jsonfeed import looks_like_json, parse_json_feed

# feedparser would otherwise resolve relative URIs and sanitize on its own terms for every
# entry; we keep its defaults but never let it fetch anything (we hand it bytes).


def parse_feed(body: bytes | None, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed body; raise ParseError with a readable reason if it is not a feed."""
    if body is None or not body.strip():
        raise ParseError("empty body: the server sent no feed")
    if looks_like_json(body, content_type):
        return parse_json_feed(body)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers)
    version = parsed.get("version") or ""
    entries = tuple(_entry(e) for e in parsed.entries)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not version and not entries:
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise ParseError("not a feed: the server sent an HTML page")
        if problem is not None:
            raise ParseError(f"malformed XML: {_describe(problem)}")
        raise ParseError("not a feed: no RSS, Atom or JSON Feed document found")
    if problem is not None and not entries and _fatal(problem):
        raise ParseError(f"malformed XML: {_describe(problem)}")
    feed = parsed.get("feed", {})
    warning = _describe(problem) if problem is not None and not _harmless(problem) else None
    return ParsedFeed(
        title=feed.get("title"),
        link=feed.get("link"),
        entries=entries,
        format=version or "unknown",
        ttl_minutes=_int(feed.get("ttl")),
        warning=warning,
        skip_hours=skip_hours(body),
        skip_days=skip_days(body),
    )


def _fatal(problem: Exception) -> bool:
    return not _harmless(problem)


def _harmless(problem: Exception) -> bool:
    # A wrong or missing charset declaration that feedparser recovered from is not an error.
    return isinstance(
        problem,
        feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType,
    )


def _describe(problem: Exception) -> str:
    text = str(problem) or type(problem).__name__
    return text.splitlines()[0][:300]


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _entry(raw: Any) -> ParsedEntry:
    summary = None
    content = raw.get("content")
    if content:
        summary = content[0].get("value")
    if not summary:
        summary = raw.get("summary") or raw.get("description")
    return ParsedEntry(
        guid=(raw.get("id") or None),
        link=raw.get("link") or _first_link(raw),
        title=raw.get("title"),
        summary_html=summary,
        # dict.get: FeedParserDict would silently map a missing published to updated.
        published=_date(dict.get(raw, "published_parsed"))
        or _date(dict.get(raw, "created_parsed")),
        updated=_date(dict.get(raw, "updated_parsed")),
        author=raw.get("author"),
    )


def _first_link(raw: Any) -> str | None:
    for link in raw.get("links") or ():
        href = link.get("href")
        if href:
            return str(href)
    return None


def _date(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
