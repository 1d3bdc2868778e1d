"""Match rounds and tandems: previews, the pairs introduced, their first-call answers; and who
is first in line after sitting out a round.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("members", sa.Column("first_in_line_at", UTCDateTime))
    op.create_table(
        "match_rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column("started_by", sa.String(16), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("proposal", sa.JSON),
        sa.Column("pairs", sa.Integer, nullable=False),
        sa.Column("sit_outs", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("run_at", UTCDateTime),
    )
    op.create_index("ix_match_rounds_community_state", "match_rounds", ["community_id", "state"])
    op.create_table(
        "tandems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("match_rounds.id", ondelete="SET NULL")),
        sa.Column(
            "member_a",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_b",
            sa.Integer,
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("space", sa.JSON),
        sa.Column("answer_a", sa.String(8)),
        sa.Column("answer_b", sa.String(8)),
        sa.Column("reason_a", sa.String(500)),
        sa.Column("reason_b", sa.String(500)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("introduced_at", UTCDateTime),
        sa.Column("active_at", UTCDateTime),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("end_reason", sa.String(32)),
    )
    op.create_index("ix_tandems_community_state", "tandems", ["community_id", "state"])
    op.create_index("ix_tandems_member_a", "tandems", ["member_a"])
    op.create_index("ix_tandems_member_b", "tandems", ["member_b"])
    op.create_index("ix_tandems_round", "tandems", ["round_id"])


def downgrade() -> None:
    op.drop_table("tandems")
    op.drop_table("match_rounds")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("first_in_line_at")
