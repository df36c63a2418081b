"""Adding feeds to feeds.yaml in place, keeping the file's comments, order and layout.

The file is someone's hand-edited list, so it is changed with a round-trip YAML parser
(ruamel.yaml): new feeds are appended to the `feeds:` list, nothing else moves. The result
is validated with the normal config loader before it replaces the old file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from aggregator.config import parse_config
from aggregator.errors import ConfigError
from aggregator.models import FeedConfig
from aggregator.opml import OpmlFeed

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(slots=True, frozen=True)
class SkippedFeed:
    """An OPML feed that was not added, and why."""

    url: str
    title: str | None
    reason: str


@dataclass(slots=True, frozen=True)
class ImportPlan:
    added: tuple[FeedConfig, ...]
    skipped: tuple[SkippedFeed, ...]


def feed_name(title: str | None, url: str) -> str:
    """A feeds.yaml name for a feed: its title as a slug, else built from its URL."""
    text = title or ""
    if not text:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host = host.removeprefix("www.")
        stem = parts.path.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
        text = f"{host} {stem}" if stem and stem.lower() not in {"feed", "rss", "atom"} else host
    ascii_text = (
        unicodedata.normalize("NFKD", text.lower().translate(_GERMAN))
        .encode("ascii", "ignore")
        .decode()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:80].rstrip("-") or "feed"


def plan_import(
    existing: Sequence[FeedConfig],
    found: Sequence[OpmlFeed],
    region: str | None = None,
    *,
    folder_regions: bool = False,
) -> ImportPlan:
    """Which OPML feeds to add and which to skip (already present by URL or name, or unusable).

    `region` applies to every added feed; with `folder_regions`, a feed's OPML folder is
    its region instead (when it has one).
    """
    urls = {_url_key(f.url) for f in existing}
    names = {f.name for f in existing}
    added: list[FeedConfig] = []
    skipped: list[SkippedFeed] = []
    for feed in found:
        scheme = urlsplit(feed.xml_url).scheme.lower()
        if scheme not in ("http", "https"):
            skipped.append(SkippedFeed(feed.xml_url, feed.title, "not an http(s) URL"))
            continue
        if _url_key(feed.xml_url) in urls:
            skipped.append(SkippedFeed(feed.xml_url, feed.title, "already present (same URL)"))
            continue
        name = feed_name(feed.title, feed.xml_url)
        if name in names:
            skipped.append(
                SkippedFeed(feed.xml_url, feed.title, f"already present (name {name!r})")
            )
            continue
        names.add(name)
        urls.add(_url_key(feed.xml_url))
        feed_region = (feed.folder if folder_regions and feed.folder else None) or region
        added.append(FeedConfig(name=name, url=feed.xml_url, region=feed_region))
    return ImportPlan(tuple(added), tuple(skipped))


def _url_key(url: str) -> str:
    """URLs that differ only in scheme case, host case or a trailing slash are one feed."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"


def append_feeds(path: Path, feeds: Sequence[FeedConfig]) -> None:
    """Append `feeds` to the `feeds:` list of the YAML file at `path` (created if missing).

    Raises ConfigError when the file cannot be read or the result would not be valid;
    the file is then left as it was.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "feeds:\n"
    yaml = _round_trip(text)
    try:
        document = yaml.load(text)
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=str(path)) from None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise ConfigError("the top level must be a mapping with `feeds:`", path=str(path))
    entries = document.get("feeds")
    if entries is None:
        entries = document["feeds"] = CommentedSeq()
    if not isinstance(entries, CommentedSeq):
        raise ConfigError("`feeds` must be a list", path=str(path))
    for feed in feeds:
        item = CommentedMap(name=feed.name, url=feed.url)
        if feed.region:
            item["region"] = feed.region
        entries.append(item)
    buffer = StringIO()
    yaml.dump(document, buffer)
    updated = buffer.getvalue()
    parse_config(updated, str(path))  # never write a file the loader would refuse
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)


def _round_trip(text: str) -> YAML:
    """A round-trip YAML dumper indenting lists the way the file already does."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long URLs or comments
    match = re.search(r"^feeds:\s*(?:#.*)?\n(?:\s*(?:#.*)?\n)*( *)- ", text, re.MULTILINE)
    offset = len(match.group(1)) if match else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml
