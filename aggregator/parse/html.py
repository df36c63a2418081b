"""HTML → plain text, for matching and for places that show text only."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "template", "noscript", "iframe", "object", "svg"}
_BLOCK = {
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "blockquote",
}
_SPACE = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, whitespace collapsed; scripts and styles dropped."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return _SPACE.sub(" ", markup).strip()
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
    except Exception:  # html.parser is lenient; this is only a last resort
        return _SPACE.sub(" ", html.unescape(re.sub(r"<[^>]*>", " ", markup))).strip()
    return _SPACE.sub(" ", "".join(collector.parts)).strip()
