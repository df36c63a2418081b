"""ParsedEntry → Entry: stable identity, canonical link, plain text, UTC dates."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from aggregator.models import Entry, ParsedEntry
from aggregator.parse.html import html_to_text

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "wt.mc_id",
        "at_medium",
        "at_campaign",
        "ns_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_linkname",
        "ns_fee",
        "cmpid",
        "xtor",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_")
DEFAULT_PORTS = {"http": 80, "https": 443}
TITLE_FALLBACK_CHARS = 100
# A date more than this far in the future is a feed's mistake; the time first seen is used.
FUTURE_SLACK = timedelta(days=1)


def canonical_link(url: str | None, base: str | None = None) -> str | None:
    """Lower-case scheme and host, no default port or fragment, no tracking parameters."""
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url  # leave mailto:, javascript: etc. as they are; display code guards them
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if port and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


_SPACE = re.compile(r"\s+")


def clean_title(title: str | None) -> str:
    """The title as plain, single-spaced text (some feeds put markup or entities in it)."""
    return html_to_text(title) if title else ""


def entry_identity(
    guid: str | None, link: str | None, title: str, published: datetime | None
) -> str:
    """guid/id, else the canonical link, else a hash of title and date."""
    if guid and guid.strip():
        return "guid:" + guid.strip()
    if link:
        return "link:" + link
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha1(f"{title}\n{stamp}".encode()).hexdigest()
    return "hash:" + digest


def normalize_entry(raw: ParsedEntry, *, seen_at: datetime, base_url: str | None = None) -> Entry:
    link = canonical_link(raw.link, base_url)
    summary_html = (raw.summary_html or "").strip()
    summary_text = html_to_text(summary_html)
    title = clean_title(raw.title)
    if not title:
        title = _excerpt(summary_text) or link or "(untitled)"
    published = raw.published or raw.updated
    if published is None or published > seen_at + FUTURE_SLACK:
        published = seen_at
    identity = entry_identity(raw.guid, link, title, raw.published or raw.updated)
    digest = hashlib.sha1(
        "\x1f".join((title, summary_html, link or "", published.isoformat())).encode()
    ).hexdigest()
    return Entry(
        identity=identity,
        guid=raw.guid.strip() if raw.guid else None,
        link=link,
        title=title,
        summary_html=summary_html,
        summary_text=summary_text,
        published=published.astimezone(UTC),
        content_hash=digest,
    )


def normalize_entries(
    raws: Iterable[ParsedEntry],
    *,
    seen_at: datetime,
    base_url: str | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """Normalize a feed's entries; within one feed a repeated identity keeps its first entry."""
    out: dict[str, Entry] = {}
    for raw in raws:
        entry = normalize_entry(raw, seen_at=seen_at, base_url=base_url)
        out.setdefault(entry.identity, entry)
        if limit is not None and len(out) >= limit:
            break
    return list(out.values())


def _excerpt(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= TITLE_FALLBACK_CHARS:
        return text
    cut = text[:TITLE_FALLBACK_CHARS].rsplit(" ", 1)[0]
    return cut + " …"
