"""Due items: everything the bot does on its own schedule, claimed exactly once.

Dated pauses that are running when this migration runs get their ``pause_end`` item, so no pause
is forgotten by the upgrade (until now the maintenance job found them by query).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "due_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE")),
        sa.Column("target", sa.JSON),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("scheduled_for", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("community_id", "key", name="uq_due_items_community_key"),
    )
    op.create_index("ix_due_items_state_due", "due_items", ["state", "due_at"])
    op.create_index("ix_due_items_state_lease", "due_items", ["state", "lease_until"])
    op.create_index("ix_due_items_member", "due_items", ["member_id"])
    op.execute(
        "INSERT INTO due_items (community_id, kind, key, member_id, payload, due_at,"
        " scheduled_for, state, attempts, created_at, updated_at)"
        " SELECT community_id, 'pause_end', 'pause_end:' || CAST(id AS VARCHAR(20)), id, '{}',"
        " paused_until, paused_until, 'pending', 0, paused_until, paused_until"
        " FROM members WHERE status = 'paused' AND paused_until IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("due_items")
