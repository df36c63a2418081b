"""Every export format parses back: feedparser without bozo, JSON Feed against its schema."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import jsonschema
import pytest

from aggregator.export import render
from aggregator.export.feeds import FeedMeta
from aggregator.models import Source, Story

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SCHEMA = json.loads((Path(__file__).parent / "data" / "jsonfeed-1.1.schema.json").read_text())


def story(story_id: int, sources: list[tuple[str, str, str | None]]) -> Story:
    return Story(
        id=story_id,
        title=f"Geschichte {story_id} & „Zitat“",
        link=sources[0][2],
        summary="Kurz & knapp.",
        summary_html='<p>Kurz &amp; knapp.</p><script>alert(1)</script><img src=x onerror="alert(1)">',
        published=NOW - timedelta(hours=story_id),
        updated=NOW,
        region="Sachsen",
        sources=tuple(
            Source(
                entry_id=i,
                feed=feed,
                title=title,
                link=link,
                published=NOW,
                score=1.0,
                method="new",
            )
            for i, (feed, title, link) in enumerate(sources)
        ),
    )


STORIES = [
    story(
        1,
        [
            ("a", "Titel A", "https://a.example/1?x=1&y=2"),
            ("b", "Titel <B>", "https://b.example/1"),
            ("c", "Titel C", "https://c.example/1"),
        ],
    ),
    story(2, [("evil", "Böse", "javascript:alert(1)")]),
]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_xml_exports_parse_back_with_every_source(fmt: str) -> None:
    body = render(STORIES, fmt, FeedMeta(self_url="https://agg.example/feed"))
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 2
    first = parsed.entries[0]
    assert first.id == "urn:aggregator:story:1"
    assert first.title == "Geschichte 1 & „Zitat“"
    assert first.link == "https://a.example/1?x=1&y=2"
    text = body.decode()
    for link in ("https://b.example/1", "https://c.example/1"):
        assert link in text
    if fmt == "atom":
        related = [link.href for link in first.links if link.rel == "related"]
        assert related == ["https://b.example/1", "https://c.example/1"]
    assert "javascript:" not in text and "<script" not in text and "onerror" not in text


def test_ids_are_stable_across_renders() -> None:
    first = feedparser.parse(render(STORIES, "atom"))
    second = feedparser.parse(render(list(reversed(STORIES)), "atom"))
    assert {e.id for e in first.entries} == {e.id for e in second.entries}


def test_json_feed_validates_and_carries_sources() -> None:
    doc = json.loads(render(STORIES, "json", FeedMeta(self_url="https://agg.example/feed.json")))
    jsonschema.validate(doc, SCHEMA)
    first = doc["items"][0]
    assert first["url"] == "https://a.example/1?x=1&y=2"
    assert [s["link"] for s in first["_aggregator"]["sources"]] == [
        "https://a.example/1?x=1&y=2",
        "https://b.example/1",
        "https://c.example/1",
    ]
    assert "url" not in doc["items"][1]  # a javascript: link is never offered
    assert doc["items"][1]["_aggregator"]["sources"][0]["link"] is None
    assert "<script" not in first["content_html"]


def test_empty_export_is_still_a_valid_feed() -> None:
    assert not feedparser.parse(render([], "atom")).bozo
    assert not feedparser.parse(render([], "rss")).bozo
    jsonschema.validate(json.loads(render([], "json")), SCHEMA)
