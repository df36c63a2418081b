from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.models import ParsedEntry
from aggregator.parse.html import html_to_text
from aggregator.parse.normalize import (
    canonical_link,
    entry_identity,
    normalize_entries,
    normalize_entry,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://Example.COM:443/a/B?utm_source=rss&utm_medium=feed#top",
            "https://example.com/a/B",
        ),
        ("http://example.com:80/x?id=3&fbclid=abc&gclid=1", "http://example.com/x?id=3"),
        ("https://example.com/x?b=2&a=1&UTM_Campaign=z", "https://example.com/x?b=2&a=1"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/x?mc_cid=1&xtor=RSS-3&q=", "https://example.com/x?q="),
    ],
)
def test_canonical_link(url: str, expected: str) -> None:
    assert canonical_link(url) == expected


def test_relative_links_resolve_against_the_feed() -> None:
    assert (
        canonical_link("/a?utm_source=x", "https://site.example/feed") == "https://site.example/a"
    )


def test_non_http_links_are_left_alone() -> None:
    assert canonical_link("javascript:alert(1)") == "javascript:alert(1)"
    assert canonical_link(None) is None


@given(
    st.text(alphabet="abcdefghij0123456789-_/", max_size=20), st.text(alphabet="abc123", max_size=8)
)
def test_canonical_link_is_idempotent(path: str, value: str) -> None:
    url = f"https://Example.org/{path}?utm_source=x&k={value}#frag"
    once = canonical_link(url)
    assert once is not None and canonical_link(once) == once
    assert "utm_" not in once and "#" not in once


def test_identity_prefers_guid_then_link_then_hash() -> None:
    assert entry_identity("g-1", "https://x/1", "T", None) == "guid:g-1"
    assert entry_identity(None, "https://x/1", "T", None) == "link:https://x/1"
    first = entry_identity(None, None, "Titel", NOW)
    assert first.startswith("hash:") and first == entry_identity(None, None, "Titel", NOW)
    assert first != entry_identity(None, None, "Titel", NOW + timedelta(hours=1))


def test_missing_date_becomes_time_first_seen_and_future_dates_are_clamped() -> None:
    raw = ParsedEntry(None, "https://x.example/1", "T", None, None, None)
    assert normalize_entry(raw, seen_at=NOW).published == NOW
    future = ParsedEntry(None, "https://x.example/2", "T", None, NOW + timedelta(days=30), None)
    assert normalize_entry(future, seen_at=NOW).published == NOW


def test_html_kept_for_display_and_stripped_for_matching() -> None:
    raw = ParsedEntry(
        "g",
        "https://x.example/1",
        "Titel &amp; <b>mehr</b>",
        "<p>Erster&nbsp;Absatz</p><script>alert(1)</script><p>Zweiter</p>",
        NOW,
        None,
    )
    entry = normalize_entry(raw, seen_at=NOW)
    assert entry.title == "Titel & mehr"
    assert entry.summary_html.startswith("<p>Erster")
    assert entry.summary_text == "Erster Absatz Zweiter"


def test_missing_title_falls_back_to_summary_text() -> None:
    raw = ParsedEntry(
        None, "https://x.example/1", None, "<p>Eine Meldung ohne Überschrift.</p>", NOW, None
    )
    assert normalize_entry(raw, seen_at=NOW).title == "Eine Meldung ohne Überschrift."


def test_duplicate_identities_in_one_feed_keep_the_first() -> None:
    raws = [
        ParsedEntry("same", "https://x.example/1", "Erste", None, NOW, None),
        ParsedEntry("same", "https://x.example/2", "Zweite", None, NOW, None),
        ParsedEntry(None, "https://x.example/3", "Dritte", None, NOW, None),
    ]
    entries = normalize_entries(raws, seen_at=NOW)
    assert [e.title for e in entries] == ["Erste", "Dritte"]


def test_limit_caps_entries_per_feed() -> None:
    raws = [ParsedEntry(f"g{i}", None, f"T{i}", None, NOW, None) for i in range(10)]
    assert len(normalize_entries(raws, seen_at=NOW, limit=4)) == 4


@given(st.text(max_size=200))
def test_html_to_text_never_leaves_tags_or_double_spaces(markup: str) -> None:
    text = html_to_text(markup)
    assert "  " not in text and text == text.strip()
    assert "<script" not in text.lower() or "<script" in markup.lower()
