"""One scheduled run per SQLite database: an exclusive lock on a file beside it.

Why a file lock and not a row in the database: the kernel drops an `flock` the moment the
process ends, however it ends (crash, kill -9, power loss), so a lock can never go stale
and no one has to clear it by hand. A lock row would need a heartbeat and an expiry to
survive a crash, and would still block a restart until it expired. PostgreSQL databases
take no lock here: several workers may share one, each taking its own feeds.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url

from aggregator.errors import StoreError


def lock_path(db_url: str) -> Path | None:
    """The lock file for a SQLite file database; None for other databases and `:memory:`."""
    try:
        url = make_url(db_url)
    except Exception:
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database)
    return database.with_name(database.name + ".run.lock")


class RunLock:
    """Held for the lifetime of `aggregator run`; a second holder gets a clear StoreError."""

    def __init__(self, db_url: str) -> None:
        self.path = lock_path(db_url)
        self._fd: int | None = None

    def acquire(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreError(
                f"another `aggregator run` (pid {holder}) is already running against this "
                f"database; lock file {self.path}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
