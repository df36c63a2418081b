"""A crowd of synthetic feeds: many outlets reporting the same stories at once, verbatim or
with the headline re-punctuated, prefixed or upper-cased. Used by the worker tests and by
benchmarks/workers_bench.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from feeds import Item, rss

NOW = datetime.now(UTC).replace(microsecond=0)
STEMS = [
    "Stadt",
    "Land",
    "Brücken",
    "Bahn",
    "Hafen",
    "Markt",
    "Rat",
    "Schul",
    "Kirch",
    "Wasser",
    "Wald",
    "Berg",
    "Feuer",
    "Rosen",
    "Salz",
    "Korn",
    "Mühl",
    "Schloss",
    "Burg",
    "Stern",
]
ENDS = [
    "haus",
    "garten",
    "platz",
    "straße",
    "turm",
    "werk",
    "hof",
    "bad",
    "halle",
    "tor",
    "feld",
    "see",
    "weg",
    "ring",
    "park",
    "amt",
    "fest",
    "bühne",
    "zentrum",
    "kasse",
]
PREFIXES = ["Ober", "Unter", "Nieder", "Groß", "Klein", "Alt", "Neu", "Hinter"]
VERBS = ["eröffnet", "schließt", "saniert", "plant", "verkauft", "feiert", "sperrt", "erweitert"]
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
]


def _variant(title: str, k: int) -> str:
    """The same headline as outlets print it: verbatim, prefixed, re-punctuated, shouting, or
    with the place moved to the end. No variant adds a word (an "update" marker would be shared
    by every story's variants and, while few stories are known, pull two stories together)."""
    match k % 4:
        case 0:
            return title
        case 1:
            return f"+++ {title} +++"
        case 2:
            return title.replace(":", " –") + "!"
        case _:
            if k % 8 == 3:
                return title.upper()
            place, rest = title.split(": ", 1)
            return f"{rest} ({place})"


def build_feeds(n_feeds: int, per_feed: int, n_stories: int, seed: int = 7):
    """Feed bodies and the gold story of every link; each story is told by many feeds."""
    rng = random.Random(seed)
    compounds = [a + b for a in STEMS for b in ENDS]
    rng.shuffle(compounds)
    if 2 * n_stories > len(compounds):  # more stories than two-part names: "Oberrosenhof"
        more = [p + c.lower() for p in PREFIXES for c in compounds]
        rng.shuffle(more)
        compounds += more
    if 2 * n_stories > len(compounds):
        raise ValueError(f"at most {len(compounds) // 2} stories")
    titles = [
        f"{rng.choice(PLACES)}: {compounds[2 * i]} {rng.choice(VERBS)} "
        f"{compounds[2 * i + 1]} {i * 7919 % 100000}"
        for i in range(n_stories)
    ]
    when = [NOW - timedelta(minutes=rng.randint(10, 600)) for _ in titles]
    gold: dict[str, int] = {}
    bodies: dict[str, bytes] = {}
    for k in range(n_feeds):
        items = []
        for j, s in enumerate(rng.sample(range(n_stories), per_feed)):
            link = f"https://o{k}.example/{j}"
            items.append(
                Item(
                    _variant(titles[s], k + j),
                    link,
                    f"Bericht über {titles[s].split(': ', 1)[1]}",
                    when[s] + timedelta(minutes=rng.randint(0, 30)),
                    f"o{k}-{j}",
                )
            )
            gold[link] = s
        bodies[f"/f{k}.xml"] = rss(f"o{k}", items)
    return bodies, gold
