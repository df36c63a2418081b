"""How alike two entries are, and why: a score in [0, 1], a method name, the shared words.

Rules, in order:
1. identical: the same headline after normalization (case, typography, ticker markers,
   outlet signature and a `Place:` prefix dropped), three words or more;
2. near-identical: rapidfuzz `ratio` of those headlines ≥ 92 (an editor's small change);
3. title+summary (or title, when a side has no summary): the cosine of IDF-weighted word
   vectors, title words counting twice. Two guards: at least two distinctive shared words,
   and at least one of them in a headline, so a shared place name or a shared boilerplate
   sentence alone never merges two reports.
The figures behind these choices are in docs/grouping.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from aggregator.match.text import Features

Idf = Callable[[str], float]
NEAR_IDENTICAL = 92.0
MIN_KEY_WORDS = 3
MIN_NEAR_IDENTICAL_CHARS = 20
TITLE_WEIGHT = 2.0
PREFIX_WEIGHT = 1.0
MIN_SHARED = 2  # distinctive shared words
MIN_TITLE_ANCHORS = 1  # of which in a headline
DISTINCTIVE_IDF = 1.0


@dataclass(slots=True, frozen=True)
class Similarity:
    score: float
    method: str
    matched_terms: tuple[str, ...]
    bare: bool = False  # one side has no summary: the title-only threshold applies


def similarity(
    a: Features,
    b: Features,
    idf: Idf,
    *,
    a_vector: dict[str, float] | None = None,
    distinctive_idf: float = DISTINCTIVE_IDF,
) -> Similarity:
    """Compare two entries' features; `a_vector` is `term_vector(a, idf)` when known.

    `distinctive_idf`: the idf a shared word needs to count towards the guards (the grouper
    raises it so that a word found in a large share of the stories never counts).
    """
    bare = not (a.body_terms and b.body_terms)
    if a.title_key and a.title_key == b.title_key and a.title_key.count(" ") + 1 >= MIN_KEY_WORDS:
        return Similarity(1.0, "identical", tuple(sorted(a.title_terms)), bare)
    if min(len(a.title_key), len(b.title_key)) >= MIN_NEAR_IDENTICAL_CHARS:
        ratio = fuzz.ratio(a.title_key, b.title_key, score_cutoff=NEAR_IDENTICAL)
        if ratio:
            shared = tuple(sorted(a.title_terms & b.title_terms))
            return Similarity(round(ratio / 100, 4), "near-identical", shared, bare)
    cosine, shared = _weighted_cosine(a, b, idf, a_vector)
    distinctive = [t for t in shared if idf(t) >= distinctive_idf]
    # A place prefix (`Leipzig: …`) names where, not what: it never counts towards the guard.
    telling = [t for t in distinctive if t not in a.prefix_terms and t not in b.prefix_terms]
    anchors = sum(1 for t in telling if _in_title(a, t) or _in_title(b, t))
    method = "title" if bare else "title+summary"
    if len(telling) < MIN_SHARED or anchors < MIN_TITLE_ANCHORS:
        return Similarity(0.0, "guard", tuple(distinctive), bare)
    return Similarity(round(cosine, 4), method, tuple(distinctive), bare)


def _in_title(f: Features, term: str) -> bool:
    return term in f.title_terms or term in f.prefix_terms


def term_vector(f: Features, idf: Idf) -> dict[str, float]:
    """Each term's weight: its idf, doubled in the headline."""
    vector: dict[str, float] = {}
    for term in f.body_terms:
        vector[term] = idf(term)
    for term in f.prefix_terms:
        vector[term] = PREFIX_WEIGHT * TITLE_WEIGHT * idf(term)
    for term in f.title_terms:
        vector[term] = TITLE_WEIGHT * idf(term)
    return vector


def _weighted_cosine(
    a: Features, b: Features, idf: Idf, a_vector: dict[str, float] | None = None
) -> tuple[float, list[str]]:
    va = a_vector if a_vector is not None else term_vector(a, idf)
    vb = term_vector(b, idf)
    shared = [t for t in va if t in vb]
    if not shared:
        return 0.0, []
    dot = sum(va[t] * vb[t] for t in shared)
    norm = math.sqrt(sum(w * w for w in va.values())) * math.sqrt(sum(w * w for w in vb.values()))
    shared.sort(key=lambda t: -idf(t))
    return (dot / norm if norm else 0.0), shared
