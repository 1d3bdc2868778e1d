"""How questions, commands and custom ids look on Discord, within Discord's limits."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from adapters.discord import custom_ids
from adapters.discord.commands import CatalogTranslator, build_groups
from adapters.discord.layout import clip, question_layout
from bot.capabilities import RICH
from bot.commands import BUILTIN_COMMANDS, CommandArgument, CommandSpec
from bot.i18n import Translator
from bot.intents import Ask, Option
from bot.messages import msg
from bot.places import MemberRef, Place

pytestmark = pytest.mark.timeout(10)

ADA = MemberRef(platform="discord", user_id="11")
DAYS = tuple(
    Option(id=d, label=msg(f"weekday.{d}"))
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def ask(**fields) -> Ask:
    base = {
        "target": Place.dm(ADA),
        "locale": "en",
        "prompt_id": "12.3",
        "question": msg("join.ask_language"),
        "kind": "one",
    }
    return Ask(**{**base, **fields})


@pytest.fixture
def translator() -> Translator:
    return Translator()


def test_custom_ids_name_the_prompt_and_the_choice_and_read_back():
    raw = custom_ids.choice("12.3", "en")

    assert raw == "tandem:c:12.3:en"
    assert custom_ids.parse(raw) == custom_ids.CustomId("c", "12.3", "en")
    assert custom_ids.parse(custom_ids.select("12.3")) == custom_ids.CustomId("s", "12.3")
    assert custom_ids.parse(custom_ids.modal("12.3")) == custom_ids.CustomId("m", "12.3")
    assert custom_ids.parse(custom_ids.answer_button("12.3")).kind == "t"


def test_other_bots_custom_ids_are_not_ours():
    assert custom_ids.parse("persistent_view:green") is None
    assert custom_ids.parse("tandem:c:12.3") is None  # a choice without an option
    assert custom_ids.parse("tandem:s:12.3:en") is None  # a select names no option
    assert custom_ids.parse("tandem:x:12.3") is None


def test_a_one_of_question_with_few_options_is_buttons(translator):
    layout = question_layout(
        ask(
            options=(
                Option(id="de", label=msg("language.de")),
                Option(id="en", label=msg("language.en")),
            )
        ),
        translator,
        RICH,
    )

    assert layout.chunks == ["Which language should I use with you?"]
    assert [(b.custom_id, b.label) for b in layout.buttons] == [
        ("tandem:c:12.3:de", "Deutsch"),
        ("tandem:c:12.3:en", "English"),
    ]
    assert layout.select is None


def test_a_one_of_question_with_more_than_five_options_is_a_select(translator):
    layout = question_layout(ask(options=DAYS), translator, RICH)

    assert layout.buttons == ()
    assert layout.select is not None
    assert (layout.select.min_values, layout.select.max_values) == (1, 1)
    assert [o.custom_id for o in layout.select.options] == [o.id for o in DAYS]


def test_a_several_of_question_is_a_multi_select_within_its_bounds(translator):
    layout = question_layout(
        ask(kind="many", options=DAYS, min_choices=2, max_choices=3, locale="de"),
        translator,
        RICH,
    )

    assert layout.select is not None
    assert layout.select.custom_id == "tandem:s:12.3"
    assert (layout.select.min_values, layout.select.max_values) == (2, 3)
    assert layout.select.options[0].label == "Montag"
    assert layout.select.placeholder == "Wähl eine oder mehrere"


def test_more_than_25_options_fall_back_to_a_numbered_list_answered_by_typing(translator):
    many = tuple(Option(id=f"o{i}", label=msg("language.en")) for i in range(30))

    layout = question_layout(ask(options=many), translator, RICH)

    assert layout.typed_only
    assert layout.select is None
    assert layout.buttons == ()
    assert "30. English" in layout.chunks[0]


def test_an_option_id_too_long_for_a_custom_id_is_offered_in_a_select(translator):
    long_id = "x" * 95
    layout = question_layout(
        ask(
            options=(
                Option(id=long_id, label=msg("language.en")),
                Option(id="b", label=msg("language.de")),
            )
        ),
        translator,
        RICH,
    )

    assert layout.buttons == ()
    assert layout.select is not None
    assert all(custom_ids.fits(o.custom_id) for o in layout.buttons)


def test_a_free_text_question_offers_a_form_within_discords_limits(translator):
    layout = question_layout(
        ask(
            kind="text",
            question=msg("join.ask_goal"),
            field_label=msg("discord.modal_title"),
            max_length=300,
        ),
        translator,
        RICH,
    )

    assert layout.answer_button is not None
    assert layout.answer_button.custom_id == "tandem:t:12.3"
    assert layout.modal is not None
    assert layout.modal.custom_id == "tandem:m:12.3"
    assert layout.modal.label == "Your answer"
    assert len(layout.modal.title) <= 45
    assert layout.modal.placeholder is not None
    assert len(layout.modal.placeholder) <= 100
    assert layout.modal.paragraph
    assert layout.modal.max_length == 300
    assert "press “Answer”" in layout.chunks[0]


def test_long_question_text_is_split_at_discords_message_limit(translator):
    long_name = "word " * 900  # a member-written parameter far over 2000 characters
    layout = question_layout(
        ask(
            question=msg("help.text", lead=long_name, commands=[]),
            options=(Option(id="save", label=msg("join.confirm.save")),),
        ),
        translator,
        RICH,
    )

    assert len(layout.chunks) > 1
    assert all(len(chunk) <= 2000 for chunk in layout.chunks)


async def test_commands_are_english_with_descriptions_translated_for_german_clients(translator):
    async def handler(interaction, name, args):  # pragma: no cover - never called here
        raise AssertionError

    specs = [CommandSpec("join", msg("command.join")), *BUILTIN_COMMANDS]
    member_group, organizer_group = build_groups(
        specs, translator, on_member_command=handler, on_organizer_command=handler
    )
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    catalog = CatalogTranslator(translator)

    member = await member_group.get_translated_payload(tree, catalog)
    organizer = await organizer_group.get_translated_payload(tree, catalog)

    assert member["name"] == "tandem"
    assert [o["name"] for o in member["options"]] == ["join", "help", "cancel", "back"]
    join = member["options"][0]
    assert join["description"] == translator.render(msg("command.join"), "en")
    german = clip(translator.render(msg("command.join"), "de"), 100)
    assert join["description_localizations"]["de"] == german
    assert join["description_localizations"]["de"] != join["description"]
    assert join.get("name_localizations") in (None, {})
    assert organizer["name"] == "tandem-admin"
    assert int(organizer["default_member_permissions"]) == 1 << 5  # Manage Server
    assert [o["name"] for o in organizer["options"]] == ["sync"]


async def test_a_command_argument_becomes_an_optional_string_option(translator):
    async def handler(interaction, name, args):  # pragma: no cover - never called here
        raise AssertionError

    spec = CommandSpec(
        "pause", msg("command.help"), argument=CommandArgument("until", msg("command.back"))
    )
    member_group, _ = build_groups(
        [spec], translator, on_member_command=handler, on_organizer_command=handler
    )
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))

    payload = member_group.to_dict(tree)

    option = payload["options"][0]["options"][0]
    assert option["name"] == "until"
    assert option["type"] == discord.AppCommandOptionType.string.value
    assert option["required"] is False
