"""Meetings: the occurrences of a tandem's agreed rhythm with each partner's check-in, and
where each member wants their reminders.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "tandem_id",
            sa.Integer,
            sa.ForeignKey("tandems.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("occurrence_at", UTCDateTime, nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answer_a", sa.String(8)),
        sa.Column("answer_b", sa.String(8)),
        sa.Column("proposed_at", UTCDateTime),
        sa.Column("proposed_by", sa.Integer),
        sa.Column("skipped_by", sa.Integer),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("tandem_id", "occurrence_at", name="uq_meetings_tandem_occurrence"),
    )
    op.create_index("ix_meetings_tandem_start", "meetings", ["tandem_id", "starts_at"])
    op.create_table(
        "meeting_settings",
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column("reminders", sa.String(8), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meeting_settings")
    op.drop_table("meetings")
