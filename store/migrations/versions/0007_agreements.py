"""Tandem agreements: each partner's part, the merged agreement both confirm, and the history
of its versions and proposed changes.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "tandem_id",
            sa.Integer,
            sa.ForeignKey("tandems.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("part_a", sa.JSON),
        sa.Column("part_b", sa.JSON),
        sa.Column("terms", sa.JSON),
        sa.Column("confirmed_a", sa.Boolean, nullable=False),
        sa.Column("confirmed_b", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("agreed_at", UTCDateTime),
    )
    op.create_table(
        "agreement_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community_id", sa.String(200), nullable=False),
        sa.Column(
            "agreement_id",
            sa.Integer,
            sa.ForeignKey("agreements.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.Integer),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("proposed_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
    )
    op.create_index("ix_agreement_changes_agreement", "agreement_changes", ["agreement_id"])


def downgrade() -> None:
    op.drop_table("agreement_changes")
    op.drop_table("agreements")
