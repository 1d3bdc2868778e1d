"""Learning notes, reflections, milestones reached and shout-out opt-ins.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _member() -> sa.Column[int]:
    return sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    )


def _tandem() -> sa.Column[int]:
    return sa.Column(
        "tandem_id", sa.Integer, sa.ForeignKey("tandems.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        _member(),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_notes_member", "notes", ["member_id"])
    op.create_table(
        "reflections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        _tandem(),
        _member(),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("shared", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "tandem_id", "member_id", "number", name="uq_reflections_tandem_member_number"
        ),
    )
    op.create_index("ix_reflections_member", "reflections", ["member_id"])
    op.create_table(
        "milestones_reached",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        _tandem(),
        _member(),
        sa.Column("goal_index", sa.Integer, nullable=False),
        sa.Column("milestone_index", sa.Integer, nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("reached_at", UTCDateTime, nullable=False),
        sa.Column("congratulated_at", UTCDateTime),
        sa.UniqueConstraint(
            "tandem_id",
            "member_id",
            "goal_index",
            "milestone_index",
            name="uq_milestones_reached_tandem_member_goal",
        ),
    )
    op.create_index("ix_milestones_reached_member", "milestones_reached", ["member_id"])
    op.create_table(
        "shoutout_optins",
        sa.Column("community_id", sa.String(200), nullable=False),
        _tandem(),
        _member(),
        sa.Column("opted_in", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tandem_id", "member_id", name="pk_shoutout_optins"),
    )
    op.create_index("ix_shoutout_optins_member", "shoutout_optins", ["member_id"])


def downgrade() -> None:
    op.drop_table("shoutout_optins")
    op.drop_table("milestones_reached")
    op.drop_table("reflections")
    op.drop_table("notes")
