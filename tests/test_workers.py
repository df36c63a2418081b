"""Several worker processes on one database: each feed fetched once, each entry and story
stored once, however the workers interleave."""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import LocalFeedServer, Response
from feeds import Item, feeds_yaml, rss
from sqlalchemy import func, select

from aggregator.models import StoryQuery
from aggregator.store import Database
from aggregator.store.queries import find_stories
from aggregator.store.schema import EntryRow, MembershipRow
from aggregator.workers import work_once

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
    """The same headline as outlets print it: verbatim, with a prefix, or re-punctuated."""
    match k % 4:
        case 0:
            return title
        case 1:
            return f"+++ {title} +++"
        case 2:
            return title.replace(":", " –") + "!"
        case _:
            return title.upper() if k % 8 == 3 else title + " (aktualisiert)"


def build_feeds(n_feeds: int, per_feed: int, n_stories: int, seed: int = 7):
    """Feed bodies and the gold story of every link; each story is told by many feeds."""
    rng = random.Random(seed)
    compounds = [a + b for a in STEMS for b in ENDS]
    rng.shuffle(compounds)
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


def run_workers(db_url: str, config: Path, count: int) -> list:
    """`count` worker processes started together; their rounds, in worker order."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(count) as pool:
        jobs = [
            pool.apply_async(work_once, (db_url, str(config), f"w{i}"), {"batch": 10})
            for i in range(count)
        ]
        return [job.get(timeout=300) for job in jobs]


def test_four_worker_processes_share_200_feeds(
    db_url: str, feed_server: LocalFeedServer, tmp_path: Path
) -> None:
    bodies, gold = build_feeds(n_feeds=200, per_feed=8, n_stories=120)
    for path, body in bodies.items():
        feed_server.routes[path] = Response(body)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        feeds_yaml(
            [{"name": f"o{k}", "url": feed_server.url(f"/f{k}.xml")} for k in range(200)],
            {"per_host_concurrency": 10, "concurrency": 10},
        )
    )
    Database(db_url).close()  # `aggregator db upgrade`: workers never migrate

    rounds = run_workers(db_url, config, 4)

    hits = Counter(path for path, _status, _headers in feed_server.log)
    assert set(hits) == set(bodies) and max(hits.values()) == 1  # each feed fetched once
    fetched = [name for r in rounds for name in r.fetched]
    assert sorted(fetched) == sorted(f"o{k}" for k in range(200))
    assert sum(r.summary.feeds_ok for r in rounds) == 200
    assert sum(r.summary.new_entries for r in rounds) == len(gold)
    assert sum(1 for r in rounds if r.fetched) >= 2  # the work really was shared

    db = Database(db_url, auto_upgrade=False)
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(EntryRow)) == len(gold)
            assert session.scalar(select(func.count()).select_from(MembershipRow)) == len(gold)
            stories = find_stories(session, StoryQuery(limit=None))
    finally:
        db.close()
    links = [source.link for story in stories for source in story.sources]
    assert Counter(links).most_common(1)[0][1] == 1 and set(links) == set(gold)
    rows_of: dict[int, set[int]] = defaultdict(set)
    for story in stories:
        told = {gold[source.link] for source in story.sources}
        assert len(told) == 1, f"story {story.id} mixes {told}"
        rows_of[told.pop()].add(story.id)
    split = {s: ids for s, ids in rows_of.items() if len(ids) > 1}
    assert not split, f"stories stored more than once: {split}"
    assert len(stories) == 120
    assert sum(r.summary.new_stories for r in rounds) == 120
