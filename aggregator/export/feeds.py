"""Merged feeds: one item per story, its canonical link, and a link to every source.

Atom and RSS are built as ElementTree documents (the XML library does the escaping);
JSON Feed 1.1 is plain JSON with an `_aggregator` extension object carrying the sources.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from aggregator import __version__
from aggregator.export.contract import iso, source_dict
from aggregator.models import Source, Story
from aggregator.sanitize import clean_html, safe_url

FORMATS = ("atom", "rss", "json")
MEDIA_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(slots=True, frozen=True)
class FeedMeta:
    title: str = "aggregator: merged stories"
    self_url: str | None = None
    home_url: str | None = None
    feed_id: str = "urn:aggregator:merged"


def story_id(story: Story) -> str:
    """Stable across runs: the story's row id never changes."""
    return f"urn:aggregator:story:{story.id}"


def render(stories: Sequence[Story], fmt: str, meta: FeedMeta | None = None) -> bytes:
    meta = meta or FeedMeta()
    if fmt == "json":
        return _json_feed(stories, meta)
    if fmt not in ("atom", "rss"):
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return _xml_feed(stories, fmt, meta)


def _updated(stories: Sequence[Story]) -> datetime:
    return max((s.updated for s in stories), default=datetime(2000, 1, 1, tzinfo=UTC))


def _content_html(story: Story) -> str:
    """The canonical summary, then the list of sources (outlet, headline, link)."""
    parts = [clean_html(story.summary_html) or f"<p>{escape(story.summary)}</p>"]
    parts.append(
        f"<p>Reported by {story.source_count} source{'s' * (story.source_count != 1)}:</p><ul>"
    )
    for source in story.sources:
        label = f"{escape(source.feed)}: {escape(source.title)}"
        href = safe_url(source.link)
        if href:
            parts.append(f'<li><a href="{escape(href)}">{label}</a></li>')
        else:
            parts.append(f"<li>{label}</li>")
    parts.append("</ul>")
    return "".join(parts)


def _xml_feed(stories: Sequence[Story], fmt: str, meta: FeedMeta) -> bytes:
    root = _atom(stories, meta) if fmt == "atom" else _rss(stories, meta)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _atom(stories: Sequence[Story], meta: FeedMeta) -> ET.Element:
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _sub(feed, "id", meta.feed_id)
    _sub(feed, "title", meta.title)
    _sub(feed, "updated", _updated(stories).isoformat())
    _sub(feed, "generator", "aggregator", version=__version__)
    if meta.self_url:
        _sub(feed, "link", href=meta.self_url, rel="self", type="application/atom+xml")
    if meta.home_url:
        _sub(feed, "link", href=meta.home_url, rel="alternate", type="text/html")
    for story in stories:
        entry = _sub(feed, "entry")
        _sub(entry, "id", story_id(story))
        _sub(entry, "title", story.title)
        _sub(entry, "published", story.published.isoformat())
        _sub(entry, "updated", story.updated.isoformat())
        canonical = safe_url(story.link)
        if canonical:
            _sub(entry, "link", href=canonical, rel="alternate")
        seen = {canonical}
        for source in story.sources:
            href = safe_url(source.link)
            if href and href not in seen:
                seen.add(href)
                _sub(
                    entry, "link", href=href, rel="related", title=f"{source.feed}: {source.title}"
                )
        _sub(entry, "summary", story.summary)
        _sub(entry, "content", _content_html(story), type="html")
        for feed_name in dict.fromkeys(s.feed for s in story.sources):
            _sub(_sub(entry, "author"), "name", feed_name)
    return feed


def _rss(stories: Sequence[Story], meta: FeedMeta) -> ET.Element:
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.home_url or meta.self_url or "http://localhost/")
    _sub(channel, "description", "One item per story, with every outlet that reported it.")
    _sub(channel, "lastBuildDate", format_datetime(_updated(stories)))
    _sub(channel, "generator", f"aggregator {__version__}")
    if meta.self_url:
        _sub(channel, "atom:link", href=meta.self_url, rel="self", type="application/rss+xml")
    for story in stories:
        item = _sub(channel, "item")
        _sub(item, "title", story.title)
        canonical = safe_url(story.link)
        if canonical:
            _sub(item, "link", canonical)
        _sub(item, "guid", story_id(story), isPermaLink="false")
        _sub(item, "pubDate", format_datetime(story.published))
        _sub(item, "description", _content_html(story))
    return rss


def _json_feed(stories: Sequence[Story], meta: FeedMeta) -> bytes:
    doc: dict[str, object] = {"version": JSONFEED_VERSION, "title": meta.title}
    if meta.home_url:
        doc["home_page_url"] = meta.home_url
    if meta.self_url:
        doc["feed_url"] = meta.self_url
    items = []
    for story in stories:
        item: dict[str, object] = {
            "id": story_id(story),
            "title": story.title,
            "content_html": _content_html(story),
            "summary": story.summary,
            "date_published": iso(story.published),
            "date_modified": iso(story.updated),
            "_aggregator": {
                "story_id": story.id,
                "region": story.region,
                "source_count": story.source_count,
                "sources": [_safe_source(s) for s in story.sources],
            },
        }
        canonical = safe_url(story.link)
        if canonical:
            item["url"] = canonical
        items.append(item)
    doc["items"] = items
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _safe_source(source: Source) -> dict[str, object]:
    data = source_dict(source)
    data["link"] = safe_url(source.link)
    return data
