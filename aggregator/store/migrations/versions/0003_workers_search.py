"""Feed leases, grouping turns and full-text search, on SQLite and PostgreSQL.

Revision ID: 0003
Revises: 0002

- `feeds.lease_owner` / `feeds.lease_until`: which worker holds a feed, and until when.
- `grouping_state` (one row) and `memberships.grouped_seq`: the grouping turn counter that
  serializes grouping decisions between processes and tells each process what the others
  grouped since it last looked.
- Full-text search over entry titles and summaries. PostgreSQL: a stored generated
  `tsvector` column with the `simple` configuration and a GIN index. SQLite: an FTS5 table
  over `entries` (external content, `unicode61` tokenizer keeping diacritics) kept in sync
  by triggers. Both fold case and keep umlauts as they are; neither stems, so one search
  behaves the same on both engines and in every language a feed list mixes.

Note for later SQLite migrations: a batch operation that recreates `entries` drops its
triggers; recreate them with `create_sqlite_fts_triggers`.
"""

import sqlalchemy as sa
from alembic import op

from aggregator.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "entries_fts_insert": """
        CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN
            INSERT INTO entries_fts(rowid, title, summary_text)
            VALUES (new.id, new.title, new.summary_text);
        END""",
    "entries_fts_delete": """
        CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
            INSERT INTO entries_fts(entries_fts, rowid, title, summary_text)
            VALUES ('delete', old.id, old.title, old.summary_text);
        END""",
    "entries_fts_update": """
        CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, summary_text ON entries BEGIN
            INSERT INTO entries_fts(entries_fts, rowid, title, summary_text)
            VALUES ('delete', old.id, old.title, old.summary_text);
            INSERT INTO entries_fts(rowid, title, summary_text)
            VALUES (new.id, new.title, new.summary_text);
        END""",
}


def create_sqlite_fts_triggers() -> None:
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("feeds", sa.Column("lease_owner", sa.String(200)))
    op.add_column("feeds", sa.Column("lease_until", UTCDateTime))
    op.create_index("ix_feeds_next_due_at", "feeds", ["next_due_at"])
    op.add_column(
        "memberships",
        sa.Column("grouped_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_memberships_grouped_seq", "memberships", ["grouped_seq"])
    state = op.create_table(
        "grouping_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("pruned_before", UTCDateTime),
    )
    op.bulk_insert(state, [{"id": 1, "seq": 0, "pruned_before": None}])

    if dialect == "postgresql":
        op.execute(
            "ALTER TABLE entries ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('simple'::regconfig, title || ' ' || summary_text)) STORED"
        )
        op.execute("CREATE INDEX ix_entries_search_vector ON entries USING gin (search_vector)")
    elif dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE entries_fts USING fts5("
            "title, summary_text, content='entries', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        create_sqlite_fts_triggers()
        op.execute("INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_entries_search_vector")
        op.execute("ALTER TABLE entries DROP COLUMN IF EXISTS search_vector")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS entries_fts")
    op.drop_table("grouping_state")
    op.drop_index("ix_memberships_grouped_seq", table_name="memberships")
    op.drop_index("ix_feeds_next_due_at", table_name="feeds")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of `feeds` would drop the
    # parent table of `entries`, and with foreign keys on that cascades to every entry.
    for table, column in (
        ("memberships", "grouped_seq"),
        ("feeds", "lease_until"),
        ("feeds", "lease_owner"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
