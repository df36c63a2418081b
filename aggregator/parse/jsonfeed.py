"""JSON Feed 1.0 / 1.1 adapter (feedparser has none)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aggregator.errors import ParseError
from aggregator.models import ParsedEntry, ParsedFeed

VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    ctype = (content_type or "").lower()
    if "json" in ctype:
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_json_feed(body: bytes) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"JSON Feed is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(doc, dict):
        raise ParseError("JSON document is not a JSON Feed (top level is not an object)")
    version = doc.get("version")
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise ParseError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError("JSON Feed has no `items` list")
    entries = tuple(_entry(item) for item in items if isinstance(item, dict))
    return ParsedFeed(
        title=_text(doc.get("title")),
        link=_text(doc.get("home_page_url")),
        entries=entries,
        format="json" + version.rsplit("/", 1)[-1],
    )


def _entry(item: dict[str, Any]) -> ParsedEntry:
    summary = _text(item.get("content_html")) or _text(item.get("summary"))
    if summary is None:
        text = _text(item.get("content_text"))
        summary = text
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
    identity = item.get("id")
    return ParsedEntry(
        guid=str(identity) if identity not in (None, "") else None,
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        summary_html=summary,
        published=_date(item.get("date_published")),
        updated=_date(item.get("date_modified")),
        author=author,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
