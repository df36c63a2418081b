"""Clustering metrics: pairwise and B-cubed precision/recall/F1, labelled-pair scores."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from aggregator.evaluation.datasets import LabelledPair


@dataclass(slots=True, frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}"


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> tuple[Scores, int]:
    """Pairwise scores over items in both, and the number of wrongly merged pairs."""
    items = [i for i in gold if i in pred]
    together = sum(_pairs(n) for n in Counter((pred[i], gold[i]) for i in items).values())
    predicted = sum(_pairs(n) for n in Counter(pred[i] for i in items).values())
    actual = sum(_pairs(n) for n in Counter(gold[i] for i in items).values())
    scores = Scores(
        together / predicted if predicted else 1.0, together / actual if actual else 1.0
    )
    return scores, predicted - together


def bcubed(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> Scores:
    items = [i for i in gold if i in pred]
    if not items:
        return Scores(1.0, 1.0)
    joint = Counter((pred[i], gold[i]) for i in items)
    pred_size = Counter(pred[i] for i in items)
    gold_size = Counter(gold[i] for i in items)
    precision = sum(joint[(pred[i], gold[i])] / pred_size[pred[i]] for i in items) / len(items)
    recall = sum(joint[(pred[i], gold[i])] / gold_size[gold[i]] for i in items) / len(items)
    return Scores(precision, recall)


@dataclass(slots=True, frozen=True)
class PairOutcome:
    scores: Scores
    scored: int
    false_merges: list[LabelledPair]
    missed: list[LabelledPair]


def labelled_pairs(pred: Mapping[str, Hashable], pairs: Sequence[LabelledPair]) -> PairOutcome:
    tp = 0
    false_merges, missed = [], []
    scored = 0
    for pair in pairs:
        if pair.a not in pred or pair.b not in pred:
            continue
        scored += 1
        together = pred[pair.a] == pred[pair.b]
        if together and pair.same:
            tp += 1
        elif together:
            false_merges.append(pair)
        elif pair.same:
            missed.append(pair)
    fp, fn = len(false_merges), len(missed)
    scores = Scores(tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)
    return PairOutcome(scores, scored, false_merges, missed)


def clusters(pred: Mapping[str, Hashable]) -> dict[Hashable, list[str]]:
    out: dict[Hashable, list[str]] = defaultdict(list)
    for item, cluster in pred.items():
        out[cluster].append(item)
    return out
