"""One worker process's round over a shared database, for process pools and benchmarks.

Any number of workers run at once, in processes on any number of machines, against one
PostgreSQL database (or, one machine only, one SQLite file). They never talk to each
other: the leases in `store/leases.py` keep them off each other's feeds, and the grouping
turns in `store/coordination.py` keep their grouping decisions consistent. A round is
exactly one pass of `aggregator run --once` (`runner.Runner.run_pass`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from aggregator.config import load_config
from aggregator.pipeline import Pipeline
from aggregator.runner import PassReport, Runner
from aggregator.store import Database

DEFAULT_BATCH = 20
DEFAULT_LEASE = timedelta(minutes=5)


def work_once(
    db_url: str,
    config_path: str | Path,
    worker_id: str | None = None,
    *,
    batch: int = DEFAULT_BATCH,
    lease: timedelta = DEFAULT_LEASE,
) -> PassReport:
    """Open the database (refusing a schema of another version, never migrating it), then
    lease, fetch and store due feeds a batch at a time until none are left."""
    config = load_config(config_path)
    db = Database(db_url, auto_upgrade=False)
    try:
        runner = Runner(Pipeline(db, config), worker=worker_id, lease=lease, batch=batch)
        return asyncio.run(runner.run_pass())
    finally:
        db.close()
