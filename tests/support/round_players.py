"""Members of the match-round transcripts answering ``join`` with a chosen profile
(:class:`tests.support.rounds.Profile`) on Discord and on Matrix, as the memory adapter's
transcript does with :func:`tests.support.rounds.transcript_for`.

Of the shared onboarding transcript each member gives the last answer it has for each question
(its detours — a refused time zone, a change at the summary — are the onboarding tests' business).
"""

from __future__ import annotations

from bot.intents import Ask
from tests.support.discord_tandem import PREFERRED, TEXTS, AnswerPolicy
from tests.support.onboarding import Turn
from tests.support.rounds import Profile, transcript_for

#: The join flow's step id of each question of the transcript.
STEPS = {
    "join.ask_language": "language",
    "join.privacy_notice": "consent",
    "join.ask_offers": "offers",
    "join.ask_offer_text": "offer_text",
    "join.ask_needs": "needs",
    "join.ask_need_text": "need_text",
    "join.ask_goals": "goals",
    "join.ask_expectations": "expectations",
    "join.ask_languages": "languages",
    "join.ask_timezone": "timezone",
    "join.ask_availability": "availability",
    "join.ask_format": "format",
    "join.ask_city": "city",
    "join.ask_confirm": "confirm",
}


def answers_of(profile: Profile) -> dict[str, Turn]:
    """The member's answer to each question of ``join``, by the question's message id."""
    return {turn.asked: turn for turn in transcript_for(profile) if turn.refused is None}


def discord_policy(profile: Profile) -> AnswerPolicy:
    """How a member with ``profile`` answers on Discord: buttons, menus and forms."""
    preferred: dict[str, str | tuple[str, ...]] = dict(PREFERRED)
    texts = dict(TEXTS)
    for asked, turn in answers_of(profile).items():
        step = STEPS.get(asked)  # None: a detour the straight way never takes
        if step is None:
            continue
        if turn.ids:
            preferred[step] = turn.ids
        elif turn.text is not None:
            texts[step] = turn.text
    return AnswerPolicy(preferred=preferred, texts=texts)


class ProfilePlayer:
    """How a member with ``profile`` types the answers on Matrix: the numbers of the options,
    or the text (see :func:`tests.support.synapse.bot.play_join`)."""

    def __init__(self, profile: Profile) -> None:
        self.answers = answers_of(profile)

    def answer(self, ask: Ask) -> tuple[str, str]:
        turn = self.answers[ask.question.id]
        if ask.kind == "text":
            assert turn.text is not None, ask.question.id
            return "text", turn.text
        ids = [option.id for option in ask.options]
        return "number", " ".join(str(ids.index(choice) + 1) for choice in turn.ids)
