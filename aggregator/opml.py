"""OPML 2.0 subscription lists: read the feeds other readers export, write ours.

Readers write OPML loosely: feeds nested in folders (any depth), `xmlUrl` spelled in any
case, `text` or `title` or neither. Reading keeps every outline that names a feed URL and
remembers its innermost folder; writing groups our feeds into one folder per region.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from aggregator.errors import OpmlError
from aggregator.models import FeedConfig


@dataclass(slots=True, frozen=True)
class OpmlFeed:
    """One subscription as an OPML file lists it."""

    xml_url: str
    title: str | None = None
    html_url: str | None = None
    folder: str | None = None


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every feed outline in an OPML document, in document order.

    Raises OpmlError when the bytes are not XML or not an OPML document.
    """
    if b"<!ENTITY" in data[:4096].upper():
        # Subscription lists never need entity declarations; refusing them avoids
        # entity-expansion tricks in files from elsewhere.
        raise OpmlError("entity declarations are not allowed in OPML")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if _local(root.tag) != "opml":
        raise OpmlError(f"not an OPML document (the root element is <{_local(root.tag)}>)")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise OpmlError("the OPML document has no <body>")
    return list(_outlines(body, None))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _attrs(element: ET.Element) -> dict[str, str]:
    """Attributes by lower-cased name: some readers write `xmlurl` or `XMLURL`."""
    return {key.lower(): value.strip() for key, value in element.attrib.items() if value.strip()}


def _outlines(parent: ET.Element, folder: str | None) -> Iterator[OpmlFeed]:
    for element in parent:
        if _local(element.tag) != "outline":
            continue
        attrs = _attrs(element)
        label = attrs.get("title") or attrs.get("text")
        url = attrs.get("xmlurl")
        if url:
            yield OpmlFeed(xml_url=url, title=label, html_url=attrs.get("htmlurl"), folder=folder)
        yield from _outlines(element, label if not url else folder)


def write_opml(feeds: Sequence[FeedConfig], title: str, now: datetime) -> bytes:
    """An OPML 2.0 document: one folder per region, feeds without a region at the top."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.region:
            parent = folders.get(feed.region) or ET.SubElement(
                body, "outline", text=feed.region, title=feed.region
            )
            folders[feed.region] = parent
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.region:
            attrs["category"] = f"/{feed.region}"
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
