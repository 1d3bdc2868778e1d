"""Bad input and abuse, on the memory adapter and both databases: a member who floods the bot,
pastes a novel, hides control characters in their name, or starts and cancels a flow forever.

The same limits are proven end to end on Discord (tests/e2e_discord/test_discord_abuse.py), on
Matrix (tests/e2e_matrix/test_matrix_abuse.py) and through the console's pipes
(tests/test_console.py).
"""

from __future__ import annotations

from datetime import timedelta

from adapters.memory import MemoryAdapter
from bot.app import App
from bot.clock import FakeClock
from bot.places import Place
from bot.ratelimit import RateLimiter
from bot.text import clean, excerpt
from flows.places import load_places
from flows.timezones import load_zone_names
from store.conversation_starts import KEPT_ENDED
from tests.conftest import AppFactory, Database, settings_for
from tests.support.onboarding import TRANSCRIPT, play_on_memory

SLOW_DOWN = "Du bist gerade etwas schnell für mich"


def memory_of(app: App) -> MemoryAdapter:
    memory = app.adapters["memory"]
    assert isinstance(memory, MemoryAdapter)
    return memory


class Ticks:
    """A monotonic clock the test moves, for the rate limiter."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited(app: App) -> Ticks:
    ticks = Ticks()
    app.router.rate_limiter = RateLimiter(app.settings.bot.rate_limit, now=ticks)
    return ticks


async def test_a_member_over_the_rate_limit_is_told_once_per_burst_and_can_go_on(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory", bot={"rate_limit": {"burst": 3, "per_second": 1.0}})
    ticks = limited(app)
    memory = memory_of(app)
    ida, bo = memory.member("ida"), memory.member("bo")
    answered = [await memory.say(ida, "hallo", locale="de") for _ in range(7)]
    # Three answered (help: nothing is running), the fourth told to slow down, the rest dropped.
    assert [len(seen) for seen in answered] == [1, 1, 1, 1, 0, 0, 0]
    assert all("/tandem join" in seen[0].text for seen in answered[:3])
    notice = answered[3][0].text
    assert notice.startswith(SLOW_DOWN)
    assert "schick es dann noch einmal" in notice  # it says what to do
    # Someone else is not slowed down by ida.
    assert len(await memory.say(bo, "hallo")) == 1
    # A second later one event is allowed again; a new burst gets a new (single) notice.
    ticks.now += 1.0
    assert "/tandem join" in (await memory.command(ida, "help", locale="de"))[0].text
    again = [await memory.say(ida, "hallo", locale="de") for _ in range(3)]
    assert [len(seen) for seen in again] == [1, 0, 0]
    assert again[0][0].text.startswith(SLOW_DOWN)


async def test_the_default_limit_lets_a_fast_member_through_the_whole_questionnaire(
    make_app: AppFactory,
) -> None:
    """The production default (on) with every answer given at once: no time passes at all."""
    app = await make_app("memory", bot={"rate_limit": {"enabled": True}})
    limited(app)
    memory = memory_of(app)
    uma = memory.member("uma")
    await memory.command(uma, "join")
    await play_on_memory(memory, uma, TRANSCRIPT, typed=False)
    record = await app.store.members.find("memory", "memory", "uma")
    assert record is not None
    assert record.status == "waiting"
    assert not any(text.startswith(SLOW_DOWN) for text in memory.texts(uma))


async def test_a_30000_character_command_gets_one_short_reply(make_app: AppFactory) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    room = Place.room("memory", "general")
    novel = "spam" * 7500
    seen = await memory.command(memory.member("eve"), novel, place=room, locale="en")
    assert len(seen) == 1
    text = seen[0].text
    assert text.startswith(f'I don\'t know the command "{"spam" * 9}spa…"')
    # The help that follows lists every member command; the 30,000 characters are not in it.
    assert len(text) < 1500
    # A long text in the DM, where nothing is running, is not quoted at all.
    seen = await memory.say(memory.member("eve"), novel, locale="en")
    assert len(seen) == 1
    assert "spamspam" not in seen[0].text


async def test_control_and_invisible_characters_are_removed_before_anything_sees_them(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    hidden = memory.member("hid").model_copy(update={"display_name": "Hi\u200bd\x07e\u202e"})
    await memory.command(hidden, "join")
    await play_on_memory(memory, hidden, TRANSCRIPT[:10], typed=False)
    # The timezone question, answered with a zero-width space and a bell inside the city.
    assert memory.last_ask(hidden).question.id == "join.ask_timezone"
    await memory.submit(hidden, "Be\u200brl\x07in")
    record = await app.store.members.find("memory", "memory", "hid")
    assert record is not None
    assert record.display_name == "Hide"
    conversation = await app.store.conversations.active_for(record.id)
    assert conversation is not None
    assert conversation.answers["timezone"] == "Europe/Berlin"


def test_cleaning_keeps_line_breaks_only_in_multi_line_text_and_keeps_emoji() -> None:
    assert clean("a\r\nb\u2028c\td\x00", multiline=True) == "a\nb\nc d"
    assert clean("a\r\nb", multiline=False) == "a b"
    assert clean("\ufeffdev 👩\u200d💻\u2066x\u2069") == "dev 👩\u200d💻x"
    assert excerpt("line one\nline two " + "x" * 100) == "line one line two " + "x" * 21 + "…"


async def test_a_long_or_nul_containing_display_name_is_accepted_on_every_database(
    any_app_db: Database, clock: FakeClock
) -> None:
    """A 201-character name or one with a NUL used to make PostgreSQL refuse the member."""
    app = App(settings_for(any_app_db.url), clock=clock, adapter_names=["memory"])
    await app.start()
    try:
        memory = memory_of(app)
        names = {"long": "L" * 201, "nul": "Nu\x00ll", "huge": "Ü" * 5000 + "\x00"}
        for user, name in names.items():
            member = memory.member(user).model_copy(update={"display_name": name})
            seen = await memory.command(member, "join", locale="en")
            assert memory.last_ask(member).question.id == "join.ask_language", seen[0].text
        stored = {}
        for user in names:
            record = await app.store.members.find("memory", "memory", user)
            assert record is not None
            stored[user] = record.display_name
        assert stored == {"long": "L" * 200, "nul": "Null", "huge": "Ü" * 200}
    finally:
        await app.stop()


async def test_starting_and_cancelling_a_thousand_times_leaves_few_rows(
    make_app: AppFactory,
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    flip = memory.member("flip")
    for _ in range(1000):
        await memory.command(flip, "join")
        await memory.command(flip, "cancel")
    rows = await app.store.dump_table("conversations")
    assert len(rows) <= KEPT_ENDED + 1
    assert all(row["status"] != "active" for row in rows)


async def test_maintenance_prunes_ended_conversations_and_old_question_records(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app("memory")
    memory = memory_of(app)
    old, fresh = memory.member("old"), memory.member("fresh")
    await memory.command(old, "join")
    await memory.command(old, "cancel")
    state = app.store.adapter_state
    await state.put("memory", "memory", "question:$old", {"p": 1}, now=clock.now())
    # A record that is neither a question nor about a purged member ("old" never finished
    # joining, so the same run purges them and everything naming them) stays.
    await state.put("memory", "memory", "sync", {"next_batch": "s1"}, now=clock.now())
    clock.advance(timedelta(days=31))
    await memory.command(fresh, "join")
    await state.put("memory", "memory", "question:$new", {"p": 2}, now=clock.now())

    await app.run_due()

    conversations = await app.store.dump_table("conversations")
    assert [(row["status"], row["flow_id"]) for row in conversations] == [("active", "join")]
    keys = sorted(row["key"] for row in await app.store.dump_table("adapter_state"))
    # (The memory adapter also noted the run's own notice about the purged member, by the
    # scheduled item's number: ``sent:due-…``, which names no one and goes after a week.)
    assert [key for key in keys if not key.startswith("sent:")] == ["question:$new", "sync"]


async def test_the_place_and_time_zone_tables_are_built_at_start_up_and_answering_builds_nothing(
    make_app: AppFactory,
) -> None:
    tables = (load_places, load_zone_names)
    for table in tables:
        table.cache_clear()
    app = await make_app("memory")
    # Built by the start-up warm-ups (in a thread), before any member said anything.
    assert [table.cache_info().currsize for table in tables] == [1, 1]
    builds = [table.cache_info().misses for table in tables]
    memory = memory_of(app)
    tim = memory.member("tim")
    await memory.command(tim, "join")
    await play_on_memory(memory, tim, TRANSCRIPT[:10], typed=False)
    assert memory.last_ask(tim).question.id == "join.ask_timezone"
    await memory.submit(tim, "München")
    assert memory.last_ask(tim).question.id != "join.ask_timezone"
    assert [table.cache_info().misses for table in tables] == builds
