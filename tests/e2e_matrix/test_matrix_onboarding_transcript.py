"""The shared onboarding transcript (:mod:`tests.support.onboarding`) through the real Synapse.

The member types each answer as on any text-only platform (``turn.as_typed``) in an encrypted
DM with the bot, except the consent and the final "save", which she answers with one click on
the ✅ the bot put under the question (an encrypted reaction, as Element sends it). The bot is
stopped after :data:`RESTART_AFTER` turns and a new one continues on the same database and data
directory. Each turn waits until the member has seen (decrypted) the question it answers; a
refused answer must show its error and then the question again. The same transcript runs on the
memory adapter (``tests/test_onboarding.py``), the console (``tests/test_console.py``) and the
loopback Discord.
"""

from __future__ import annotations

import re
import string
import time
from dataclasses import dataclass, field

import pytest

from bot.i18n import Translator, in_every_language
from bot.intents import Option
from bot.messages import msg
from flows.join import CONFIRM
from flows.questionnaire import CONSENT
from tests.support.onboarding import (
    DONE,
    EXPECTED_MEMBER,
    EXPECTED_PROFILE,
    RESTART_AFTER,
    TRANSCRIPT,
    Turn,
)
from tests.support.synapse.bot import Conversation, TandemBot, open_dm, send_reaction
from tests.support.synapse.fixtures import MatrixUserFactory, MessageEvent

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]

#: Choice turns answered with a click on the bot's own reaction instead of typing.
CLICKED: dict[tuple[str, ...], tuple[Option, ...]] = {("agree",): CONSENT, ("save",): CONFIRM}


def shown(message_id: str, locale: str) -> re.Pattern[str]:
    """A message as the member sees it: the catalog text, any placeholder filled with anything."""
    template = Translator().render(msg(message_id), locale)
    pattern = ""
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        pattern += re.escape(literal) + (".*?" if name is not None else "")
    return re.compile(pattern, re.DOTALL)


def emoji_for(turn: Turn) -> str | None:
    """The emoji a member clicks for this turn, or None when she types the answer."""
    options = CLICKED.get(turn.ids)
    if options is None:
        return None
    (option,) = [option for option in options if option.id == turn.ids[0]]
    assert option.emoji is not None
    return option.emoji


@dataclass
class Screen:
    """What the member reads in the DM, front to back: each ``expect`` waits (syncing) for the
    next bot message of a kind and remembers every bot message it passed over."""

    chat: Conversation
    cursor: int = 0
    passed: list[MessageEvent] = field(default_factory=list)

    async def expect(
        self, pattern: re.Pattern[str], what: str, *, whole: bool = False
    ) -> MessageEvent:
        def find() -> int | None:
            messages = self.chat.bot_messages()
            for index in range(self.cursor, len(messages)):
                body = messages[index].body
                if (pattern.fullmatch(body) if whole else pattern.match(body)) is not None:
                    return index
            return None

        try:
            await self.chat.member.sync_until(lambda: find() is not None, what=what)
        except AssertionError as error:
            since = [m.body[:80] for m in self.chat.bot_messages()[self.cursor :]]
            raise AssertionError(
                f"{error}; bot messages since the last one expected: {since}"
            ) from None
        index = find()
        assert index is not None
        messages = self.chat.bot_messages()
        self.passed += messages[self.cursor : index]
        self.cursor = index + 1
        return messages[index]

    async def question(self, message_id: str, locale: str) -> MessageEvent:
        return await self.expect(shown(message_id, locale), f"the question {message_id}")


async def answer(chat: Conversation, turn: Turn, question: MessageEvent) -> None:
    emoji = emoji_for(turn)
    if emoji is None:
        await chat.say(turn.as_typed)
        return
    # One click on the ✅ the bot put under its question.
    await chat.member.sync_until(
        lambda: emoji in chat.bot_reactions(question.event_id),
        what=f"the bot's {emoji} under {turn.asked}",
    )
    await send_reaction(chat.member, chat.room_id, question.event_id, emoji)


async def play(
    screen: Screen,
    turns: tuple[Turn, ...],
    pending: MessageEvent | None = None,
    first_locale: str = "de",
) -> MessageEvent | None:
    """Answer ``turns``; ``pending`` is a question already seen and not yet answered. Returns
    the next question if the member has already seen it (after a refusal), else None."""
    for number, turn in enumerate(turns):
        locale = first_locale if number == 0 else "de"
        if pending is None:
            pending = await screen.question(turn.asked, locale)
        else:
            assert shown(turn.asked, locale).match(pending.body), pending.body
        await answer(screen.chat, turn, pending)
        pending = None
        if turn.refused:
            await screen.expect(shown(turn.refused, "de"), f"the error {turn.refused}", whole=True)
            pending = await screen.question(turn.asked, "de")  # and the question again
    return pending


async def test_the_onboarding_transcript_over_matrix_with_a_restart_in_the_middle(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    clicked = [turn.asked for turn in TRANSCRIPT if emoji_for(turn) is not None]
    assert clicked == ["join.privacy_notice", "join.ask_confirm"]
    started = time.monotonic()
    alice = await matrix_user_factory("alice", displayname="Alice")
    await tandem_bot.start()
    chat = await open_dm(alice, tandem_bot)
    assert alice.client.rooms[chat.room_id].encrypted
    screen = Screen(chat)

    await chat.say(f"{tandem_bot.prefix} join")
    await play(screen, TRANSCRIPT[:RESTART_AFTER], first_locale="en")
    # The member has the next question in front of her when the bot goes down.
    waiting = await screen.question(TRANSCRIPT[RESTART_AFTER].asked, "de")
    restarting = time.monotonic()
    app = await tandem_bot.restart()
    print(f"bot restart: {time.monotonic() - restarting:.2f} s")
    await play(screen, TRANSCRIPT[RESTART_AFTER:], pending=waiting)
    await screen.expect(shown(DONE, "de"), "the end of the join conversation", whole=True)
    print(f"whole transcript over Matrix incl. the restart: {time.monotonic() - started:.2f} s")

    # Besides questions and errors, the member saw only the greeting (in both languages: Matrix
    # does not say hers), the welcome and her time zone told back, and every bot message was
    # an encrypted notice she could read.
    greeting, welcome, zone = (m.body for m in screen.passed)
    assert greeting == Translator().render(in_every_language(msg("join.hello")), "en")
    assert welcome == Translator().render(msg("join.welcome"), "de")
    assert zone.startswith("Wien – Mitteleuropäische Zeit, jetzt ")
    assert screen.cursor == len(chat.bot_messages())
    seen = chat.bot_messages()
    assert all(m.decrypted and m.source["content"]["msgtype"] == "m.notice" for m in seen)
    assert alice.undecrypted(chat.room_id) == []

    member = await app.store.members.find("test-community", "matrix", alice.user_id)
    assert member is not None
    fields = {"locale": member.locale, "timezone": member.timezone, "status": member.status}
    assert fields == EXPECTED_MEMBER
    assert await app.store.members.profile(member.id) == EXPECTED_PROFILE
    consents = await app.store.members.consents(member.id)
    assert [version for version, _ in consents] == ["2026-12"]
    assert await app.store.conversations.active_for(member.id) is None
