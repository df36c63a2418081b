"""Feeds, entries, stories and memberships.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from aggregator.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("current_url", sa.Text, nullable=False),
        sa.Column("region", sa.String(200)),
        sa.Column("language", sa.String(20)),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("title", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_fetched_at", UTCDateTime),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_due_at", UTCDateTime),
        sa.Column("due_reason", sa.Text),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("guid", sa.Text),
        sa.Column("link", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary_html", sa.Text, nullable=False),
        sa.Column("summary_text", sa.Text, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("feed_id", "identity", name="uq_entries_feed_identity"),
    )
    op.create_index("ix_entries_published_at", "entries", ["published_at"])
    op.create_index("ix_entries_link", "entries", ["link"])
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("link", sa.Text),
        sa.Column("summary_html", sa.Text, nullable=False),
        sa.Column("summary_text", sa.Text, nullable=False),
        sa.Column("region", sa.String(200)),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("canonical_entry_id", sa.Integer),
        sa.Column("source_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_stories_updated_at", "stories", ["updated_at"])
    op.create_index("ix_stories_published_at", "stories", ["published_at"])
    op.create_table(
        "memberships",
        sa.Column(
            "entry_id",
            sa.Integer,
            sa.ForeignKey("entries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "story_id", sa.Integer, sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("matched_terms", sa.Text, nullable=False, server_default=""),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_memberships_story_id", "memberships", ["story_id"])


def downgrade() -> None:
    op.drop_table("memberships")
    op.drop_table("stories")
    op.drop_table("entries")
    op.drop_table("feeds")
