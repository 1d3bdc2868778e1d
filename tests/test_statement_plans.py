"""SQLite plans each statement of the answer path once per connection, not at every answer.

SQLite re-plans a prepared statement on its next step whenever a bound value it planned around
changes; a value compared with the column of a partial index's condition is one
(``uq_conversations_one_active``: ``status = 'active'``). Planning the group read again at every
answer cost three quarters of its time (docs/answer-path.md). SQLite asks a connection's
authorizer about every statement it plans, so counting the authorizer's calls per execution
shows a statement planned anew.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from store import sqlite_lanes
from store.precompiled import Execute
from tests.conftest import AppFactory, memory_of
from tests.support.onboarding import TRANSCRIPT, play_on_memory


async def test_once_warm_the_questionnaire_makes_sqlite_plan_no_statement_anew(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    plannings: dict[tuple[int, str], list[int]] = defaultdict(list)
    counting = threading.local()
    lanes_execute: Callable[[sqlite3.Connection], Execute] = sqlite_lanes.on_sqlite
    watched: set[int] = set()

    def authorize(*_: Any) -> int:  # also for the lane's own BEGIN and COMMIT, not counted
        counting.calls = getattr(counting, "calls", 0) + 1
        return sqlite3.SQLITE_OK

    def counted(database: sqlite3.Connection) -> Execute:
        if id(database) not in watched:  # once: setting an authorizer expires every statement
            database.set_authorizer(authorize)
            watched.add(id(database))
        execute = lanes_execute(database)

        def run(sql: str, values: Any, many: bool) -> list[Any]:
            counting.calls = 0
            try:
                return execute(sql, values, many)
            finally:
                plannings[id(database), sql].append(counting.calls)

        return run

    monkeypatch.setattr(sqlite_lanes, "on_sqlite", counted)
    app = await make_app("memory")
    memory = memory_of(app)
    for name in ("ana", "ben", "cem"):  # the same statements, with other members' values
        member = memory.member(name)
        await memory.command(member, "join")
        await play_on_memory(memory, member, TRANSCRIPT, typed=False)
        assert memory.last(member).text.startswith("Geschafft – dein Profil ist gespeichert!")

    repeated = {key: calls for key, calls in plannings.items() if len(calls) > 1}
    statements = {sql for _, sql in repeated}
    assert any(sql.startswith("SELECT batch.idx") for sql in statements)  # the group read
    assert any(sql.startswith("UPDATE conversations") for sql in statements)  # the change
    planned_again = {sql[:80]: calls for (_, sql), calls in repeated.items() if any(calls[1:])}
    assert planned_again == {}
