"""Several worker processes on one database: each feed fetched once, each entry and story
stored once, however the workers interleave."""

from __future__ import annotations

import multiprocessing
from collections import Counter, defaultdict
from pathlib import Path

from conftest import LocalFeedServer, Response
from crowd import build_feeds
from feeds import feeds_yaml
from sqlalchemy import func, select

from aggregator.models import StoryQuery
from aggregator.store import Database
from aggregator.store.queries import find_stories
from aggregator.store.schema import EntryRow, MembershipRow
from aggregator.workers import work_once


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
