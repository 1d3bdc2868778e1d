"""Small things a person sees on a platform (issue 13): a question asked again in its short form
stays short on Matrix once answered; Discord's start-up says nothing about voice."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import discord
import pytest

from adapters.discord.client import TandemClient
from adapters.matrix.content import retired_question
from bot.i18n import Translator
from bot.intents import Option, RetireQuestion
from bot.messages import msg
from bot.places import MemberRef, Place

ALICE = MemberRef(platform="matrix", user_id="@alice:example.org")


def test_a_repeat_of_the_privacy_question_is_edited_into_the_answer_alone() -> None:
    answered = RetireQuestion(
        target=Place.dm(ALICE, channel_id="!dm:example.org"),
        locale="en",
        prompt_id="1.2",
        question=msg("join.privacy_notice", version="2026-11", days=30, contact=""),
        answered=True,
        picked=(Option(id="agree", label=msg("consent.agree")),),
    )
    first = retired_question(answered, Translator())
    repeat = retired_question(answered, Translator(), with_question=False)
    assert first["body"].startswith("Before I note anything down")
    assert first["body"].endswith("✓ Your answer: I agree")
    assert repeat["body"] == "✓ Your answer: I agree"


def test_discord_start_up_does_not_warn_about_voice(caplog: pytest.LogCaptureFixture) -> None:
    # As on a machine without PyNaCl and davey (the libraries voice needs).
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True
    adapter = SimpleNamespace(translator=Translator(), command_groups=list)
    with caplog.at_level(logging.WARNING):
        TandemClient(adapter, guild_ready_timeout=1.0)  # type: ignore[arg-type]
    assert "PyNaCl" not in caplog.text
    assert "voice" not in caplog.text
