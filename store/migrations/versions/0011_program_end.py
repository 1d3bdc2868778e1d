"""The end of a program: the tandem's program round and when it began, and one row per tandem
and round with the completion and each partner's choice how to go on.

Revision ID: 0011
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tandems") as batch:
        batch.add_column(sa.Column("program_round", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("round_started_at", UTCDateTime))
    op.create_table(
        "program_ends",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "tandem_id",
            sa.Integer,
            sa.ForeignKey("tandems.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("completed_by", sa.String(200), nullable=False),
        sa.Column("completed_at", UTCDateTime, nullable=False),
        sa.Column("choice_a", sa.String(16)),
        sa.Column("choice_b", sa.String(16)),
        sa.Column("answered_a_at", UTCDateTime),
        sa.Column("answered_b_at", UTCDateTime),
        sa.Column("outcome", sa.String(16)),
        sa.Column("decided_at", UTCDateTime),
        sa.UniqueConstraint("tandem_id", "round", name="uq_program_ends_tandem_round"),
    )


def downgrade() -> None:
    op.drop_table("program_ends")
    with op.batch_alter_table("tandems") as batch:
        batch.drop_column("round_started_at")
        batch.drop_column("program_round")
