"""Builders of real feed documents for tests (RSS 2.0, Atom, JSON Feed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass
class Item:
    title: str | None
    link: str | None
    summary: str = ""
    published: datetime | None = None
    guid: str | None = None


def rss(title: str, items: list[Item], encoding: str = "utf-8") -> bytes:
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://outlet.example/</link>",
        f"<description>{escape(title)}</description>",
    ]
    for item in items:
        parts.append("<item>")
        if item.title is not None:
            parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.summary:
            parts.append(f"<description>{escape(item.summary)}</description>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>\n")
    return "".join(parts).encode(encoding, errors="xmlcharrefreplace")


def atom(title: str, items: list[Item]) -> bytes:
    now = datetime.now(UTC).isoformat()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id><updated>{now}</updated>",
    ]
    for item in items:
        when = (item.published or datetime.now(UTC)).isoformat()
        parts.append(
            f"<entry><title>{escape(item.title or '')}</title>"
            f"<id>{escape(item.guid or item.link or '')}</id>"
            f'<link href="{escape(item.link or "")}"/><updated>{when}</updated>'
            f'<summary type="html">{escape(item.summary)}</summary></entry>'
        )
    parts.append("</feed>\n")
    return "".join(parts).encode()


def json_feed(title: str, items: list[Item]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [
                {
                    "id": item.guid or item.link,
                    "url": item.link,
                    "title": item.title,
                    "content_html": item.summary,
                    "date_published": (item.published or datetime.now(UTC)).isoformat(),
                }
                for item in items
            ],
        }
    ).encode()


def feeds_yaml(feeds: list[dict[str, object]], settings: dict[str, object] | None = None) -> str:
    lines = []
    if settings:
        lines.append("settings:")
        lines += [f"  {k}: {json.dumps(v)}" for k, v in settings.items()]
    lines.append("feeds:")
    for feed in feeds:
        lines.append(f"  - name: {json.dumps(feed['name'])}")
        lines += [f"    {k}: {json.dumps(v)}" for k, v in feed.items() if k != "name"]
    return "\n".join(lines) + "\n"
