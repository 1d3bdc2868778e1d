"""Typed answers are normalised to the same choice ids a button would give."""

from __future__ import annotations

import pytest

from bot.answers import Control, control_word, is_skip, parse_choices
from bot.i18n import Translator
from flows.join import CONFIRM
from flows.questionnaire import LANGUAGES, SLOTS

T = Translator()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", ("de",)),
        ("2", ("en",)),
        ("Deutsch", ("de",)),
        ("english", ("en",)),
        ("  ENGLISH! ", ("en",)),
        ("3", None),
        ("1 2", None),
        ("french", None),
    ],
)
def test_one_of_answers(typed: str, expected: tuple[str, ...] | None) -> None:
    assert parse_choices(typed, LANGUAGES, T, multiple=False) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 3", ("mon_morning", "mon_evening")),
        ("1,3,3", ("mon_morning", "mon_evening")),
        ("Montag abends und Freitag vormittags", ("mon_evening", "fri_morning")),
        ("monday evening, sunday morning", ("mon_evening", "sun_morning")),
        ("21", ("sun_evening",)),
        ("1 99", None),
        ("Monday", None),
    ],
)
def test_several_of_answers(typed: str, expected: tuple[str, ...] | None) -> None:
    assert parse_choices(typed, SLOTS, T, multiple=True) == expected


def test_an_options_emoji_counts_as_its_answer() -> None:
    assert parse_choices("✅", CONFIRM, T, multiple=False) == ("save",)
    assert parse_choices("Speichern", CONFIRM, T, multiple=False) == ("save",)


@pytest.mark.parametrize(
    ("typed", "control"),
    [
        ("cancel", Control.CANCEL),
        ("Abbrechen", Control.CANCEL),
        ("zurück", Control.BACK),
        ("back", Control.BACK),
        ("Hilfe", Control.HELP),
        ("?", Control.HELP),
        ("I want to go back to school", None),
        ("", None),
    ],
)
def test_control_words_in_either_language(typed: str, control: Control | None) -> None:
    assert control_word(typed, T) == control


@pytest.mark.parametrize(
    ("typed", "skip"), [("-", True), ("Überspringen", True), ("skip", True), ("nope x", False)]
)
def test_skipping_an_optional_question(typed: str, skip: bool) -> None:
    assert is_skip(typed, T) is skip
