"""Typed answers are normalised to the same choice ids a button would give."""

from __future__ import annotations

import pytest

from bot.answers import Control, control_word, is_skip, parse_choices, read_choices
from bot.i18n import Translator
from bot.intents import Option
from flows.data_rights import FORGET_CHOICES
from flows.join import CONFIRM
from flows.membership import LEAVE_CHOICES
from flows.questionnaire import CONSENT, LANGUAGES
from flows.slots import SLOTS, read_slots

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
        ("1-3", ("mon_morning", "mon_afternoon", "mon_evening")),
        ("1–3, 21", ("mon_morning", "mon_afternoon", "mon_evening", "sun_evening")),
        ("Montag abends und Freitag vormittags", ("mon_evening", "fri_morning")),
        ("monday evening, sunday morning", ("mon_evening", "sun_morning")),
        ("Dienstagabend", ("tue_evening",)),
        ("Donnerstag abend", ("thu_evening",)),
        ("monday evening, wed evening, 15", ("mon_evening", "wed_evening", "fri_evening")),
        ("Montag und Mittwoch abends", ("mon_evening", "wed_evening")),
        ("Mi abends", ("wed_evening",)),
        ("am Wochenende vormittags", ("sat_morning", "sun_morning")),
        (
            "weekday evenings",
            tuple(f"{day}_evening" for day in ("mon", "tue", "wed", "thu", "fri")),
        ),
        ("21", ("sun_evening",)),
        ("1 99", None),
        ("Monday", None),
        ("3-1", None),
    ],
)
def test_several_of_answers(typed: str, expected: tuple[str, ...] | None) -> None:
    reading = read_choices(typed, SLOTS, T, multiple=True, read_part=read_slots)
    assert (reading.chosen if reading.complete else None) == expected


def test_a_list_with_a_part_not_understood_keeps_the_rest_and_names_that_part() -> None:
    reading = read_choices(
        "Montag abend, Dienstag Mittag, Quatschtag", SLOTS, T, multiple=True, read_part=read_slots
    )
    assert reading.chosen == ("mon_evening", "tue_afternoon")
    assert reading.unclear == ("Quatschtag",)


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [
        (CONSENT, "yes", "agree"),
        (CONSENT, "Ja", "agree"),
        (CONSENT, "ok", "agree"),
        (CONSENT, "einverstanden", "agree"),
        (CONSENT, "no", "decline"),
        (CONSENT, "nein", "decline"),
        (LEAVE_CHOICES, "verlassen", "leave"),
        (LEAVE_CHOICES, "ja", "leave"),
        (LEAVE_CHOICES, "no", "stay"),
        (FORGET_CHOICES, "delete", "forget"),
        (FORGET_CHOICES, "Löschen", "forget"),
        (FORGET_CHOICES, "yes", "forget"),
        (FORGET_CHOICES, "nein", "keep"),
        (CONFIRM, "yes", "save"),
    ],
)
def test_every_confirmation_knows_the_everyday_yes_and_no(
    options: tuple[Option, ...], typed: str, expected: str
) -> None:
    assert parse_choices(typed, options, T, multiple=False) == (expected,)


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
    ("typed", "skip"),
    [
        ("-", True),
        ("–", True),
        ("—", True),
        (".", True),
        ("Überspringen", True),
        ("skip", True),
        ("nope x", False),
        ("-5", False),
    ],
)
def test_skipping_an_optional_question(typed: str, skip: bool) -> None:
    assert is_skip(typed, T) is skip
