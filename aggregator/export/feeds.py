"""Merged feeds: one item per story, its canonical link, and a link to every source.

Atom and RSS are written with feedgen (correct escaping, dates and namespaces); JSON Feed
1.1 is plain JSON with an `_aggregator` extension object carrying the sources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from feedgen.feed import FeedGenerator

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
    fg = FeedGenerator()
    fg.id(meta.feed_id)
    fg.title(meta.title)
    fg.generator("aggregator", version=__version__)
    fg.updated(_updated(stories))
    fg.description("One item per story, with every outlet that reported it.")
    fg.link(href=meta.home_url or meta.self_url or "http://localhost/", rel="alternate")
    if meta.self_url:
        fg.link(href=meta.self_url, rel="self")
    for story in stories:
        fe = fg.add_entry(order="append")
        fe.id(story_id(story))
        fe.title(story.title)
        fe.published(story.published)
        fe.updated(story.updated)
        canonical = safe_url(story.link)
        if canonical:
            fe.link(href=canonical, rel="alternate")
        if fmt == "atom":
            seen = {canonical}
            for source in story.sources:
                href = safe_url(source.link)
                if href and href not in seen:
                    seen.add(href)
                    fe.link(href=href, rel="related", title=f"{source.feed}: {source.title}")
            fe.summary(story.summary)
            fe.content(_content_html(story), type="html")
        else:
            fe.guid(story_id(story), permalink=False)
            fe.description(_content_html(story))
    if fmt == "atom":
        return fg.atom_str(pretty=True)
    return fg.rss_str(pretty=True)


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
