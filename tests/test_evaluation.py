"""The evaluation harness: readers, split, metrics, and the labelled sets on a small slice."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.evaluation.datasets import (
    Columns,
    Dataset,
    LabelledPair,
    read_dataset,
    split,
    stream,
)
from aggregator.evaluation.metrics import bcubed, labelled_pairs, pairwise

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def test_metrics_on_a_hand_checked_example() -> None:
    gold = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    pred = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    scores, wrong = pairwise(pred, gold)
    # predicted pairs: ab, cd -> 1 right of 2; gold pairs: ab ac bc de -> 1 of 4
    assert (scores.precision, scores.recall, wrong) == (0.5, 0.25, 1)
    b3 = bcubed(pred, gold)
    assert round(b3.precision, 4) == round((1 + 1 + 0.5 + 0.5 + 1) / 5, 4)
    assert round(b3.recall, 4) == round((2 / 3 + 2 / 3 + 1 / 3 + 0.5 + 0.5) / 5, 4)
    outcome = labelled_pairs(
        pred,
        [
            LabelledPair("a", "b", True),
            LabelledPair("c", "d", False),
            LabelledPair("a", "c", True),
            LabelledPair("a", "zz", True),
        ],
    )
    assert outcome.scored == 3 and outcome.scores.precision == 0.5 and outcome.scores.recall == 0.5


def test_readers_for_clusters_and_pairs(tmp_path: Path) -> None:
    clusters = tmp_path / "c.jsonl"
    clusters.write_text(
        '{"id": "1", "headline": "A", "story": "s1"}\n{"id": "2", "headline": "B", "story": "s1"}\n'
    )
    data = read_dataset(clusters, Columns(title="headline", label="story", id="id"))
    assert data.kind == "clusters" and [i.label for i in data.items] == ["s1", "s1"]
    pairs = tmp_path / "p.csv"
    pairs.write_text(
        "title_1,title_2,text_1,text_2,Overall\nT1,T2,x,y,1.0\nT1,T3,x,z,4.0\nT2,T3,y,z,2.0\n"
    )
    data = read_dataset(pairs)
    assert data.kind == "pairs" and len(data.items) == 3
    assert [p.same for p in data.pairs] == [True, False]  # the 2.0 rating is ignored
    with pytest.raises(ValueError, match="fit neither shape"):
        read_dataset(clusters)


def test_split_is_fixed_by_seed_and_disjoint() -> None:
    from aggregator.evaluation.datasets import LabelledItem

    data = Dataset("x", [LabelledItem(str(i), f"t{i}", "", "s", str(i % 3)) for i in range(100)])
    tuning, reporting = split(data, 7)
    assert {i.id for i in tuning.items}.isdisjoint({i.id for i in reporting.items})
    assert [i.id for i in split(data, 7)[0].items] == [i.id for i in tuning.items]
    times = [t for _, t in stream(reporting)]
    assert times == sorted(times)


@pytest.mark.skipif(not (SHARED / "de-news-pairs.csv").exists(), reason="../shared/data is absent")
def test_eval_command_on_the_german_pairs() -> None:
    result = CliRunner().invoke(
        app,
        ["eval", str(SHARED / "de-news-pairs.csv"), "--in-memory", "--thresholds", "0.2:0.5:0.05"],
    )
    assert result.exit_code == 0, result.output
    assert "reporting half" in result.stdout and "labelled pairs" in result.stdout
