"""Issue 5's onboarding transcript, played by a member on the loopback Discord.

The transcript in :mod:`tests.support.onboarding` (a correction at the summary, an unknown time
zone, an over-long goal and a restart of the bot in the middle) is the one the memory adapter,
the console and Matrix play. Here Ada plays it as a person on Discord: she runs ``/tandem join``
in the guild and answers in her DMs by clicking buttons, choosing in select menus and filling
in forms. Before each answer the test reads the question she sees in the DM and compares it with
the catalog text of the message id the transcript names; a refused answer must show her the
error and then the same question again. After the restart she carries on with the question
message the stopped bot had sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pytest

from bot.engine import prompt_id
from bot.i18n import read_catalog
from tests.support.discord_loopback import LoopbackDiscord, Message, User
from tests.support.discord_tandem import (
    MODAL,
    Tandem,
    eventually,
    question_message,
    running_tandem,
)
from tests.support.onboarding import (
    DONE,
    EXPECTED_MEMBER,
    EXPECTED_PROFILE,
    RESTART_AFTER,
    TRANSCRIPT,
    Turn,
)

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(90)]

#: The loopback's members use Discord in en-US, so the bot starts in English.
PLATFORM_LOCALE = "en"
CONSENT_VERSION = "2026-12"


@cache
def catalog(locale: str) -> dict[str, str]:
    return {m.id: m.string for m in read_catalog(locale) if isinstance(m.id, str)}


def catalog_text(message_id: str, locale: str) -> str:
    """A regular expression for ``message_id``'s text: any text stands in for a placeholder."""
    parts = re.split(r"\{\w+\}", catalog(locale)[message_id])
    return ".*?".join(re.escape(part) for part in parts)


def reads(content: str, message_id: str, locale: str) -> bool:
    """Whether ``content`` is ``message_id`` in ``locale`` (under a free-text question, the
    hints on how to answer may follow)."""
    hints = (
        f"(?:\n\n{catalog_text('discord.hint_text', locale)}"
        f"(?:\n{catalog_text('ask.hint_optional', locale)})?)?"
    )
    return re.fullmatch(catalog_text(message_id, locale) + hints, content, re.DOTALL) is not None


@dataclass
class DiscordMember:
    """A member answering on Discord; ``tandem`` is replaced when the bot restarts."""

    tandem: Tandem
    user: User
    locale: str = PLATFORM_LOCALE
    #: The interaction the bot answered with the open question's form (a click opens it at once).
    form: int | None = None

    async def open_question(self) -> tuple[str, Message]:
        """The prompt of the open question and the newest DM message that asks it."""
        conversation = await eventually(
            lambda: self.tandem.conversation(self.user), description="an open question"
        )
        prompt = prompt_id(conversation)
        message = await eventually(
            lambda: question_message(self.tandem, self.user, prompt),
            description=f"the message of question {prompt}",
        )
        return prompt, message

    async def play(self, turn: Turn) -> None:
        prompt, question = await self.open_question()
        assert reads(question.content, turn.asked, self.locale), (
            f"expected {turn.asked} ({self.locale}), the member sees {question.content!r}"
        )
        interaction = await self.answer(prompt, question, turn)
        response = await self.tandem.server.wait_for_interaction_response(interaction)
        self.form = interaction if response.type == MODAL else None
        if turn.refused:
            again = await eventually(
                lambda: self.asked_again(prompt, question), description=f"{turn.asked} again"
            )
            between = [m.content for m in self.dm() if question.id < m.id < again.id]
            seen = f"expected {turn.refused} ({self.locale}), the member sees {between}"
            assert len(between) == 1, seen
            assert reads(between[0], turn.refused, self.locale), seen
        else:
            await eventually(lambda: self.moved_on(prompt), description=f"{turn.asked} answered")
        if turn.asked == "join.ask_language":
            self.locale = turn.ids[0]

    async def answer(self, prompt: str, question: Message, turn: Turn) -> int:
        """Answer as a person on Discord: a click, a choice in the menu, or the question's form."""
        server = self.tandem.server
        if turn.ids:
            button = f"tandem:c:{prompt}:{turn.ids[0]}"
            if len(turn.ids) == 1 and question.component(button) is not None:
                return await server.click_button(self.user, question, button)
            return await server.choose(self.user, question, f"tandem:s:{prompt}", list(turn.ids))
        assert turn.text is not None
        if self.form is None:  # no form open: the question's "Answer" button opens it
            self.form = await server.click_button(self.user, question, f"tandem:t:{prompt}")
            assert (await server.wait_for_interaction_response(self.form)).type == MODAL
        modal = server.interaction(self.form).modal
        assert modal is not None
        assert modal["custom_id"] == f"tandem:m:{prompt}"
        return await server.submit_modal(self.user, self.form, {"answer": turn.text})

    def dm(self) -> list[Message]:
        return self.tandem.dm_messages(self.user)

    def asked_again(self, prompt: str, before: Message) -> Message | None:
        again = question_message(self.tandem, self.user, prompt)
        return again if again is not None and again.id > before.id else None

    async def moved_on(self, prompt: str) -> bool:
        conversation = await self.tandem.conversation(self.user)
        return conversation is None or prompt_id(conversation) != prompt


async def test_the_onboarding_transcript_with_a_restart_in_the_middle_on_discord(
    loopback_discord: LoopbackDiscord, tmp_path
) -> None:
    server = loopback_discord
    guild = server.add_guild()
    database = tmp_path / "tandem.db"
    async with running_tandem(server, guild, database) as tandem:
        ada = DiscordMember(tandem, server.add_member(guild, "ada"))
        command = await server.invoke_command(ada.user, guild, "tandem", subcommand="join")
        response = await server.wait_for_interaction_response(command)
        assert reads(response.data["content"], "conversation.moved_to_dm", PLATFORM_LOCALE)
        await ada.open_question()
        assert reads(ada.dm()[0].content, "join.hello", PLATFORM_LOCALE)

        for turn in TRANSCRIPT[:RESTART_AFTER]:
            await ada.play(turn)
        _, waiting = await ada.open_question()

    async with running_tandem(server, guild, database) as tandem:
        ada.tandem = tandem
        # Nothing is sent again: the member answers on the message the stopped bot sent.
        _, question = await ada.open_question()
        assert question.id == waiting.id
        for turn in TRANSCRIPT[RESTART_AFTER:]:
            await ada.play(turn)

        await eventually(
            lambda: ada.dm() and reads(ada.dm()[-1].content, DONE, ada.locale),
            description=f"{DONE} in the DM",
        )
        assert await tandem.conversation(ada.user) is None
        member = await tandem.member(ada.user)
        assert member is not None
        store = tandem.app.store.members
        fields = {"locale": member.locale, "timezone": member.timezone, "status": member.status}
        assert fields == EXPECTED_MEMBER
        assert await store.profile(member.id) == EXPECTED_PROFILE
        assert [version for version, _ in await store.consents(member.id)] == [CONSENT_VERSION]
