"""The web front end of `aggregator serve`: merged feeds, JSON API, HTML pages, OPML."""

from aggregator.web.app import create_app
from aggregator.web.context import WebSettings

__all__ = ["WebSettings", "create_app"]
