"""Index entries.updated_at: the newest write is what the content version asks for.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_updated_at", "entries", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_updated_at", table_name="entries")
