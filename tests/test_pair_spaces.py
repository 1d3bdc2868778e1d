"""A pair space opened with a marker is opened once, on the memory and console adapters:
asked again with the same marker, after a crash between the platform making it and the bot
recording it, or after the bot lost its records, the adapter returns the space it made."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from adapters.memory import MemoryAdapter
from adapters.memory.platform import MemoryPlatform
from bot.adapter import AdapterContext
from bot.clock import FakeClock
from bot.due import SimulatedCrash
from bot.i18n import Translator
from bot.intents import ClosePairSpace, OpenPairSpace
from bot.messages import msg
from bot.pair_spaces import MARKER_PREFIX, space_tag
from bot.places import MemberRef, Place
from bot.tasks import TaskSupervisor
from store import Store
from tests.conftest import AppFactory, Database, memory_of, settings_for

WELCOME = msg("help.lead")


def open_space(
    memory: MemoryAdapter, marker: str | None, *members: MemberRef, key: str | None = None
) -> OpenPairSpace:
    return OpenPairSpace(
        target=Place.room("memory", "general"),
        locale="en",
        community_id="memory",
        members=members,
        name=msg("tandem-ada-bob"),
        welcome=WELCOME,
        marker=marker,
        idempotency_key=key,
    )


def welcomes_in(memory: MemoryAdapter, space_id: str) -> list[str]:
    return [r.text for r in memory.sent if r.place.channel_id == space_id]


async def test_the_same_marker_twice_opens_one_space_with_one_welcome(
    make_app: AppFactory,
) -> None:
    memory = memory_of(await make_app())
    ada, bob = memory.member("ada"), memory.member("bob")

    first = await memory.send(open_space(memory, "tandem:1", ada, bob, key="due-1-0-open"))
    again = await memory.send(open_space(memory, "tandem:1", ada, bob, key="due-1-0-open"))
    other = await memory.send(open_space(memory, "tandem:2", ada, bob))

    assert first.place is not None
    assert again.place == first.place
    assert other.place is not None
    assert other.place != first.place
    assert list(memory.pair_spaces) == [first.place.channel_id, other.place.channel_id]
    assert memory.pair_spaces[first.place.channel_id or ""] == (ada, bob)
    assert welcomes_in(memory, first.place.channel_id or "") == [
        memory.translator.render(WELCOME, "en")
    ]


async def test_without_a_marker_every_open_makes_a_new_space(make_app: AppFactory) -> None:
    memory = memory_of(await make_app())
    ada, bob = memory.member("ada"), memory.member("bob")
    first = await memory.send(open_space(memory, None, ada, bob))
    second = await memory.send(open_space(memory, None, ada, bob))
    assert first.place != second.place
    assert len(memory.world.spaces) == 2


async def test_a_crash_after_the_platform_made_the_space_finds_it_instead_of_making_another(
    make_app: AppFactory,
) -> None:
    memory = memory_of(await make_app())
    ada, bob = memory.member("ada"), memory.member("bob")
    made = memory.world.open_space

    def make_then_die(members: list[str], name: str, tag: str | None):  # type: ignore[no-untyped-def]
        made(members, name, tag)
        raise SimulatedCrash("after the platform made the space")

    memory.world.open_space = make_then_die  # type: ignore[method-assign]
    with pytest.raises(SimulatedCrash):
        await memory.send(open_space(memory, "tandem:1", ada, bob))
    memory.world.open_space = made  # type: ignore[method-assign]
    assert len(memory.world.spaces) == 1
    assert welcomes_in(memory, "pair-1") == []

    delivery = await memory.send(open_space(memory, "tandem:1", ada, bob))

    assert delivery.place is not None
    assert delivery.place.channel_id == "pair-1"
    assert len(memory.world.spaces) == 1
    # The welcome had not been posted: it is now, once.
    assert len(welcomes_in(memory, "pair-1")) == 1


async def test_a_space_the_bot_has_no_record_of_is_found_by_its_tag_on_a_platform_kept_on_disk(
    tmp_path: Path, clock: FakeClock, make_app: AppFactory
) -> None:
    world_file = tmp_path / "platform.jsonl"
    memory = memory_of(await make_app())
    memory.world = MemoryPlatform.on_disk(world_file)
    ada, bob = memory.member("ada"), memory.member("bob")
    first = await memory.send(open_space(memory, "tandem:7", ada, bob))
    assert first.place is not None
    # The bot's records are lost (a database restored from an older backup, say).
    await memory.context.store.adapter_state.delete(
        "memory", "memory", MARKER_PREFIX + space_tag("memory", "tandem:7")
    )

    restarted = memory_of(await make_app())
    restarted.world = MemoryPlatform.on_disk(world_file)
    again = await restarted.send(open_space(restarted, "tandem:7", ada, bob))

    assert again.place == first.place
    platform = MemoryPlatform.on_disk(world_file)
    assert list(platform.spaces) == [first.place.channel_id]
    assert platform.spaces[first.place.channel_id or ""].members == ["ada", "bob"]


async def test_closing_takes_a_removed_member_out_and_keeps_the_other(
    make_app: AppFactory,
) -> None:
    memory = memory_of(await make_app())
    ada, bob = memory.member("ada"), memory.member("bob")
    opened = await memory.send(open_space(memory, "tandem:1", ada, bob))
    assert opened.place is not None

    await memory.send(
        ClosePairSpace(target=opened.place, locale="en", farewell=WELCOME, removed=(ada,))
    )

    space = memory.world.spaces[opened.place.channel_id or ""]
    assert space.closed
    assert (space.members, space.removed) == (["bob"], ["ada"])
    assert memory.spaces_of(bob) == []


async def test_the_console_opens_a_marked_space_once_across_restarts(
    sqlite_db: Database, tmp_path: Path
) -> None:
    settings = settings_for(sqlite_db.url, bot={"data_dir": str(tmp_path)})
    printed: list[str] = []
    for _ in range(2):  # the second is a restart on the same database
        store = await Store.open(sqlite_db.url)
        output = io.StringIO()
        console = ConsoleAdapter(
            AdapterContext(
                settings=settings,
                store=store,
                translator=Translator(),
                clock=FakeClock(),
                tasks=TaskSupervisor(),
                commands=list,
                request_stop=lambda: None,
                run_due=_nothing_due,
            ),
            output=output,
        )
        ada = MemberRef(platform="console", user_id="ada")
        bob = MemberRef(platform="console", user_id="bob")
        intent = OpenPairSpace(
            target=Place.room("console", "general"),
            locale="en",
            community_id=console.community_id,
            members=(ada, bob),
            name=msg("tandem-ada-bob"),
            welcome=WELCOME,
            marker="tandem:1",
        )
        first = await console.send(intent)
        again = await console.send(intent)
        assert first.place == again.place
        printed.append(output.getvalue())
        await store.close()

    opened = Translator().render(
        msg("console.space_opened", space=first.place.channel_id, members=("ada", "bob")), "en"
    )
    assert "".join(printed).count(opened) == 1
    assert "".join(printed).count(Translator().render(WELCOME, "en")) == 1


async def _nothing_due() -> int:
    return 0


async def test_a_platform_kept_on_disk_drops_a_message_repeated_under_its_key(
    tmp_path: Path,
) -> None:
    """As Discord drops a repeated enforced nonce and Synapse a repeated transaction id: the
    bot died after posting and before noting it, and posts again."""
    world_file = tmp_path / "platform.jsonl"
    space = Place(platform="memory", kind="pair_space", channel_id="pair-1")
    assert MemoryPlatform.on_disk(world_file).post(space, "Welcome!", "due-1-0-intro-en")
    again = MemoryPlatform.on_disk(world_file)  # another process, the same platform
    assert not again.post(space, "Welcome!", "due-1-0-intro-en")
    assert again.post(space, "Welcome!", None)
    assert again.post(
        Place(platform="memory", kind="pair_space", channel_id="pair-2"), "Hi", "due-1-0-intro-en"
    )
    assert [p.text for p in MemoryPlatform.on_disk(world_file).posts_in("pair-1")] == [
        "Welcome!",
        "Welcome!",
    ]
