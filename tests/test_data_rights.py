"""mydata sends everything held about a member; forget leaves no trace in any table
(on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

import store.db as store_db
from adapters.matrix.records import MatrixRecords, QuestionRecord
from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.intents import AttachFile
from bot.places import Place
from store import Store
from store.members import MemberRecord, MemberStatus
from tests.conftest import Database, settings_for
from tests.support.onboarding import TRANSCRIPT, play_on_memory

SECRET_NAME = "Zoë Quartermaine"
SECRET_ID = "zq-4711"
SECRET_ANSWER = "Zoës Wissen über Quallenaquarien"
ZOES_TRANSCRIPT = tuple(
    replace(turn, text=SECRET_ANSWER) if turn.asked == "join.ask_offer_text" else turn
    for turn in TRANSCRIPT
)


async def everything_in_the_database(app: App) -> str:
    dumps = []
    for table in await app.store.table_names():
        dumps.append(json.dumps(await app.store.dump_table(table), default=str, ensure_ascii=False))
    return "\n".join(dumps)


async def test_mydata_then_forget(any_app_db: Database, clock: FakeClock) -> None:
    app = App(
        settings_for(any_app_db.url),
        clock=clock,
        adapter_names=["memory"],
        run_scheduler=False,
    )
    await app.start()
    try:
        memory = app.adapters["memory"]
        assert isinstance(memory, MemoryAdapter)
        zoe = memory.member(SECRET_ID).model_copy(update={"display_name": SECRET_NAME})
        other = memory.member("bystander")
        for member, transcript in ((zoe, ZOES_TRANSCRIPT), (other, TRANSCRIPT)):
            await memory.command(member, "join")
            await play_on_memory(memory, member, transcript, typed=False)
        await app.store.adapter_state.put(
            "memory",
            "memory",
            f"dm:{SECRET_ID}",
            {"room": "!dm"},
            now=clock.now(),
            platform_user_id=SECRET_ID,
        )
        clock.advance(timedelta(minutes=5))

        seen = await memory.command(zoe, "mydata", place=Place.room("memory", "general"))
        assert seen[0].text == "Ich habe dir deine Daten per Direktnachricht geschickt."
        files = [r.intent for r in seen if isinstance(r.intent, AttachFile)]
        assert [f.filename for f in files] == ["tandem-my-data.json", "tandem-my-data.md"]
        assert all(f.target.kind == "dm" and f.target.user_id == SECRET_ID for f in files)
        exported = json.loads(files[0].content)
        markdown = files[1].content.decode()
        for needle in (SECRET_NAME, SECRET_ID, SECRET_ANSWER, "Europe/Vienna"):
            assert needle in json.dumps(exported, ensure_ascii=False), needle
            assert needle in markdown, needle
        assert exported["consents"][0]["notice_version"] == "2026-12"
        assert exported["adapter_state"][0]["key"] == f"dm:{SECRET_ID}"
        assert markdown.startswith("# Deine Daten bei Tandem")
        assert "- Meine Ziele: Im Team-Meeting 10 Minuten frei präsentieren" in markdown
        # For a person: German words, local times without seconds, statuses in words, no raw data.
        assert "- Zeitzone: Mitteleuropäische Zeit (Europe/Vienna)" in markdown
        assert "- Status: wartet auf eine Tandem-Person" in markdown
        assert "- Datenschutzhinweis 2026-12, zugestimmt am 5. Januar 2026, 10:00" in markdown
        assert "- /tandem join: abgeschlossen (begonnen am 5. Januar 2026, 10:00)" in markdown
        assert "{" not in markdown
        assert "T09:00" not in markdown
        assert "•" not in markdown  # Markdown lists, not bullets

        await memory.command(zoe, "forget")
        assert memory.last_ask(zoe).question.id == "forget.ask"
        kept = await memory.pick(zoe, "keep")
        assert kept[0].text == "Okay, ich habe nichts gelöscht."
        await memory.command(zoe, "forget")
        done = await memory.pick(zoe, "forget")
        assert done[0].text.startswith("Erledigt. Ich habe alles gelöscht")

        # The adapter was told to drop what it keeps outside the store (the console's files).
        assert [dm.user_id for dm in memory.forgotten] == [SECRET_ID]
        remaining = await everything_in_the_database(app)
        for needle in (SECRET_NAME, SECRET_ID, SECRET_ANSWER):
            assert needle not in remaining, needle
        # Only Zoë's rows went: the bystander's profile is all there.
        bystander = await app.store.members.find("memory", "memory", "bystander")
        assert bystander is not None
        assert len(await app.store.members.profile(bystander.id)) == 10
    finally:
        await app.stop()


ZOE_MATRIX = "@zoe_q:example.org"
BEN_MATRIX = "@ben:example.org"


async def test_forget_and_purge_reach_every_matrix_record_naming_the_member(
    any_db: Database, clock: FakeClock
) -> None:
    """The records the Matrix adapter keeps (written here through its own records class): the
    DM, its room, a question, and a pair room Zoë shares with Ben."""
    store = await any_db.open_store()
    try:
        records = MatrixRecords(store.adapter_state, "matrix", clock)

        async def zoe_with_records() -> MemberRecord:
            zoe = await store.members.ensure("matrix", "matrix", ZOE_MATRIX, now=clock.now())
            await records.remember_dm(ZOE_MATRIX, "!dm:example.org")
            await records.remember_question(
                QuestionRecord("$q", "!dm:example.org", "1.1", "one", ["1️⃣"]), ZOE_MATRIX
            )
            await records.remember_room(
                "!pair:example.org", {"kind": "pair", "members": [ZOE_MATRIX, BEN_MATRIX]}
            )
            return zoe

        async def matrix_records() -> str:
            return json.dumps(await store.dump_table("adapter_state"), default=str)

        await store.members.ensure("matrix", "matrix", BEN_MATRIX, now=clock.now())
        zoe = await zoe_with_records()
        exported = await store.privacy.export(zoe)
        assert sorted(row["key"] for row in exported["adapter_state"]) == [
            f"dm:{ZOE_MATRIX}",
            "question:$q",
            "room:!dm:example.org",
            "room:!pair:example.org",
        ]
        await store.privacy.forget(zoe)
        assert ZOE_MATRIX not in await matrix_records()
        pair = await store.adapter_state.get("matrix", "matrix", "room:!pair:example.org")
        assert pair == {"kind": "pair", "members": [BEN_MATRIX]}

        zoe = await zoe_with_records()
        await store.members.update(
            zoe.id, now=clock.now(), status=MemberStatus.LEFT, left_at=clock.now()
        )
        clock.advance(timedelta(days=31))
        assert await store.privacy.purge_if_departed(zoe, clock.now() - timedelta(days=30))
        assert ZOE_MATRIX not in await matrix_records()
        assert BEN_MATRIX in await matrix_records()
    finally:
        await store.close()


def raw_database_files(database: Database) -> bytes:
    """The bytes of the SQLite database and its write-ahead log and shared-memory files."""
    path = Path(database.url.removeprefix("sqlite+aiosqlite:///"))
    files = [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]
    return b"".join(file.read_bytes() for file in files if file.exists())


@pytest.fixture(params=["as built here", "built without secure_delete"])
def sqlite_build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """SQLite as this machine's Python has it (Debian compiles SECURE_DELETE in), or as builds
    without that default behave: deleted rows left in free space unless the bot asks."""
    if request.param == "built without secure_delete":
        real = store_db.create_async_engine

        def without_secure_delete(url: str, **options: Any) -> AsyncEngine:
            engine = real(url, **options)

            @sa.event.listens_for(engine.sync_engine, "connect", insert=True)
            def _compiled_default(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute("PRAGMA secure_delete=OFF")

            return engine

        monkeypatch.setattr(store_db, "create_async_engine", without_secure_delete)
    return request.param


async def test_no_copy_of_deleted_rows_stays_in_the_sqlite_files(
    sqlite_db: Database, clock: FakeClock, sqlite_build: str
) -> None:
    """After forget, and after a retention purge, the raw files (database, write-ahead log,
    shared memory) hold no copy of the member's answers or id."""
    markers = {"forgets": "Forgetful-marker-93xq", "leaves": "Departing-marker-51kd"}
    app = App(settings_for(sqlite_db.url), clock=clock, adapter_names=["memory"])
    await app.start()
    try:
        memory = app.adapters["memory"]
        assert isinstance(memory, MemoryAdapter)
        members = {who: memory.member(f"{who}-4711") for who in markers}
        for who, marker in markers.items():
            transcript = tuple(
                replace(turn, text=marker) if turn.asked == "join.ask_offer_text" else turn
                for turn in TRANSCRIPT
            )
            await memory.command(members[who], "join")
            await play_on_memory(memory, members[who], transcript, typed=False)
        await memory.command(memory.member("stays"), "join")
        await play_on_memory(memory, memory.member("stays"), TRANSCRIPT, typed=False)
    finally:
        await app.stop()
    # A restart between: what they answered is in the database file itself by now, not only
    # in the write-ahead log.
    app = App(settings_for(sqlite_db.url), clock=clock, adapter_names=["memory"])
    await app.start()
    try:
        memory = app.adapters["memory"]
        assert isinstance(memory, MemoryAdapter)
        before = raw_database_files(sqlite_db)
        for marker in markers.values():
            assert marker.encode() in before

        await memory.command(members["forgets"], "forget")
        await memory.pick(members["forgets"], "forget")
        after_forget = raw_database_files(sqlite_db)
        assert markers["forgets"].encode() not in after_forget
        assert b"forgets-4711" not in after_forget
        assert markers["leaves"].encode() in after_forget

        await memory.leave(members["leaves"])
        clock.advance(timedelta(days=31))
        await app.run_due()
        after_purge = raw_database_files(sqlite_db)
        assert markers["leaves"].encode() not in after_purge
        assert b"leaves-4711" not in after_purge
        assert await app.store.members.find("memory", "memory", "stays") is not None
    finally:
        await app.stop()


async def test_the_database_and_its_folder_are_private_to_the_bots_user(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Created 0600 (with the write-ahead log and shared-memory files) in a 0700 folder even
    under a permissive umask; a database file left readable by others is tightened."""
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "data" / "tandem.db"
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        try:
            await store.members.ensure("m", "memory", "someone", now=clock.now())
            for suffix in ("", "-wal", "-shm"):
                file = path.with_name(path.name + suffix)
                assert file.stat().st_mode & 0o777 == 0o600, file
            assert path.parent.stat().st_mode & 0o777 == 0o700
        finally:
            await store.close()

        path.chmod(0o644)
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        await store.close()
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old_umask)
