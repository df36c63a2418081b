"""Online grouping: each new entry joins the best story inside the window, or starts one.

Candidates come from an inverted index of terms, so the work per entry depends on how many
entries share its rarer words inside the window, not on how many are stored: each term
keeps only its most recent entries, terms found in a large share of entries are not used
to look up candidates, and only the best few candidates are scored in full.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter

from aggregator.match.similarity import DISTINCTIVE_IDF, MIN_SHARED, similarity, term_vector
from aggregator.match.text import Features
from aggregator.models import Decision

QUERY_TERMS = 12  # the rarest shared terms of a new entry that are looked up
POSTING_CAP = 300  # most recent entries remembered per term
COMMON_SHARE = 0.05  # a term in more than this share of stories finds no candidates ...
COMMON_MIN_STORIES = 1000  # ... once this many stories are indexed
MAX_CANDIDATES = 15
POSTING_BUDGET = 1500  # entry keys read from postings per decision, at most
DISTINCTIVE_SHARE = 0.5  # words in more of the stories than this never count as shared evidence
IDF_PRIOR = 50.0  # pseudo-stories that contain no term: small streams get a tame IDF


@dataclass(slots=True, frozen=True)
class MatchSettings:
    threshold: float = 0.2  # both entries have a summary
    bare_threshold: float = 0.45  # one of them has a title only
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
        # term -> entry keys, oldest first (dicts keep insertion order)
        self._postings: dict[str, dict[int, None]] = defaultdict(dict)
        # Document frequency counts stories, not entries: five outlets printing one headline
        # must not make its words look common.
        self._df: Counter[str] = Counter()
        self._story_terms: dict[int, Counter[str]] = defaultdict(Counter)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_key: int) -> bool:
        return entry_key in self._entries

    def idf(self, term: str) -> float:
        stories = len(self._story_terms)
        return math.log(1.0 + (stories + IDF_PRIOR) / (self._df.get(term, 0) + 1.0))

    def add(self, entry_key: int, story_key: int, published: datetime, features: Features) -> None:
        """Index an entry that belongs to `story_key` (loaded, or just decided)."""
        if entry_key in self._entries:
            self.remove(entry_key)
        self._entries[entry_key] = _Indexed(story_key, published, features)
        story_terms = self._story_terms[story_key]
        for term in features.all_terms:
            posting = self._postings[term]
            posting[entry_key] = None
            if len(posting) > POSTING_CAP:
                del posting[next(iter(posting))]
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
                posting.pop(entry_key, None)
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
        known_idf: dict[str, float] = {}

        def idf(term: str) -> float:  # fixed during one decision; candidates share terms
            value = known_idf.get(term)
            if value is None:
                value = known_idf[term] = self.idf(term)
            return value

        stories = len(self._story_terms)
        common = COMMON_SHARE * stories if stories >= COMMON_MIN_STORIES else math.inf
        # The rarest of the entry's terms that some indexed entry shares; a term nobody else
        # has finds no candidate and would only crowd out one that does.
        known = sorted(
            (self._df.get(t, 0), t)
            for t in features.all_terms
            if t in self._postings and self._df.get(t, 0) <= common
        )
        scores: dict[int, float] = {}
        hits: dict[int, int] = {}
        scanned = 0
        for _, term in known[:QUERY_TERMS]:
            posting = self._postings[term]
            if scanned and scanned + len(posting) > POSTING_BUDGET:
                break  # the rarer words already looked up are the telling ones
            scanned += len(posting)
            weight = idf(term)
            for key in posting:
                scores[key] = scores.get(key, 0.0) + weight
                hits[key] = hits.get(key, 0) + 1
        # A candidate sharing a single looked-up word cannot pass the guard of two shared
        # distinctive words: only the others are scored in full.
        candidates = [(key, score) for key, score in scores.items() if hits[key] >= MIN_SHARED]
        best: Decision | None = None
        query = term_vector(features, idf)
        # A word in more than half of the stories is not what makes two reports one story
        # ("Bericht", a weekday), however small the stream.
        share = max(1.0, DISTINCTIVE_SHARE * stories)
        distinctive_idf = max(
            DISTINCTIVE_IDF, math.log(1.0 + (stories + IDF_PRIOR) / (share + 1.0))
        )
        for key, _ in heapq.nlargest(MAX_CANDIDATES, candidates, key=itemgetter(1)):
            if key == exclude:
                continue
            other = self._entries[key]
            if abs(other.published - published) > window:
                continue
            result = similarity(
                features, other.features, idf, a_vector=query, distinctive_idf=distinctive_idf
            )
            threshold = self.settings.bare_threshold if result.bare else self.settings.threshold
            if result.score >= threshold and (best is None or result.score > best.score):
                best = Decision(other.story, result.score, result.method, result.matched_terms[:12])
        return best or Decision(None, 1.0, "new", ())
