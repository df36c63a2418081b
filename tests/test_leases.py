"""Feed leases on both engines: disjoint claims, expiry and take-over, release."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from aggregator.models import FeedConfig
from aggregator.store import Database, repository
from aggregator.store.leases import claim_due_feeds, release_all, release_feed
from aggregator.store.schema import FeedRow

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
NAMES = [f"feed{i:02d}" for i in range(10)]


@pytest.fixture
def db(db_url: str):
    database = Database(db_url)
    with database.session() as session:
        repository.sync_feeds(
            session, [FeedConfig(n, f"http://127.0.0.1:9/{n}.xml") for n in NAMES], T0
        )
        session.commit()
    yield database
    database.close()


def claim(db: Database, worker: str, now: datetime, limit: int | None = None, names=NAMES):
    with db.session() as session:
        claimed = claim_due_feeds(session, names, now, worker, LEASE, limit=limit)
        session.commit()
    return [f.name for f in claimed]


def test_claims_are_disjoint_and_limited(db: Database) -> None:
    a = claim(db, "a", T0, limit=4)
    b = claim(db, "b", T0, limit=4)
    c = claim(db, "c", T0)
    assert len(a) == 4 and len(b) == 4 and len(c) == 2
    assert sorted(a + b + c) == NAMES
    assert claim(db, "d", T0) == []


def test_only_due_enabled_configured_feeds_are_claimed(db: Database) -> None:
    with db.session() as session:
        session.execute(
            update(FeedRow).where(FeedRow.name == "feed00").values(next_due_at=T0 + LEASE)
        )
        session.execute(
            update(FeedRow).where(FeedRow.name == "feed01").values(next_due_at=T0 - LEASE)
        )
        session.execute(
            update(FeedRow).where(FeedRow.name == "feed02").values(disabled_reason="gone (410)")
        )
        session.commit()
    got = claim(db, "a", T0, names=NAMES[:5])
    assert got == ["feed03", "feed04", "feed01"]  # never fetched first, then most overdue
    assert claim(db, "b", T0 + LEASE, names=["feed00"]) == ["feed00"]  # due now


def test_a_crashed_workers_leases_expire_and_are_taken_over(db: Database) -> None:
    assert claim(db, "crashed", T0) == NAMES
    assert claim(db, "b", T0 + LEASE - timedelta(seconds=1)) == []
    assert claim(db, "b", T0 + LEASE) == NAMES
    with db.session() as session:
        # the crashed worker wakes up: its lease is gone, it cannot release b's
        assert not release_feed(session, repository.feed_states(session)["feed00"].id, "crashed")
        session.commit()
    assert claim(db, "c", T0 + LEASE) == []


def test_released_feeds_can_be_claimed_again(db: Database) -> None:
    assert claim(db, "a", T0, limit=2) == ["feed00", "feed01"]
    with db.session() as session:
        states = repository.feed_states(session)
        assert release_feed(session, states["feed00"].id, "a")
        session.commit()
    assert claim(db, "b", T0, limit=1) == ["feed00"]
    with db.session() as session:
        assert release_all(session, "a") == 1  # feed01
        session.commit()
    assert claim(db, "b", T0, limit=1) == ["feed01"]


def test_postgres_claims_skip_rows_locked_by_an_uncommitted_claim(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    first = db.session()
    try:
        held = claim_due_feeds(first, NAMES, T0, "a", LEASE, limit=3)  # not committed yet
        result: list[str] = []
        thread = threading.Thread(target=lambda: result.extend(claim(db, "b", T0)))
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the second claim waited for the first"
        assert sorted(result) == NAMES[3:] and [f.name for f in held] == NAMES[:3]
        first.commit()
    finally:
        first.close()
