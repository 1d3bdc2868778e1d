"""Onboarding and data rights: time zone, pause and leave times, DM place, recorded consent.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64)))
        batch.add_column(sa.Column("paused_until", UTCDateTime))
        batch.add_column(sa.Column("left_at", UTCDateTime))
        batch.add_column(sa.Column("dm_place", sa.JSON))
    op.create_index("ix_members_status", "members", ["community_id", "status"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("notice_version", sa.String(32), nullable=False),
        sa.Column("given_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("consents")
    op.drop_index("ix_members_status", "members")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("dm_place")
        batch.drop_column("left_at")
        batch.drop_column("paused_until")
        batch.drop_column("timezone")
