"""Starting a conversation and taking one up again, as precompiled statements
(:mod:`store.precompiled`): every member who joins runs both. A start runs in one hand-off to
the driver, in a write transaction shared with the others' meanwhile
(:meth:`store.connections.Connections.grouped`); a take-up runs in the transaction of the end
that frees its place (:meth:`store.conversations.ConversationRepository.end_and_take_up`).

A start puts the member's running conversation aside (replaced, or on hold), deletes their
oldest ended ones beyond :data:`KEPT_ENDED`, inserts the new one and records the event that
started it (whose unique key makes the whole start fail if it was applied before). Taking up
makes the latest conversation on hold the running one again, unless one runs already.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from store.answer_batches import ACTIVE, INSERT_CAUSE, changed
from store.precompiled import Precompiled, Step
from store.schema import conversations, status_is

# Put on hold while another conversation runs beside it (``language`` during ``join``); it is
# taken up again, answers and all, when that one ends.
SUSPENDED = "suspended"
RUNNING = (ACTIVE, SUSPENDED)
# Ended conversations kept per member: enough to tell a click on one's own old question from
# someone else's, and bounded however often a member starts and cancels. Older ones go at once;
# the rest when the maintenance job prunes ended conversations.
KEPT_ENDED = 5

_member = conversations.c.member_id == sa.bindparam("member_id")
_now = sa.bindparam("now", type_=conversations.c.updated_at.type)
_ended = sa.and_(*(conversations.c.status != status for status in RUNNING))


def _put_aside(values: dict[str, Any]) -> Precompiled:
    return Precompiled(
        conversations.update()
        .where(_member, status_is(conversations.c.status, ACTIVE))
        .values(updated_at=_now, **values)
    )


_SUSPEND_ACTIVE = _put_aside({"status": SUSPENDED})
_REPLACE_ACTIVE = _put_aside({"status": "replaced", "answers": {}})
_PRUNE_ENDED = Precompiled(
    conversations.delete().where(
        _member,
        _ended,
        conversations.c.id.not_in(
            sa.select(conversations.c.id)
            .where(_member, _ended)
            .order_by(conversations.c.id.desc())
            .limit(KEPT_ENDED)
            .scalar_subquery()
        ),
    )
)
_INSERT = Precompiled(
    conversations.insert()
    .values(
        {
            column.name: sa.bindparam(column.name, type_=column.type)
            for column in conversations.c
            if column.name != "id"
        }
    )
    .returning(*conversations.c)
)
_running = conversations.alias("running")
_TAKE_UP = Precompiled(
    conversations.update()
    .where(
        conversations.c.id
        == sa.select(conversations.c.id)
        .where(_member, status_is(conversations.c.status, SUSPENDED))
        .order_by(conversations.c.id.desc())
        .limit(1)
        .scalar_subquery(),
        status_is(conversations.c.status, SUSPENDED),
        ~sa.exists().where(
            _running.c.member_id == sa.bindparam("member_id"), status_is(_running.c.status, ACTIVE)
        ),
    )
    .values(status=ACTIVE, step_seq=conversations.c.step_seq + 1, updated_at=_now)
    .returning(*conversations.c)
)


def start_steps(
    new: dict[str, Any], *, suspend_active: bool, cause: dict[str, Any] | None
) -> list[Step]:
    """The statements that insert the conversation ``new`` (its columns but ``id``) as
    described in the module; ``cause``, the applied event's columns but the conversation's.
    The new row is :func:`started` of their rows."""
    member = {"member_id": new["member_id"], "now": new["updated_at"]}
    steps: list[Step] = [
        (_SUSPEND_ACTIVE if suspend_active else _REPLACE_ACTIVE, member),
        (_PRUNE_ENDED, member),
        (_INSERT, new),
    ]
    if cause is not None:
        steps.append(
            (
                INSERT_CAUSE,
                lambda rows: {
                    **cause,
                    "conversation_id": started(rows)["id"],
                    "step_seq": started(rows)["step_seq"],
                },
            )
        )
    return steps


def started(rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The new conversation's row, of the rows :func:`start_steps` returned."""
    return rows[2][0]


def take_up_after(conversation_id: int, ended: Any) -> Step:
    """The take-up for the member of ``ended`` (a conversation record as its end left it), run
    after :func:`store.answer_batches.change_steps` in one transaction: only if that end was
    applied (``conversation_id`` among the conversations it changed)."""

    def given(rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
        won = conversation_id in changed(rows)
        return {"member_id": ended.member_id if won else -1, "now": ended.updated_at}

    return (_TAKE_UP, given)


def taken_up(rows: list[list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The conversation taken up, None if one ran already or none waited."""
    [taken] = rows
    return taken[0] if taken else None
