"""Exactly once: the platform events already applied to a conversation.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_events",
        sa.Column("community_id", sa.String(200), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("step_seq", sa.Integer, nullable=False),
        sa.Column("applied_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_applied_events_applied_at", "applied_events", ["applied_at"])
    op.create_index("ix_applied_events_member", "applied_events", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_applied_events_member", "applied_events")
    op.drop_index("ix_applied_events_applied_at", "applied_events")
    op.drop_table("applied_events")
