"""The discord.py side of questions: restart-safe dynamic items, views, forms.

Components are :class:`discord.ui.DynamicItem` subclasses whose ``custom_id`` (see
:mod:`.custom_ids`) names the persisted prompt they answer. They are registered once with
``client.add_dynamic_items`` at start-up, so a click on a message sent before a restart is
routed here without any view held in memory. Each callback only hands the click to the adapter
(``interaction.client.tandem``), which turns it into a neutral event.

Forms (modals) are answered through the ``on_interaction`` event instead, because discord.py
only routes modals it still holds in memory; :func:`form_values` reads their fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

import discord

from adapters.discord import custom_ids
from adapters.discord.layout import ModalSpec, QuestionLayout

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

#: How long discord.py keeps a sent form in memory; answers after that still arrive.
FORM_MEMORY_SECONDS = 15 * 60


class _HasAdapter(Protocol):
    tandem: DiscordAdapter


def _adapter(interaction: discord.Interaction[Any]) -> DiscordAdapter:
    client: _HasAdapter = interaction.client  # type: ignore[assignment]
    return client.tandem


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button], template=custom_ids.CHOICE_TEMPLATE):
    """One option of a one-of question; a click picks it."""

    def __init__(self, item: discord.ui.Button) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChoiceButton:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        parsed = custom_ids.parse(self.custom_id)
        if parsed is not None and parsed.choice_id is not None:
            await _adapter(interaction).on_choice(
                interaction, parsed.prompt_id, (parsed.choice_id,)
            )


class ChoiceSelect(discord.ui.DynamicItem[discord.ui.Select], template=custom_ids.SELECT_TEMPLATE):
    """A select menu; the picked values are option ids."""

    def __init__(self, item: discord.ui.Select) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChoiceSelect:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        values = tuple(str(value) for value in data.get("values", []))
        await _adapter(interaction).on_choice(interaction, match_prompt(self.custom_id), values)


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button], template=custom_ids.ANSWER_TEMPLATE):
    """The "Answer" button of a free-text question: opens the question's form."""

    def __init__(self, item: discord.ui.Button) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _adapter(interaction).on_answer_button(interaction, match_prompt(self.custom_id))


DYNAMIC_ITEMS = (ChoiceButton, ChoiceSelect, AnswerButton)


def match_prompt(custom_id: str) -> str:
    parsed = custom_ids.parse(custom_id)
    return "" if parsed is None else parsed.prompt_id


def question_view(layout: QuestionLayout) -> discord.ui.View | None:
    """The components of a question, or None when it is answered by typing."""
    view = discord.ui.View(timeout=None)
    for spec in layout.buttons:
        view.add_item(
            ChoiceButton(
                discord.ui.Button(
                    label=spec.label,
                    emoji=spec.emoji,
                    custom_id=spec.custom_id,
                    style=discord.ButtonStyle.primary,
                )
            )
        )
    if layout.select is not None:
        select = layout.select
        view.add_item(
            ChoiceSelect(
                discord.ui.Select(
                    custom_id=select.custom_id,
                    placeholder=select.placeholder,
                    min_values=select.min_values,
                    max_values=select.max_values,
                    options=[
                        discord.SelectOption(label=o.label, value=o.custom_id, emoji=o.emoji)
                        for o in select.options
                    ],
                )
            )
        )
    if layout.answer_button is not None:
        spec = layout.answer_button
        view.add_item(
            AnswerButton(
                discord.ui.Button(
                    label=spec.label,
                    emoji=spec.emoji,
                    custom_id=spec.custom_id,
                    style=discord.ButtonStyle.primary,
                )
            )
        )
    return view if view.children else None


def question_form(spec: ModalSpec) -> discord.ui.Modal:
    """A form with one text field, inside a Label as Discord asks: a text input in an action row,
    and the input's own ``label``, are deprecated (developers/components/reference.mdx)."""
    form = discord.ui.Modal(title=spec.title, custom_id=spec.custom_id, timeout=FORM_MEMORY_SECONDS)
    field = discord.ui.TextInput(
        custom_id=custom_ids.ANSWER_FIELD,
        style=discord.TextStyle.paragraph if spec.paragraph else discord.TextStyle.short,
        placeholder=spec.placeholder,
        required=spec.required,
        max_length=spec.max_length,
    )
    form.add_item(discord.ui.Label(text=spec.label, component=field))
    return form


def answered_view(message: discord.Message, chosen: Iterable[str]) -> discord.ui.View:
    """The message's components, disabled, with what was picked highlighted."""
    picked = set(chosen)
    view = discord.ui.View.from_message(message, timeout=None)
    for item in view.children:
        if isinstance(item, discord.ui.Button):
            parsed = custom_ids.parse(item.custom_id or "")
            if parsed is not None and parsed.choice_id in picked:
                item.style = discord.ButtonStyle.success
            else:
                item.style = discord.ButtonStyle.secondary
            item.disabled = True
        elif isinstance(item, discord.ui.Select):
            for option in item.options:
                option.default = option.value in picked
            item.disabled = True
    # A stopped view is drawn but never kept in discord.py's dispatch store: the dynamic items
    # already answer these custom ids.
    view.stop()
    return view


def form_values(data: dict[str, Any]) -> dict[str, str]:
    """``{field custom_id: value}`` of a submitted form (action rows or labels)."""
    values: dict[str, str] = {}

    def visit(components: Iterable[dict[str, Any]]) -> None:
        for component in components:
            if "value" in component and "custom_id" in component:
                values[str(component["custom_id"])] = str(component["value"] or "")
            visit(component.get("components") or [])
            if isinstance(component.get("component"), dict):
                visit([component["component"]])

    visit(data.get("components") or [])
    return values
