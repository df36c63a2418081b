"""Online grouping: each new entry joins the best story inside the window, or starts one.

Candidates come from an inverted index of terms, so the work per entry depends on how many
entries share its rarer words inside the window, not on how many are stored.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter

from aggregator.match.similarity import similarity, term_vector
from aggregator.match.text import Features
from aggregator.models import Decision

QUERY_TERMS = 12  # the rarest terms of a new entry that are looked up
MAX_POSTING = 5000  # a term in more entries than this is too common to find candidates by
MAX_CANDIDATES = 40


@dataclass(slots=True, frozen=True)
class MatchSettings:
    threshold: float = 0.4
    window: timedelta = timedelta(hours=72)


@dataclass(slots=True)
class _Indexed:
    story: int
    published: datetime
    features: Features


class Grouper:
    """Holds the entries of recent stories and decides where each new entry belongs."""

    def __init__(self, settings: MatchSettings) -> None:
        self.settings = settings
        self._entries: dict[int, _Indexed] = {}
        self._postings: dict[str, set[int]] = defaultdict(set)
        # Document frequency counts stories, not entries: five outlets printing one headline
        # must not make its words look common.
        self._df: Counter[str] = Counter()
        self._story_terms: dict[int, Counter[str]] = defaultdict(Counter)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_key: int) -> bool:
        return entry_key in self._entries

    def idf(self, term: str) -> float:
        n = len(self._story_terms) + 1
        return math.log((n + 1) / (self._df.get(term, 0) + 0.5)) + 1.0

    def add(self, entry_key: int, story_key: int, published: datetime, features: Features) -> None:
        """Index an entry that belongs to `story_key` (loaded, or just decided)."""
        if entry_key in self._entries:
            self.remove(entry_key)
        self._entries[entry_key] = _Indexed(story_key, published, features)
        story_terms = self._story_terms[story_key]
        for term in features.all_terms:
            self._postings[term].add(entry_key)
            if not story_terms[term]:
                self._df[term] += 1
            story_terms[term] += 1

    def remove(self, entry_key: int) -> None:
        indexed = self._entries.pop(entry_key, None)
        if indexed is None:
            return
        story_terms = self._story_terms[indexed.story]
        for term in indexed.features.all_terms:
            posting = self._postings.get(term)
            if posting is not None:
                posting.discard(entry_key)
                if not posting:
                    del self._postings[term]
            story_terms[term] -= 1
            if story_terms[term] <= 0:
                del story_terms[term]
                self._df[term] -= 1
                if self._df[term] <= 0:
                    del self._df[term]
        if not story_terms:
            del self._story_terms[indexed.story]

    def move(self, entry_key: int, story_key: int) -> None:
        indexed = self._entries.get(entry_key)
        if indexed is not None:
            self.add(entry_key, story_key, indexed.published, indexed.features)

    def evict_before(self, cutoff: datetime) -> int:
        """Forget entries published before `cutoff`: nothing older can match any more."""
        old = [k for k, v in self._entries.items() if v.published < cutoff]
        for key in old:
            self.remove(key)
        return len(old)

    def decide(
        self, published: datetime, features: Features, *, exclude: int | None = None
    ) -> Decision:
        """The best story for an entry, or `story_key=None` when it starts a new story."""
        window = self.settings.window
        scores: dict[int, float] = defaultdict(float)
        # idf is fixed for the duration of one decision; each candidate asks for mostly the
        # same terms, so remember them.
        known_idf: dict[str, float] = {}

        def idf(term: str) -> float:
            value = known_idf.get(term)
            if value is None:
                value = known_idf[term] = self.idf(term)
            return value

        # The rarest of the entry's terms that any indexed entry shares; a term nobody else
        # has finds no candidate and would only crowd out one that does.
        known = [(len(p), t, p) for t in features.all_terms if (p := self._postings.get(t))]
        known.sort()
        for size, term, posting in known[:QUERY_TERMS]:
            if size > MAX_POSTING:
                break
            weight = idf(term)
            for key in posting:
                scores[key] += weight
        best: Decision | None = None
        # nlargest equals sorted(..., reverse=True)[:n], ties included, without sorting all.
        ranked = heapq.nlargest(MAX_CANDIDATES, scores.items(), key=itemgetter(1))
        query = term_vector(features, idf)  # the same for every candidate
        for key, _ in ranked:
            if key == exclude:
                continue
            other = self._entries[key]
            if abs(other.published - published) > window:
                continue
            result = similarity(features, other.features, idf, a_vector=query)
            if result.score >= self.settings.threshold and (
                best is None or result.score > best.score
            ):
                best = Decision(other.story, result.score, result.method, result.matched_terms[:12])
        return best or Decision(None, 1.0, "new", ())
