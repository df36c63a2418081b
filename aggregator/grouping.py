"""The bridge between the pure grouper and the store: loads what the grouper must know.

The grouper keeps the entries of recent stories in memory. Before deciding on entries
published in some span, `GroupingSession.cover` makes sure every stored entry that could
match (the span widened by the window on both sides) is indexed.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from aggregator.match import Features, Grouper, MatchSettings, extract_features
from aggregator.models import Decision
from aggregator.store import repository


@lru_cache(maxsize=4096)
def _features(title: str, summary: str) -> Features:
    """Features of an entry; asked twice per new entry (decide, then index), computed once."""
    return extract_features(title, summary)


class GroupingSession:
    def __init__(self, settings: MatchSettings) -> None:
        self.grouper = Grouper(settings)
        self.window = settings.window
        self._low: datetime | None = None
        self._high: datetime | None = None

    def cover(self, session: Session, earliest: datetime, latest: datetime) -> None:
        """Index every stored, grouped entry published within the window of [earliest, latest]."""
        start, end = earliest - self.window, latest + self.window
        spans: list[tuple[datetime, datetime]] = []
        if self._low is None or self._high is None:
            spans.append((start, end))
            self._low, self._high = start, end
        else:
            if start < self._low:
                spans.append((start, self._low))
                self._low = start
            if end > self._high:
                spans.append((self._high, end))
                self._high = end
        for span_start, span_end in spans:
            for item in repository.indexed_entries(session, span_start, span_end):
                self.index(
                    item.entry_id, item.story_id, item.title, item.summary_text, item.published
                )
        # A long-running process moves forward in time: what lies more than a window below
        # the span being grouped can match nothing in it, so it leaves memory.
        if self._low is not None and start - self._low > 2 * self.window:
            cutoff = start - self.window
            self.grouper.evict_before(cutoff)
            self._low = cutoff

    def index(
        self, entry_id: int, story_id: int, title: str, summary: str, published: datetime
    ) -> None:
        self.grouper.add(entry_id, story_id, published, _features(title, summary))

    def decide(self, title: str, summary: str, published: datetime) -> Decision:
        return self.grouper.decide(published, _features(title, summary))

    def forget(self, entry_ids: list[int]) -> None:
        for entry_id in entry_ids:
            self.grouper.remove(entry_id)

    def evict_before(self, cutoff: datetime) -> int:
        """Forget indexed entries published before `cutoff`, so a long run stays bounded.

        The covered span shrinks with it: should an old entry arrive later, its
        neighbours are loaded from the store again.
        """
        evicted = self.grouper.evict_before(cutoff)
        if self._low is not None and self._high is not None and self._low < cutoff:
            if self._high <= cutoff:
                self._low = self._high = None
            else:
                self._low = cutoff
        return evicted
