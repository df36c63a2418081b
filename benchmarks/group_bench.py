"""Grouping at scale: 10k, 100k and 1M synthetic entries through the real normalizer and grouper.

Entries arrive at a steady rate (default 20,000 a day, a large regional aggregator), so the
matching window holds a realistic number of recent entries however long the stream is.
A known share of entries re-report an earlier story with a reworded headline.

    python benchmarks/group_bench.py                 # 10k, 100k, 1M
    python benchmarks/group_bench.py --sizes 10000 100000 --runs 3

Prints entries/s, peak memory, pairwise precision/recall against the generated labels,
and the growth ratio (time per entry at the largest size ÷ at the smallest).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.match import Grouper, MatchSettings, extract_features  # noqa: E402

PLACES = [
    "Halle",
    "Leipzig",
    "Dresden",
    "Magdeburg",
    "Chemnitz",
    "Dessau",
    "Zwickau",
    "Görlitz",
    "Jena",
    "Erfurt",
    "Weimar",
    "Bautzen",
    "Merseburg",
    "Naumburg",
    "Weißenfels",
    "Wittenberg",
    "Bitterfeld",
    "Köthen",
    "Bernburg",
    "Stendal",
    "Plauen",
    "Freiberg",
    "Meißen",
    "Pirna",
    "Radebeul",
    "Riesa",
    "Torgau",
    "Delitzsch",
    "Grimma",
    "Borna",
    "Markkleeberg",
    "Taucha",
    "Schkeuditz",
]
SUBJECTS = [
    "Stadtrat",
    "Landtag",
    "Polizei",
    "Feuerwehr",
    "Klinikum",
    "Hochschule",
    "Universität",
    "Straßenbahn",
    "Bahnhof",
    "Flughafen",
    "Zoo",
    "Theater",
    "Museum",
    "Oper",
    "Schule",
    "Kita",
    "Rathaus",
    "Gericht",
    "Staatsanwaltschaft",
    "Messe",
    "Stadtwerke",
    "Verkehrsbetriebe",
    "Landrat",
    "Oberbürgermeister",
    "Bürgermeisterin",
    "Handwerkskammer",
    "Wohnungsgenossenschaft",
    "Tierheim",
    "Sportverein",
    "Fußballclub",
    "Orchester",
    "Bibliothek",
    "Kirchgemeinde",
]
VERBS = [
    "beschließt",
    "plant",
    "eröffnet",
    "schließt",
    "sucht",
    "meldet",
    "warnt",
    "startet",
    "stoppt",
    "verschiebt",
    "prüft",
    "erhält",
    "fordert",
    "kritisiert",
    "investiert",
    "erweitert",
    "saniert",
    "verkauft",
    "ehrt",
    "verklagt",
]
OBJECTS = [
    "Haushalt",
    "Neubau",
    "Sanierung",
    "Brücke",
    "Radweg",
    "Spielplatz",
    "Parkhaus",
    "Schwimmhalle",
    "Umgehungsstraße",
    "Buslinie",
    "Fahrplan",
    "Gebühren",
    "Mieten",
    "Kitaplätze",
    "Wasserpreise",
    "Baustelle",
    "Ausstellung",
    "Konzert",
    "Weihnachtsmarkt",
    "Stadtfest",
    "Hochwasserschutz",
    "Solarpark",
    "Windrad",
    "Ladesäulen",
    "Glasfaser",
    "Zeugen",
    "Einbrecher",
    "Spende",
    "Förderung",
    "Millionen",
    "Investition",
    "Stellen",
    "Ausbildung",
    "Partnerschaft",
]
FILLER = [
    "nach",
    "langer",
    "Debatte",
    "wegen",
    "hoher",
    "Kosten",
    "ab",
    "Montag",
    "bis",
    "Freitag",
    "im",
    "Sommer",
    "trotz",
    "Kritik",
]


SYLLABLES = [
    "ber",
    "burg",
    "dorf",
    "feld",
    "hain",
    "hau",
    "kirch",
    "lin",
    "mar",
    "ne",
    "ro",
    "sa",
    "schen",
    "ste",
    "tal",
    "wal",
    "wit",
    "zen",
]


def lexicon(rng: random.Random, size: int) -> list[str]:
    """Distinctive words (names of people, streets, firms): real headlines are full of them."""
    words = set()
    while len(words) < size:
        parts = rng.sample(SYLLABLES, rng.randint(2, 3))
        words.add("".join(parts).capitalize() + rng.choice(["", "er", "straße", "weg", "mann"]))
    return sorted(words)


NAMES = lexicon(random.Random(0), 20_000)


def headline(rng: random.Random) -> tuple[str, str]:
    place = rng.choice(PLACES)
    words = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(OBJECTS)]
    name, street = rng.choice(NAMES), rng.choice(NAMES)
    number = rng.randint(2, 2000)
    title = f"{place}: {words[0]} {words[1]} {words[2]} {name} für {number} {words[3]}"
    summary = (
        f"Der {words[0]} in {place} {words[1]} {words[2]} an der {street}. Es geht um {number} "
        f"{words[3]} und {rng.choice(OBJECTS)}, {' '.join(rng.sample(FILLER, 4))}."
    )
    return title, summary


def reword(rng: random.Random, title: str, summary: str) -> tuple[str, str]:
    place, rest = title.split(": ", 1)
    words = rest.split()
    rng.shuffle(words)
    variants = [
        f"+++ {title} +++",
        f"{rest} | Lokalzeitung",
        f"{' '.join(words[:5])} in {place}",
        title.replace("für", "über"),
    ]
    return rng.choice(variants), " ".join(summary.split()[: rng.randint(8, 14)])


def run(size: int, per_day: int, duplicate_share: float, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    grouper = Grouper(MatchSettings(threshold=0.4, window=timedelta(hours=72)))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(days=1) / per_day
    recent: list[tuple[int, str, str, datetime]] = []  # (label, title, summary, when)
    gold: dict[int, int] = {}
    pred: dict[int, int] = {}
    began = time.perf_counter()
    for key in range(size):
        when = start + key * step
        if recent and rng.random() < duplicate_share:
            label, title, summary, _ = recent[rng.randrange(len(recent))]
            title, summary = reword(rng, title, summary)
        else:
            label = key
            title, summary = headline(rng)
            recent.append((label, title, summary, when))
            if len(recent) > per_day:  # re-reports come within about a day
                recent.pop(0)
        features = extract_features(title, summary)
        decision = grouper.decide(when, features)
        story = decision.story_key if decision.story_key is not None else key
        grouper.add(key, story, when, features)
        gold[key], pred[key] = label, story
        if key % 5000 == 0:
            grouper.evict_before(when - 2 * grouper.settings.window)
    seconds = time.perf_counter() - began
    precision, recall = _pairwise(pred, gold)
    return {
        "seconds": seconds,
        "rate": size / seconds,
        "precision": precision,
        "recall": recall,
        "indexed": len(grouper),
    }


def _pairwise(pred: dict[int, int], gold: dict[int, int]) -> tuple[float, float]:
    from collections import Counter

    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    joint = pairs(Counter((pred[k], gold[k]) for k in gold))
    p, g = pairs(Counter(pred.values())), pairs(Counter(gold.values()))
    return (joint / p if p else 1.0), (joint / g if g else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=1, help="runs per size; the median is shown")
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    args = parser.parse_args()
    per_entry = {}
    print(
        f"{'entries':>10} {'entries/s':>10} {'seconds':>8} {'µs/entry':>9} {'peak MB':>8} "
        f"{'indexed':>8} {'P':>6} {'R':>6}"
    )
    for size in args.sizes:
        results = [run(size, args.per_day, args.duplicates, seed) for seed in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in results)
        best = results[0]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        per_entry[size] = seconds / size * 1e6
        print(
            f"{size:>10,} {size / seconds:>10,.0f} {seconds:>8.1f} {per_entry[size]:>9.1f} "
            f"{peak:>8.0f} {best['indexed']:>8,.0f} "
            f"{best['precision']:>6.3f} {best['recall']:>6.3f}"
        )
    if len(per_entry) > 1:
        sizes = sorted(per_entry)
        print(
            f"growth ratio (time per entry at {sizes[-1]:,} ÷ at {sizes[0]:,}): "
            f"{per_entry[sizes[-1]] / per_entry[sizes[0]]:.2f}"
        )


if __name__ == "__main__":
    main()
