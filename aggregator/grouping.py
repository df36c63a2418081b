"""The bridge between the pure grouper and the store: loads what the grouper must know.

The grouper keeps the entries of recent stories in memory. Before deciding on entries
published in some span, `GroupingSession.cover` makes sure every stored entry that could
match (the span widened by the window on both sides) is indexed.

Several processes may group into one database. `begin_turn` serializes their decisions and
loads what the others grouped since this process last looked; `end_turn` stamps this
turn's memberships for them; `committed` / `rolled_back` tell the session how the
transaction ended, so its memory never holds what the database does not.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from aggregator.match import Features, Grouper, MatchSettings, extract_features
from aggregator.models import Decision
from aggregator.store import coordination, repository


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
        self._seen_seq: int | None = None  # the last turn whose writes are indexed
        self._turn: int | None = None  # the turn of the transaction in progress
        self._pending: list[int] = []  # entries indexed in that transaction

    def begin_turn(self, session: Session) -> None:
        """Wait for this process's turn to group and catch up with the other processes.

        Call inside the transaction that will write the memberships, before deciding.
        """
        turn = coordination.take_grouping_turn(session)
        if turn.pruned_before is not None:
            self._forget_before(turn.pruned_before)
        if self._low is not None and self._high is not None and self._seen_seq is not None:
            for item in coordination.grouped_between(
                session, self._seen_seq, turn.seq, self._low, self._high
            ):
                self.index(
                    item.entry_id, item.story_id, item.title, item.summary_text, item.published
                )
        elif self._low is not None:
            # Indexed without turns so far: reload everything rather than trust it.
            self.grouper = Grouper(self.grouper.settings)
            self._low = self._high = None
        self._turn = turn.seq
        self._pending = []

    def end_turn(self, session: Session, entry_ids: list[int]) -> None:
        """Stamp the memberships this turn wrote, for the other processes to load."""
        if self._turn is None:
            return
        coordination.stamp_grouped(session, entry_ids, self._turn)
        self._pending = list(entry_ids)

    def committed(self) -> None:
        """The transaction of the current turn committed: its writes are known to all."""
        if self._turn is not None:
            self._seen_seq = self._turn
        self._turn = None
        self._pending = []

    def rolled_back(self) -> None:
        """The transaction failed: forget what it indexed; the next turn reloads the rest."""
        self.forget(self._pending)
        self._turn = None
        self._pending = []

    def _forget_before(self, cutoff: datetime) -> None:
        if self._low is None or self._high is None or self._low >= cutoff:
            return
        self.grouper.evict_before(cutoff)
        if self._high < cutoff:
            self._low = self._high = None
        else:
            self._low = cutoff

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
