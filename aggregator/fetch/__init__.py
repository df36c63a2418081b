"""Retrieval only: HTTP(S) and file:// bodies with limits, redirects and conditional GET."""

from aggregator.fetch.fetcher import Fetcher, FetchLimits, FetchRequest

__all__ = ["FetchLimits", "FetchRequest", "Fetcher"]
