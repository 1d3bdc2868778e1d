"""Blocks (kept as keyed hashes of the blocked person's identity), reports to organizers, and
who paused a tandem until when.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "blocker_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("blocked_digest", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("blocker_id", "blocked_digest", name="uq_blocks_blocker_blocked"),
    )
    op.create_index("ix_blocks_community_digest", "blocks", ["community_id", "blocked_digest"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "reporter_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("about_id", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_reports_reporter", "reports", ["reporter_id"])
    op.create_index("ix_reports_about", "reports", ["about_id"])
    op.add_column("tandems", sa.Column("paused_by", sa.Integer))
    op.add_column("tandems", sa.Column("paused_until", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("tandems") as batch:
        batch.drop_column("paused_until")
        batch.drop_column("paused_by")
    op.drop_table("reports")
    op.drop_table("blocks")
