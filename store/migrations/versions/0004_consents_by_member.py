"""The latest consent of a member is read with every event (to ask again when the privacy
notice changed): index consents by member.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_consents_member_id", "consents", ["member_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_consents_member_id", table_name="consents")
