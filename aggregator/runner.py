"""The scheduled run: fetch the feeds that are due, store them, sleep until the next is due.

Which feeds are due is asked of `store.leases.claim_due_feeds`: each pass leases due feeds a
batch at a time and releases them once stored, so any number of `run` processes can share
one PostgreSQL database without fetching a feed twice. A stop event (set by
SIGINT/SIGTERM) skips fetches not yet begun; those under way finish and are committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, OperationalError

from aggregator.models import Config, FeedReport, RunSummary
from aggregator.pipeline import Clock, OnFeed, Pipeline, utc_now
from aggregator.store import Database, repository
from aggregator.store.due import next_wake
from aggregator.store.leases import claim_due_feeds, release_feed

MIN_SLEEP = timedelta(seconds=1)
# Wake at least this often even when nothing is due, to notice feeds changed by others
# (`aggregator fetch` run by hand, a feed re-enabled by a new URL).
MAX_SLEEP = timedelta(minutes=5)


@dataclass(slots=True, frozen=True)
class PassReport:
    """One pass of the loop: how many feeds were due, what fetching them did, what is next."""

    started_at: datetime
    due: int
    summary: RunSummary
    next_due_at: datetime | None
    stopped: bool
    fetched: tuple[str, ...] = ()  # the feeds handled, in order


OnPass = Callable[[PassReport], None]


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


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Runner:
    def __init__(
        self,
        pipeline: Pipeline,
        *,
        worker: str | None = None,
        lease: timedelta = timedelta(minutes=10),
        batch: int | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.worker = worker or default_worker()
        self.lease = lease
        # Enough feeds to keep every fetch slot busy, few enough to leave work for others.
        self.batch = batch or 2 * pipeline.settings.concurrency

    async def run_pass(
        self, stop: asyncio.Event | None = None, on_feed: OnFeed | None = None
    ) -> PassReport:
        """Fetch every feed that is due now; returns what happened and when the next is due."""
        pipeline = self.pipeline
        config = pipeline.config
        names = [f.name for f in config.feeds]
        by_name = {f.name: f for f in config.feeds}
        started = pipeline.clock()
        sync_config(pipeline.db, config, pipeline.clock)
        summary = RunSummary()
        handled: dict[str, None] = {}  # in the order handled
        # Feeds are leased a batch at a time, so workers sharing a database share the work;
        # a feed handled in this pass is not claimed again in it.
        while not (stop is not None and stop.is_set()):
            wanted = [name for name in names if name not in handled]
            with pipeline.db.session() as session:
                due = claim_due_feeds(
                    session, wanted, pipeline.clock(), self.worker, self.lease, limit=self.batch
                )
                session.commit()
            if not due:
                break
            feeds = [by_name[state.name] for state in due if state.name in by_name]
            handled.update(dict.fromkeys(f.name for f in feeds))
            try:
                part = await pipeline.fetch_async(feeds, on_feed, stop)
            finally:
                with pipeline.db.session() as session:
                    for state in due:
                        release_feed(session, state.id, self.worker)
                    session.commit()
            summary.merge(part)
        window = pipeline.settings.match_window
        pipeline.grouping.evict_before(pipeline.clock() - 2 * window)
        with pipeline.db.session() as session:
            wake = next_wake(session, names)
        stopped = stop is not None and stop.is_set()
        return PassReport(started, len(handled), summary, wake, stopped, tuple(handled))

    def sleep_for(self, wake: datetime | None) -> float:
        """Seconds until `wake`, at least MIN_SLEEP and at most MAX_SLEEP."""
        if wake is None:
            return MAX_SLEEP.total_seconds()
        delay = wake - self.pipeline.clock()
        return max(MIN_SLEEP, min(delay, MAX_SLEEP)).total_seconds()

    async def run(
        self,
        stop: asyncio.Event,
        *,
        once: bool = False,
        on_feed: OnFeed | None = None,
        on_pass: OnPass | None = None,
    ) -> None:
        """Passes until `stop` is set (or one pass with `once`)."""
        while not stop.is_set():
            report = await self.run_pass(stop, on_feed)
            if on_pass is not None:
                on_pass(report)
            if once or stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.sleep_for(report.next_due_at))


def run_until_signalled(
    runner: Runner,
    *,
    once: bool = False,
    on_feed: Callable[[FeedReport], None] | None = None,
    on_pass: OnPass | None = None,
    on_signal: Callable[[int], None] | None = None,
) -> None:
    """Run the loop; the first SIGINT/SIGTERM stops it gracefully, a second one at once.

    Stopping at once cancels fetches in flight (their feeds stay due); every feed already
    stored is committed, since each feed is its own transaction. Raises
    `asyncio.CancelledError` in that case, so the caller can tell the two apart.
    """

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def signalled(number: int) -> None:
            if on_signal is not None:
                on_signal(number)
            if stop.is_set() and task is not None:
                task.cancel()
            stop.set()

        signals = (signal.SIGINT, signal.SIGTERM)
        for number in signals:
            loop.add_signal_handler(number, signalled, number)
        try:
            await runner.run(stop, once=once, on_feed=on_feed, on_pass=on_pass)
        finally:
            for number in signals:
                loop.remove_signal_handler(number)

    asyncio.run(main())
