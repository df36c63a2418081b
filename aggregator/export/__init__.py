"""Story records → merged feeds (Atom 1.0, RSS 2.0, JSON Feed 1.1) and the JSON contract."""

from aggregator.export.feeds import FORMATS, MEDIA_TYPES, FeedMeta, render

__all__ = ["FORMATS", "MEDIA_TYPES", "FeedMeta", "render"]
