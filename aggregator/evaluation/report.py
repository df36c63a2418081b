"""One evaluation run: tune the threshold on one half, report on the other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from aggregator.evaluation.datasets import Dataset, split, stream
from aggregator.evaluation.metrics import PairOutcome, Scores, bcubed, labelled_pairs, pairwise
from aggregator.evaluation.replay import Replay, group_in_memory, replay_through_store
from aggregator.match import MatchSettings


@dataclass(slots=True, frozen=True)
class Result:
    dataset: str
    items: int
    threshold: float
    seconds: float
    pairwise: Scores | None = None
    wrong_merges: int = 0
    bcubed: Scores | None = None
    pairs: PairOutcome | None = None

    @property
    def headline(self) -> Scores:
        if self.pairs is not None:
            return self.pairs.scores
        assert self.pairwise is not None
        return self.pairwise


def score(dataset: Dataset, replay: Replay, threshold: float) -> Result:
    predicted = replay.predicted
    if dataset.pairs:
        outcome = labelled_pairs(predicted, dataset.pairs)
        return Result(
            dataset.name,
            len(dataset.items),
            threshold,
            replay.seconds,
            pairs=outcome,
            wrong_merges=len(outcome.false_merges),
        )
    gold = {i.id: i.label for i in dataset.items}
    pair_scores, wrong = pairwise(predicted, gold)
    return Result(
        dataset.name,
        len(dataset.items),
        threshold,
        replay.seconds,
        pairwise=pair_scores,
        wrong_merges=wrong,
        bcubed=bcubed(predicted, gold),
    )


def span_for(dataset: Dataset) -> timedelta:
    # Labelled stories of clustered sets run over days; pairs are single events.
    return timedelta(hours=60) if not dataset.pairs else timedelta(hours=48)


def sweep(
    dataset: Dataset, thresholds: Sequence[float], window: timedelta, min_precision: float
) -> list[Result]:
    events = stream(dataset, span=span_for(dataset))
    return [
        score(
            dataset,
            group_in_memory(events, MatchSettings(threshold=t, bare_threshold=t, window=window)),
            t,
        )
        for t in thresholds
    ]


def choose(results: Sequence[Result], min_precision: float) -> Result:
    """Best F1 among thresholds whose precision clears `min_precision` (else best precision)."""
    eligible = [r for r in results if r.headline.precision >= min_precision]
    if eligible:
        return max(eligible, key=lambda r: (r.headline.f1, r.threshold))
    return max(results, key=lambda r: (r.headline.precision, r.headline.f1))


def evaluate(
    dataset: Dataset,
    thresholds: Sequence[float],
    window: timedelta,
    min_precision: float,
    seed: int = 7,
    through_store: bool = True,
) -> tuple[list[Result], Result]:
    """Sweep on the tuning half; report the chosen threshold on the reporting half."""
    tuning, reporting = split(dataset, seed)
    swept = sweep(tuning, thresholds, window, min_precision)
    chosen = choose(swept, min_precision)
    events = stream(reporting, span=span_for(reporting))
    if through_store:
        replay = replay_through_store(events, chosen.threshold, window)
    else:
        replay = group_in_memory(
            events,
            MatchSettings(
                threshold=chosen.threshold, bare_threshold=chosen.threshold, window=window
            ),
        )
    return swept, score(reporting, replay, chosen.threshold)
