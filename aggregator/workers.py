"""One worker's round over the shared database: lease due feeds, fetch them, store, release.

Any number of these run at once, in processes on any number of machines, against one
PostgreSQL database (or, one machine only, one SQLite file). They never talk to each
other: the leases in `store/leases.py` keep them off each other's feeds, and the grouping
turns in `store/coordination.py` keep their grouping decisions consistent.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError, OperationalError

from aggregator.config import load_config
from aggregator.fetch import Fetcher, FetchLimits, FetchRequest
from aggregator.models import Config, FetchState, RunSummary
from aggregator.pipeline import Clock, OnFeed, Pipeline, utc_now
from aggregator.store import Database, repository
from aggregator.store.leases import claim_due_feeds, release_feed

DEFAULT_BATCH = 20
DEFAULT_LEASE = timedelta(minutes=5)


def default_worker_id() -> str:
    """`host:pid`: unique among the workers sharing a database, and says where one runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class WorkerRound:
    """What one round of one worker did."""

    worker: str
    summary: RunSummary = field(default_factory=RunSummary)
    fetched: list[str] = field(default_factory=list)  # feed names, in the order handled
    batches: int = 0


def sync_config(db: Database, config: Config, clock: Clock = utc_now) -> dict[str, int]:
    """Make the feeds table match the configuration, safely while other workers do too.

    Workers starting together insert the same new feeds; the unique feed name makes all but
    one fail, and those simply read the rows the winner wrote.
    """
    for attempt in range(5):
        try:
            with db.session() as session:
                ids = repository.sync_feeds(session, config.feeds, clock())
                session.commit()
                return ids
        except (IntegrityError, OperationalError):
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


class Worker:
    """Leases due feeds in batches and hands them to a `Pipeline` until none are left."""

    def __init__(
        self,
        db: Database,
        config: Config,
        worker_id: str | None = None,
        *,
        batch: int = DEFAULT_BATCH,
        lease: timedelta = DEFAULT_LEASE,
        clock: Clock = utc_now,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.db = db
        self.config = config
        self.worker_id = worker_id or default_worker_id()
        self.batch = batch
        self.lease = lease
        self.clock = clock
        self.pipeline = Pipeline(db, config, clock)

    def run_once(self, on_feed: OnFeed | None = None) -> WorkerRound:
        """Fetch every feed that is due and not leased by another worker, then return."""
        return asyncio.run(self.run_once_async(on_feed))

    async def run_once_async(self, on_feed: OnFeed | None = None) -> WorkerRound:
        done = WorkerRound(self.worker_id)
        ids = sync_config(self.db, self.config, self.clock)
        names = [f.name for f in self.config.feeds]
        by_name = {f.name: f for f in self.config.feeds}
        fetcher = Fetcher(FetchLimits.from_settings(self.config.settings), self.user_agent)
        while True:
            with self.db.session() as session:
                claimed = claim_due_feeds(
                    session, names, self.clock(), self.worker_id, self.lease, limit=self.batch
                )
                session.commit()
            if not claimed:
                return done
            done.batches += 1
            requests = [
                FetchRequest(f.name, FetchState(f.current_url, f.etag, f.last_modified))
                for f in claimed
            ]
            try:
                async for result in fetcher.fetch_all(requests):
                    feed = by_name[result.feed_name]
                    report = self.pipeline.handle(feed, ids[feed.name], result)
                    done.summary.add(report)
                    done.fetched.append(feed.name)
                    if on_feed:
                        on_feed(report)
            finally:
                self._release([f.id for f in claimed])

    @property
    def user_agent(self) -> str:
        return self.config.settings.user_agent

    def _release(self, feed_ids: Sequence[int]) -> None:
        with self.db.session() as session:
            for feed_id in feed_ids:
                release_feed(session, feed_id, self.worker_id)
            session.commit()


def work_once(
    db_url: str,
    config_path: str | Path,
    worker_id: str | None = None,
    *,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
) -> WorkerRound:
    """One worker process's round: open the database (refusing a schema of another
    version, never migrating it), lease and fetch due feeds until none are left."""
    config = load_config(config_path)
    db = Database(db_url, auto_upgrade=False)
    try:
        return Worker(db, config, worker_id, batch=batch, lease=lease).run_once()
    finally:
        db.close()
