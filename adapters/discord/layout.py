"""How a question looks on Discord, decided before any discord.py object is built.

:func:`question_layout` turns an :class:`~bot.intents.Ask` into a :class:`QuestionLayout`: the
text (split at Discord's 2000 characters), and either buttons (one-of, up to 5 options), a
select menu (up to 25 options, multi-select for several-of), an "Answer" button that opens a
form (free text), or nothing but a numbered list that is answered by typing (the fallback when
an option cannot be drawn within Discord's limits). :mod:`.components` draws the result.

Every length limit Discord enforces on these parts is applied here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.discord import custom_ids
from bot.capabilities import Capabilities
from bot.i18n import Translator
from bot.intents import Ask
from bot.messages import msg
from bot.render import question_as_text, split_text

MAX_BUTTON_LABEL = 80
MAX_OPTION_LABEL = 100
MAX_OPTION_VALUE = 100
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 45
MAX_INPUT_LABEL = 45
MAX_INPUT_PLACEHOLDER = 100
MAX_INPUT_LENGTH = 4000
#: Above this many characters a form field is a paragraph box rather than one line.
SHORT_INPUT_UP_TO = 100


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when something was cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class ButtonSpec:
    custom_id: str
    label: str
    emoji: str | None = None


@dataclass(frozen=True)
class SelectSpec:
    custom_id: str
    options: tuple[ButtonSpec, ...]  # custom_id is the option's value here
    min_values: int
    max_values: int
    placeholder: str


@dataclass(frozen=True)
class ModalSpec:
    custom_id: str
    title: str
    label: str
    placeholder: str | None
    paragraph: bool
    max_length: int
    required: bool


@dataclass(frozen=True)
class QuestionLayout:
    chunks: list[str]
    buttons: tuple[ButtonSpec, ...] = ()
    select: SelectSpec | None = None
    answer_button: ButtonSpec | None = None
    modal: ModalSpec | None = None
    typed_only: bool = field(default=False)


def question_layout(ask: Ask, translator: Translator, caps: Capabilities) -> QuestionLayout:
    render = translator.render
    question = render(ask.question, ask.locale)
    limit = caps.max_message_length
    if ask.kind == "text":
        return _text_layout(ask, translator, question, caps)
    values = [option.id for option in ask.options]
    labels = [render(option.label, ask.locale) for option in ask.options]
    button_ids = [custom_ids.choice(ask.prompt_id, value) for value in values]
    if (
        ask.kind == "one"
        and caps.buttons
        and 0 < len(values) <= caps.max_buttons
        and all(custom_ids.fits(cid) for cid in button_ids)
    ):
        buttons = tuple(
            ButtonSpec(cid, clip(label, MAX_BUTTON_LABEL), option.emoji)
            for cid, label, option in zip(button_ids, labels, ask.options, strict=True)
        )
        return QuestionLayout(split_text(question, limit), buttons=buttons)
    if (
        caps.selects
        and 0 < len(values) <= caps.max_select_options
        and all(0 < len(value) <= MAX_OPTION_VALUE for value in values)
        and len(set(values)) == len(values)
    ):
        many = ask.kind == "many"
        most = max(1, min(ask.max_choices, len(values))) if many else 1
        least = max(0, min(ask.min_choices, most)) if many else 1
        placeholder = msg("discord.select_many") if many else msg("discord.select_one")
        select = SelectSpec(
            custom_id=custom_ids.select(ask.prompt_id),
            options=tuple(
                ButtonSpec(value, clip(label, MAX_OPTION_LABEL), option.emoji)
                for value, label, option in zip(values, labels, ask.options, strict=True)
            ),
            min_values=least,
            max_values=most,
            placeholder=clip(render(placeholder, ask.locale), MAX_PLACEHOLDER),
        )
        return QuestionLayout(split_text(question, limit), select=select)
    return QuestionLayout(split_text(question_as_text(ask, translator), limit), typed_only=True)


def _text_layout(
    ask: Ask, translator: Translator, question: str, caps: Capabilities
) -> QuestionLayout:
    render = translator.render
    lines = [question, "", render(msg("discord.hint_text"), ask.locale)]
    if ask.optional:
        lines.append(render(msg("ask.hint_optional"), ask.locale))
    chunks = split_text("\n".join(lines), caps.max_message_length)
    if not caps.modals:
        return QuestionLayout(chunks, typed_only=True)
    label_source = ask.field_label or ask.question
    max_length = min(ask.max_length or MAX_INPUT_LENGTH, MAX_INPUT_LENGTH)
    modal = ModalSpec(
        custom_id=custom_ids.modal(ask.prompt_id),
        title=clip(render(msg("discord.modal_title"), ask.locale), MAX_MODAL_TITLE),
        label=clip(render(label_source, ask.locale), MAX_INPUT_LABEL),
        placeholder=clip(question, MAX_INPUT_PLACEHOLDER) if ask.field_label else None,
        paragraph=max_length > SHORT_INPUT_UP_TO,
        max_length=max_length,
        required=not ask.optional,
    )
    button = ButtonSpec(
        custom_ids.answer_button(ask.prompt_id),
        clip(render(msg("discord.answer_button"), ask.locale), MAX_BUTTON_LABEL),
        "✏️",
    )
    return QuestionLayout(chunks, answer_button=button, modal=modal)
