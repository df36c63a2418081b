"""Readers of labelled news data sets, general enough for new sets.

Two shapes are understood:
- *clusters*: one row per item with a story label (CSV or JSON Lines), e.g. the UCI News
  Aggregator sample (`TITLE`, `STORY`, `PUBLISHER`, `TIMESTAMP`);
- *pairs*: one row per pair of articles with a similarity rating, e.g. the SemEval-2022
  multilingual news pairs (`title_1`, `title_2`, `text_1`, `text_2`, `Overall`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

csv.field_size_limit(10**8)


@dataclass(slots=True, frozen=True)
class LabelledItem:
    id: str
    title: str
    summary: str
    source: str
    label: str | None = None


@dataclass(slots=True, frozen=True)
class LabelledPair:
    a: str
    b: str
    same: bool


@dataclass(slots=True)
class Dataset:
    name: str
    items: list[LabelledItem]
    pairs: list[LabelledPair] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "pairs" if self.pairs else "clusters"


@dataclass(slots=True, frozen=True)
class Columns:
    """Column names; the defaults fit the UCI sample and the SemEval pairs."""

    title: str = "TITLE"
    label: str = "STORY"
    id: str = "ID"
    summary: str | None = None
    source: str = "PUBLISHER"
    title_1: str = "title_1"
    title_2: str = "title_2"
    text_1: str = "text_1"
    text_2: str = "text_2"
    rating: str = "Overall"
    same_max: float = 1.5  # ratings at or below: the same story
    different_min: float = 2.5  # at or above: different stories
    summary_chars: int = 300


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if path.suffix in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield {k: "" if v is None else str(v) for k, v in json.loads(line).items()}
        return
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def read_dataset(path: str | Path, columns: Columns | None = None) -> Dataset:
    """Read a clusters or pairs file; the shape is told by its columns."""
    path = Path(path)
    columns = columns or Columns()
    rows = list(_rows(path))
    if not rows:
        raise ValueError(f"{path}: no rows")
    header = set(rows[0])
    if {columns.title_1, columns.title_2, columns.rating} <= header:
        return _pairs(path.name, rows, columns)
    if {columns.title, columns.label} <= header:
        return _clusters(path.name, rows, columns)
    raise ValueError(
        f"{path}: columns {sorted(header)} fit neither shape: clusters need "
        f"{columns.title!r} and {columns.label!r}; pairs need {columns.title_1!r}, "
        f"{columns.title_2!r} and {columns.rating!r}"
    )


def _clusters(name: str, rows: list[dict[str, str]], columns: Columns) -> Dataset:
    items = []
    for number, row in enumerate(rows):
        summary = (row.get(columns.summary) or "") if columns.summary else ""
        items.append(
            LabelledItem(
                id=row.get(columns.id) or str(number),
                title=row[columns.title],
                summary=summary[: columns.summary_chars],
                source=row.get(columns.source) or "source",
                label=row[columns.label],
            )
        )
    return Dataset(name, items)


def _pairs(name: str, rows: list[dict[str, str]], columns: Columns) -> Dataset:
    """Articles of all pairs (each once), and the pairs rated clearly same or different."""
    items: dict[str, LabelledItem] = {}
    pairs = []

    def item(title: str, text: str) -> str:
        key = hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:16]
        if key not in items:
            items[key] = LabelledItem(
                key,
                title.strip(),
                " ".join(text.split())[: columns.summary_chars],
                f"feed-{int(key, 16) % 7}",
            )
        return key

    for row in rows:
        try:
            rating = float(row[columns.rating])
        except ValueError:
            continue
        a = item(row[columns.title_1], row[columns.text_1])
        b = item(row[columns.title_2], row[columns.text_2])
        if a == b:
            continue
        if rating <= columns.same_max:
            pairs.append(LabelledPair(a, b, True))
        elif rating >= columns.different_min:
            pairs.append(LabelledPair(a, b, False))
    return Dataset(name, list(items.values()), pairs)


def split(dataset: Dataset, seed: int = 7) -> tuple[Dataset, Dataset]:
    """(tuning half, reporting half), fixed by `seed`: items for clusters, pairs for pairs."""
    rng = random.Random(seed)
    if dataset.pairs:
        pairs = list(dataset.pairs)
        rng.shuffle(pairs)
        halves = pairs[: len(pairs) // 2], pairs[len(pairs) // 2 :]
        by_id = {i.id: i for i in dataset.items}
        out = []
        for number, half in enumerate(halves):
            ids = dict.fromkeys(x for p in half for x in (p.a, p.b))
            out.append(
                Dataset(
                    f"{dataset.name}:{('tuning', 'reporting')[number]}",
                    [by_id[i] for i in ids],
                    list(half),
                )
            )
        return out[0], out[1]
    items = list(dataset.items)
    rng.shuffle(items)
    middle = len(items) // 2
    return (
        Dataset(f"{dataset.name}:tuning", items[:middle]),
        Dataset(f"{dataset.name}:reporting", items[middle:]),
    )


def stream(
    dataset: Dataset,
    seed: int = 11,
    span: timedelta = timedelta(hours=48),
    end: datetime | None = None,
) -> list[tuple[LabelledItem, datetime]]:
    """The items in a shuffled order with publish times spread over `span`, ascending.

    Source files are often sorted by label and stamped at crawl time: replayed as they are,
    the order alone would give the answer away.
    """
    rng = random.Random(seed)
    items = list(dataset.items)
    rng.shuffle(items)
    end = end or datetime(2026, 1, 1, tzinfo=UTC)
    seconds = span.total_seconds()
    times = sorted(end - timedelta(seconds=rng.uniform(0, seconds)) for _ in items)
    return list(zip(items, times, strict=True))
