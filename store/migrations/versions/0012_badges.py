"""Badges a tandem earned: streaks of meetings held, the first milestone, every goal reached.

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "badges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "tandem_id",
            sa.Integer,
            sa.ForeignKey("tandems.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("ref", sa.Integer, nullable=False),
        sa.Column("earned_at", UTCDateTime, nullable=False),
        sa.Column("celebrate_at", UTCDateTime, nullable=False),
        sa.Column("celebrated_at", UTCDateTime),
        sa.UniqueConstraint(
            "tandem_id", "kind", "level", "ref", name="uq_badges_tandem_kind_level"
        ),
    )


def downgrade() -> None:
    op.drop_table("badges")
