"""Persistence: schema, Alembic migrations, writes and queries. Nothing else knows SQL."""

from aggregator.store.database import DEFAULT_URL, Database

__all__ = ["DEFAULT_URL", "Database"]
