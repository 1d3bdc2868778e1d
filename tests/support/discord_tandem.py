"""Tandem running on the loopback Discord: start the app, act as members, read what they see.

:func:`running_tandem` starts a real :class:`~bot.app.App` with only the Discord adapter, pointed
at a started and patched :class:`~tests.support.discord_loopback.LoopbackDiscord` (the
``loopback_discord`` fixture), and stops it afterwards; a restart is a second
``running_tandem`` on the same database file. Errors the bot only logs (a failed command, a
failed render) are collected and fail the test at the end, as discord.py would otherwise hide
them.

:func:`answer_join` answers whatever the member's current question is the way a person on
Discord would (a button, the select menu, or the form) using one :class:`AnswerPolicy`, which the
memory-adapter transcript uses too.
"""

# The helpers take ``timeout=`` like the loopback driver does.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from adapters.discord import DiscordAdapter
from bot.app import App
from bot.clock import Clock, SystemClock
from bot.config import load_settings
from bot.intents import Delivery, OpenPairSpace
from bot.messages import Msg, msg
from bot.places import MemberRef, Place
from store.conversations import ConversationRecord
from store.members import MemberRecord
from tests.support.discord_loopback import Guild, LoopbackDiscord, Message, User

T = TypeVar("T")
MODAL = 9

#: Answers by step id where the first option would not finish the journey as intended.
PREFERRED = {"language": "en", "consent": "agree", "confirm": "save", "format": "video"}
TEXTS = {"goals": "Give better talks", "timezone": "Europe/Berlin"}
DEFAULT_TEXT = "Ada Lovelace"


#: Loggers whose errors fail a test: the bot's own packages and discord.py.
WATCHED_LOGGERS = ("adapters", "bot", "flows", "store", "discord")


class ErrorLog(logging.Handler):
    """Collects ERROR records from the bot and discord.py."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in WATCHED_LOGGERS:
            self.records.append(record)

    def describe(self) -> str:
        return "\n".join(f"{r.name}: {r.getMessage()} {r.exc_info or ''}" for r in self.records)


@dataclass
class Tandem:
    server: LoopbackDiscord
    guild: Guild
    app: App
    errors: ErrorLog

    @property
    def adapter(self) -> DiscordAdapter:
        adapter = self.app.adapters["discord"]
        assert isinstance(adapter, DiscordAdapter)
        return adapter

    async def member(self, user: User) -> MemberRecord | None:
        return await self.app.store.members.find("discord", "discord", str(user.id))

    async def conversation(self, user: User) -> ConversationRecord | None:
        record = await self.member(user)
        return None if record is None else await self.app.store.conversations.active_for(record.id)

    def text(self, message: Msg, locale: str = "en") -> str:
        """What a member with ``locale`` reads for ``message``."""
        return self.app.translator.render(message, locale)

    def dm_messages(self, user: User) -> list[Message]:
        channel_id = self.server.world.dm_channels.get(user.id)
        if channel_id is None:
            return []
        return [m for m in self.server.messages_in(channel_id) if m.author_id == self.server.bot.id]


def ref(user: User) -> MemberRef:
    """How the kernel names a loopback user."""
    return MemberRef(platform="discord", user_id=str(user.id), display_name=user.name)


async def open_pair_space(
    tandem: Tandem, room_id: int, *members: User, locale: str = "en"
) -> Delivery | None:
    """Ask the bot for a pair space named "tandem-ada-bob" for ``members``, from ``room_id``."""
    # A message id that is not in the catalogs renders as itself: a plain name for a test space.
    return await tandem.app.deliver(
        OpenPairSpace(
            target=Place.room("discord", str(room_id)),
            locale=locale,
            community_id="discord",
            members=tuple(ref(member) for member in members),
            name=msg("tandem-ada-bob"),
        )
    )


@asynccontextmanager
async def running_tandem(
    server: LoopbackDiscord,
    guild: Guild,
    database: Path | str,
    *,
    clock: Clock | None = None,
    expect_errors: bool = False,
    bot_settings: dict[str, Any] | None = None,
    program: dict[str, Any] | None = None,
    health: dict[str, Any] | None = None,
    **discord_settings: Any,
) -> AsyncIterator[Tandem]:
    """Run the bot on ``database``: a SQLite file, or a database URL (e.g. PostgreSQL)."""
    url = database if isinstance(database, str) else f"sqlite+aiosqlite:///{database}"
    settings = load_settings(
        None,
        bot=bot_settings or {},
        database={"url": url},
        program=program or {},
        health=health or {},
        discord={
            "enabled": True,
            "token": server.token,
            "guild_ids": [guild.id],
            "guild_ready_timeout": 0.05,
            **discord_settings,
        },
    )
    # The scheduler is not under test here; the bot's Discord side is.
    app = App(
        settings, clock=clock or SystemClock(), adapter_names=["discord"], run_scheduler=False
    )
    errors = ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    try:
        await app.start()
        try:
            yield Tandem(server, guild, app, errors)
        finally:
            await app.stop()
    finally:
        root.removeHandler(errors)
    if not expect_errors:
        assert not errors.records, f"the bot logged errors:\n{errors.describe()}"


async def eventually(
    check: Callable[[], Any], *, timeout: float = 5.0, description: str = ""
) -> Any:
    """Await ``check()`` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {description or check}")
        await asyncio.sleep(0.01)


@dataclass(frozen=True)
class AnswerPolicy:
    """What a member answers to each question, by step id (the same on every adapter)."""

    #: By step id: one option id, or several for a several-of question.
    preferred: dict[str, str | tuple[str, ...]] = field(default_factory=lambda: dict(PREFERRED))
    texts: dict[str, str] = field(default_factory=lambda: dict(TEXTS))

    def choices(self, step_id: str, option_ids: Sequence[str], least: int) -> list[str]:
        wanted = self.preferred.get(step_id)
        if wanted == () and least == 0:
            return []  # none of them, where none may be picked
        picks = [wanted] if isinstance(wanted, str) else list(wanted or ())
        found = [pick for pick in picks if pick in option_ids]
        return found or list(option_ids[: max(1, least)])

    def text(self, step_id: str) -> str:
        return self.texts.get(step_id, DEFAULT_TEXT)


@dataclass
class Answered:
    """What one answer looked like: the question message, how it was answered, the step."""

    step_id: str
    question: Message
    how: str  # "button", "select", "form after click", "form"
    interaction_id: int


def _prompt_of(conversation: ConversationRecord) -> str:
    return f"{conversation.id}.{conversation.step_seq}"


def question_message(tandem: Tandem, user: User, prompt: str) -> Message | None:
    for message in reversed(tandem.dm_messages(user)):
        if any(cid.split(":")[2] == prompt for cid in message.custom_ids() if cid.count(":") >= 2):
            return message
    return None


async def answer_join(
    tandem: Tandem,
    user: User,
    policy: AnswerPolicy,
    *,
    opened_form: int | None = None,
) -> Answered:
    """Answer the member's current question on Discord; returns once the step moved on.

    ``opened_form`` is the interaction whose response was this question's form (a click that
    led to a free-text question opens its form straight away).
    """
    server = tandem.server
    conversation = await eventually(lambda: tandem.conversation(user), description="a question")
    prompt = _prompt_of(conversation)
    step_id = conversation.step_id
    question = await eventually(
        lambda: question_message(tandem, user, prompt), description=f"question {prompt}"
    )
    ids = question.custom_ids()
    buttons = [c for c in ids if c.startswith(f"tandem:c:{prompt}:")]
    selects = [c for c in ids if c == f"tandem:s:{prompt}"]
    if buttons:
        options = [c.rsplit(":", 1)[1] for c in buttons]
        (choice,) = policy.choices(step_id, options, 1)
        interaction_id = await server.click_button(user, question, f"tandem:c:{prompt}:{choice}")
        how = "button"
    elif selects:
        component = question.component(selects[0])
        assert component is not None
        options = [o["value"] for o in component["options"]]
        values = policy.choices(step_id, options, component.get("min_values", 1))
        interaction_id = await server.choose(user, question, selects[0], values)
        how = "select"
    else:
        assert f"tandem:t:{prompt}" in ids, f"question {prompt} has no way to answer: {ids}"
        if opened_form is None:
            opened_form = await server.click_button(user, question, f"tandem:t:{prompt}")
            response = await server.wait_for_interaction_response(opened_form)
            assert response.type == MODAL
            how = "form"
        else:
            how = "form after click"
        interaction_id = await server.submit_modal(
            user, opened_form, {"answer": policy.text(step_id)}
        )
    await server.wait_for_interaction_response(interaction_id)

    async def moved_on() -> bool:
        now = await tandem.conversation(user)
        return now is None or _prompt_of(now) != prompt

    await eventually(moved_on, description=f"the answer to {step_id} to be taken")
    return Answered(step_id, question, how, interaction_id)


async def answer_until_done(
    tandem: Tandem, user: User, policy: AnswerPolicy, *, limit: int = 40
) -> list[Answered]:
    """Answer question after question (from the first) until the conversation has ended."""
    await eventually(lambda: tandem.conversation(user), description="the conversation to start")
    answered: list[Answered] = []
    opened_form: int | None = None
    for _ in range(limit):
        if await tandem.conversation(user) is None:
            return answered
        step = await answer_join(tandem, user, policy, opened_form=opened_form)
        answered.append(step)
        callback = tandem.server.interaction(step.interaction_id).callback
        opened_form = step.interaction_id if callback and callback.type == MODAL else None
    raise AssertionError(f"the conversation did not end after {limit} answers")
