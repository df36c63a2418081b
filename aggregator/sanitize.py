"""Feed content is written by strangers: HTML is sanitized and URLs checked before display."""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


def clean_html(markup: str | None) -> str:
    """Summary HTML without scripts, handlers, frames, styles or script URLs."""
    if not markup:
        return ""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_absolute_urls_only,
        url_schemes=SAFE_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _absolute_urls_only(element: str, attribute: str, value: str) -> str | None:
    """Drop relative `href`/`src` values: shown on our pages or in a reader, a path the
    outlet meant for its own site would point at ours instead."""
    if attribute in ("href", "src"):
        scheme = urlsplit(value.strip()).scheme.lower() if value else ""
        return value if scheme in SAFE_SCHEMES else None
    return value


def safe_url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL a reader may follow, else None."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None
