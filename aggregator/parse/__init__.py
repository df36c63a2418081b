"""Bytes → `ParsedFeed` (any supported format) → normalized `Entry` records."""

from aggregator.parse.feed import parse_feed
from aggregator.parse.normalize import normalize_entries

__all__ = ["normalize_entries", "parse_feed"]
