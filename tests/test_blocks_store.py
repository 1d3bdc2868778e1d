"""Blocks and reports in the store, on SQLite and PostgreSQL: a block holds in both directions,
outlasts the blocked person's deletion, goes with the one who made it, and names nobody in
clear."""

from __future__ import annotations

import json
import re
import secrets

import pytest

from bot.clock import FakeClock
from store import Store
from store.blocks import Identity, NoIdentityKey, key_id
from store.members import MemberRecord
from tests.conftest import Database

KEY = secrets.token_bytes(32)
#: The identity hashes and the key's id as they are stored (HMAC-SHA256, hex).
HEX = re.compile(r"\b[0-9a-f]{16,64}\b")


async def open_with_key(database: Database, key: bytes = KEY) -> Store:
    return await Store.open(database.url, identity_key=lambda: key, **database.engine_options)


async def member(store: Store, user_id: str, clock: FakeClock) -> MemberRecord:
    return await store.members.ensure("c1", "discord", user_id, now=clock.now())


async def test_a_block_excludes_the_pair_both_ways_and_names_nobody_in_clear(
    any_db: Database, clock: FakeClock
) -> None:
    store = await open_with_key(any_db)
    try:
        ana, ben, cem = [await member(store, who, clock) for who in ("111", "222", "333")]
        assert await store.blocks.block(ana, "discord", "222", now=clock.now())
        assert not await store.blocks.block(ana, "discord", "222", now=clock.now())
        people = [Identity.of(m) for m in (ana, ben, cem)]
        assert await store.blocks.blocked_pairs("c1", people) == {(ana.id, ben.id)}
        assert await store.blocks.between(ben, ana)
        assert not await store.blocks.between(ana, cem)
        # Another community with the same ids knows nothing of it.
        other = await store.members.ensure("c2", "discord", "111", now=clock.now())
        assert await store.blocks.blocked_pairs("c2", [Identity.of(other)]) == set()
        table = json.dumps(await store.dump_table("blocks"), default=str)
        assert key_id(KEY) in table
        # The hashes are hex, and with a random key one may hold "222" by chance (about one
        # run in fifty failed so, on both databases at once): the clear id is looked for
        # outside them.
        assert "222" not in HEX.sub("", table.replace(str(ana.id), ""))
    finally:
        await store.close()


async def test_a_block_outlasts_the_blocked_person_forgetting_and_joining_again(
    any_db: Database, clock: FakeClock
) -> None:
    store = await open_with_key(any_db)
    try:
        ana = await member(store, "111", clock)
        ben = await member(store, "222", clock)
        await store.blocks.block(ana, "discord", "222", now=clock.now())
        await store.privacy.forget(ben)
        ben_again = await member(store, "222", clock)
        people = [Identity.of(ana), Identity.of(ben_again)]
        assert await store.blocks.blocked_pairs("c1", people) == {
            (min(ana.id, ben_again.id), max(ana.id, ben_again.id))
        }
        blocked = await store.blocks.people_blocked_by(ana)
        assert [who.id if who else None for _when, who in blocked] == [ben_again.id]
        # What Ben's own export holds says nothing of being blocked.
        exported = await store.privacy.export(ben_again)
        assert exported["blocks"] == []
        assert exported["reports"] == []
    finally:
        await store.close()


async def test_blocks_and_reports_go_with_the_member_who_made_them(
    any_db: Database, clock: FakeClock
) -> None:
    store = await open_with_key(any_db)
    try:
        ana = await member(store, "111", clock)
        ben = await member(store, "222", clock)
        await store.blocks.block(ana, "discord", "222", now=clock.now())
        report, _ = await store.reports.add(ana, "Ben was rude", about_id=ben.id, now=clock.now())
        exported = await store.privacy.export(ana)
        assert [row["id"] for row in exported["reports"]] == [report.id]
        assert exported["reports"][0]["text"] == "Ben was rude"
        assert len(exported["blocks"]) == 1
        assert set(exported["blocks"][0]) == {"id", "created_at"}
        await store.privacy.forget(ana)
        assert await store.dump_table("blocks") == []
        assert await store.dump_table("reports") == []
    finally:
        await store.close()


async def test_a_report_stays_the_reporters_when_the_one_it_is_about_is_deleted(
    any_db: Database, clock: FakeClock
) -> None:
    store = await open_with_key(any_db)
    try:
        ana = await member(store, "111", clock)
        ben = await member(store, "222", clock)
        report, _ = await store.reports.add(ana, "It felt unsafe", about_id=ben.id, now=clock.now())
        await store.privacy.forget(ben)
        kept = await store.reports.get("c1", report.id)
        assert kept is not None
        assert kept.about_id is None
        assert kept.text == "It felt unsafe"
        assert await store.reports.get("c2", report.id) is None
    finally:
        await store.close()


async def test_a_changed_key_is_noticed_and_no_key_is_refused(
    any_db: Database, clock: FakeClock
) -> None:
    store = await open_with_key(any_db)
    try:
        assert await store.blocks.made_with_this_key()  # no blocks yet: any key will do
        ana = await member(store, "111", clock)
        await store.blocks.block(ana, "discord", "222", now=clock.now())
        assert await store.blocks.made_with_this_key()
    finally:
        await store.close()
    other = await open_with_key(any_db, secrets.token_bytes(32))
    try:
        assert not await other.blocks.made_with_this_key()
    finally:
        await other.close()
    keyless = await any_db.open_store()
    try:
        with pytest.raises(NoIdentityKey):
            await keyless.blocks.block(ana, "discord", "333", now=clock.now())
    finally:
        await keyless.close()
