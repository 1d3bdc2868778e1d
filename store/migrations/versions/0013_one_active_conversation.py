"""At most one running conversation per member: a unique index on the member's active one.

Two processes that start a conversation for one member at the same moment each put aside what
ran and inserted their own (PostgreSQL, read committed): both stayed active. The index makes the
later insert wait for the earlier and fail, and the start runs again and replaces it
(:meth:`store.conversations.ConversationRepository.start`). Duplicates already stored are
resolved as that would have: the newest stays, the older ones are replaced (and keep no
answers, as a replaced conversation does).

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.execute(
        "UPDATE conversations SET status = 'replaced', answers = '{}' "
        "WHERE status = 'active' AND id < "
        "(SELECT MAX(newer.id) FROM conversations AS newer "
        "WHERE newer.member_id = conversations.member_id AND newer.status = 'active')"
    )
    op.create_index(
        "uq_conversations_one_active",
        "conversations",
        ["member_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_conversations_one_active", table_name="conversations")
