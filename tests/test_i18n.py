"""Every message the code uses exists in German and English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.i18n import SUPPORTED_LOCALES, Translator, catalog_paths, choose_locale, read_catalog
from bot.messages import msg

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ["bot", "flows", "adapters"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def used_message_ids() -> set[str]:
    ids: set[str] = set()
    for directory in CODE_DIRS:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / directory,
            method_map=[("**.py", "python")],
            keywords={"msg": (1,)},
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def catalog(locale: str) -> dict[str, list[str]]:
    entries = {}
    for message in read_catalog(locale):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        entries[key] = list(strings)
    return entries


def test_the_code_uses_message_ids_at_all() -> None:
    assert {"join.ask_goals", "help.text", "prompt.stale"} <= used_message_ids()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_used_in_code_is_translated(locale: str) -> None:
    entries = catalog(locale)
    missing = sorted(i for i in used_message_ids() if not all(entries.get(i, [""])))
    assert missing == [], f"{locale} lacks translations for {missing}"


def test_both_catalogs_hold_the_same_ids_with_the_same_placeholders() -> None:
    english, german = catalog("en"), catalog("de")
    assert set(english) == set(german)
    for message_id, strings in english.items():
        wanted = {tuple(sorted(set(PLACEHOLDER.findall(s)))) for s in strings}
        found = {tuple(sorted(set(PLACEHOLDER.findall(s)))) for s in german[message_id]}
        assert wanted == found, f"{message_id}: {wanted} vs {found}"


def test_each_area_has_its_catalog_file_in_both_languages() -> None:
    files = {locale: [path.name for path in catalog_paths(locale)] for locale in SUPPORTED_LOCALES}
    assert "tandem.po" in files["en"]
    assert files["de"] == files["en"]


def test_an_id_defined_in_two_catalog_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for name in ("a.po", "b.po"):
        (folder / name).write_text('msgid "same.id"\nmsgstr "Same"\n', encoding="utf-8")
    monkeypatch.setattr("bot.i18n.LOCALES_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"same\.id"):
        read_catalog("en")


def test_german_speaks_informally() -> None:
    formal = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer)\b")
    offenders = [i for i, s in catalog("de").items() if any(formal.search(t) for t in s)]
    assert offenders == []


def test_locale_is_the_members_choice_then_platform_then_default() -> None:
    assert choose_locale("de", "en-US", "en") == "de"
    assert choose_locale(None, "de-AT", "en") == "de"
    assert choose_locale(None, "fr", "de") == "de"
    assert choose_locale(None, None, "xx") == "en"


def test_rendering_inserts_member_text_verbatim_and_picks_plural_forms() -> None:
    translator = Translator()
    tricky = "{lead} {0} @everyone"
    assert translator.render(msg("command.unknown", command=tricky), "en") == (
        'I don\'t know the command "{lead} {0} @everyone".'
    )
    assert translator.render(msg("answer.too_few_choices", count=1), "de") == (
        "Bitte wähle mindestens 1 Möglichkeit."
    )
    assert translator.render(msg("answer.too_few_choices", count=2), "en") == (
        "Please choose at least 2 options."
    )


@pytest.mark.parametrize(
    ("weeks", "english", "german"),
    [
        (1, "Your 1 week at a glance", "Deine 1 Woche auf einen Blick"),
        (12, "Your 12 weeks at a glance", "Deine 12 Wochen auf einen Blick"),
    ],
)
def test_a_program_of_one_week_is_one_week_not_one_weeks(
    weeks: int, english: str, german: str
) -> None:
    translator = Translator()
    title = msg("program_end.chart.title", count=weeks, weeks=weeks)
    assert translator.render(title, "en") == english
    assert translator.render(title, "de") == german
    beyond = msg("where.week_beyond", count=weeks, week=weeks + 1, weeks=weeks)
    assert translator.render(beyond, "en").endswith(
        "1 week is done)" if weeks == 1 else f"{weeks} weeks are done)"
    )
