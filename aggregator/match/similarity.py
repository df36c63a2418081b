"""How alike two entries are, and why: a score in [0, 1], a method name, the shared words."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from aggregator.match.text import Features

Idf = Callable[[str], float]
# Headlines this alike (rapidfuzz ratio on the folded headline) are one report, reworded by
# an editor at most: a typo fixed, a word swapped.
NEAR_IDENTICAL = 92.0
MIN_KEY_WORDS = 3
TITLE_WEIGHT = 2.0
PREFIX_WEIGHT = 0.5


@dataclass(slots=True, frozen=True)
class Similarity:
    score: float
    method: str
    matched_terms: tuple[str, ...]


def similarity(
    a: Features, b: Features, idf: Idf, *, a_vector: dict[str, float] | None = None
) -> Similarity:
    """Compare two entries' features; `a_vector` is `term_vector(a, idf)` when known."""
    if a.title_key and a.title_key == b.title_key and a.title_key.count(" ") + 1 >= MIN_KEY_WORDS:
        return Similarity(1.0, "identical", tuple(sorted(a.title_terms)))
    ratio = fuzz.ratio(a.title_key, b.title_key)
    if ratio >= NEAR_IDENTICAL and min(len(a.title_key), len(b.title_key)) >= 20:
        return Similarity(
            ratio / 100, "near-identical", tuple(sorted(a.title_terms & b.title_terms))
        )
    cosine, shared = _weighted_cosine(a, b, idf, a_vector)
    title_overlap = fuzz.token_set_ratio(a.title_key, b.title_key) / 100
    score = 0.75 * cosine + 0.25 * title_overlap
    # A shared place or a single shared word never makes two reports one story.
    distinctive = [t for t in shared if t not in a.prefix_terms or t in a.title_terms]
    if len(distinctive) < 2:
        score = min(score, 0.3)
    method = "title+summary" if (a.body_terms or b.body_terms) else "title"
    return Similarity(round(score, 4), method, tuple(shared))


def term_vector(f: Features, idf: Idf) -> dict[str, float]:
    """Each term's weight: its idf, doubled in the title, halved in a place prefix."""
    vector: dict[str, float] = {}
    for term in f.body_terms:
        vector[term] = idf(term)
    for term in f.prefix_terms:
        vector[term] = max(vector.get(term, 0.0), PREFIX_WEIGHT * idf(term))
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
