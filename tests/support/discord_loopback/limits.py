"""Discord's documented limits, checked on request bodies.

Each ``check_*`` function takes a decoded JSON body and returns a list of :class:`Problem`;
an empty list means Discord would accept it. The REST layer turns problems into an HTTP 400
``Invalid Form Body`` and a recorded violation. Pure functions only: no state, no HTTP.

Numbers follow https://discord.com/developers/docs (messages, components, modals, commands).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tests.support.discord_loopback.errors import Problem

MESSAGE_CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_CHARS_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
ATTACHMENTS_MAX = 10
CUSTOM_ID_MAX = 100
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW_MAX = 5
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
SELECT_VALUES_MAX = 25
COMPONENTS_V2_TOTAL_MAX = 40
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_LENGTH_MAX = 4000
TEXT_INPUT_PLACEHOLDER_MAX = 100
LABEL_DESCRIPTION_MAX = 100
COMMAND_NAME_PATTERN = re.compile(r"^[-_\w]{1,32}$")
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_CHOICES_MAX = 25
CHAT_INPUT_COMMANDS_MAX = 100

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_IS_COMPONENTS_V2 = 1 << 15

_BUTTON = 2
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_STRING_SELECT = 3
_TEXT_INPUT = 4
_LINK_STYLE = 5
_PREMIUM_STYLE = 6


def _too_long(path: str, limit: int) -> Problem:
    return Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _too_many(path: str, limit: int) -> Problem:
    return Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


#: "each parent category can contain up to 50 channels" (developers/resources/channel.mdx,
#: Channel Object, ``parent_id``; and Channel Types, ``GUILD_CATEGORY``).
CHANNELS_PER_CATEGORY = 50
#: "Maximum number of guild channels reached (500)", error 30013
#: (developers/topics/opcodes-and-status-codes.mdx); "Threads do not count against the
#: per-guild channel limit" (developers/resources/channel.mdx, Thread-specific Channel Endpoints).
CHANNELS_PER_GUILD = 500
#: "0-1024 character channel topic" for text channels (developers/resources/guild.mdx, Create
#: Guild Channel; channel.mdx, Modify Channel).
TOPIC_MAX = 1024

NONCE_MAX = 25
#: Create Message with ``enforce_nonce``: "it will be checked for uniqueness in the past few
#: minutes. If another message was created by the same author with the same nonce, that message
#: will be returned and no new message will be created" (developers/resources/message.mdx).
#: Discord does not say how many minutes; the loopback keeps two, so a test that passes here
#: does not lean on a longer window than real Discord may have.
NONCE_WINDOW_SECONDS = 120.0


def check_message(
    body: Mapping[str, Any], *, creating: bool, attachment_count: int = 0
) -> list[Problem]:
    """A message body for create/edit, from a channel send, interaction response or webhook."""
    problems: list[Problem] = []
    flags = int(body.get("flags") or 0)
    content = body.get("content")
    if _length(content) > MESSAGE_CONTENT_MAX:
        problems.append(_too_long("content", MESSAGE_CONTENT_MAX))
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        problems.append(_too_many("embeds", EMBEDS_MAX))
    problems += check_embeds(embeds)
    components = body.get("components") or []
    problems += check_components(components, v2=bool(flags & FLAG_IS_COMPONENTS_V2))
    if flags & FLAG_IS_COMPONENTS_V2 and (content or embeds):
        problems.append(
            Problem(
                "content",
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
            )
        )
    if attachment_count > ATTACHMENTS_MAX:
        problems.append(_too_many("attachments", ATTACHMENTS_MAX))
    # "nonce: integer or string — can be used to verify a message was sent (up to 25
    # characters)" (developers/resources/message.mdx, Create Message).
    if _length(body.get("nonce")) > NONCE_MAX:
        problems.append(_too_long("nonce", NONCE_MAX))
    return problems


def is_empty_message(body: Mapping[str, Any], *, attachment_count: int = 0) -> bool:
    """Nothing to show: Discord answers 400 with its own code 50006 "Cannot send an empty
    message" (developers/topics/opcodes-and-status-codes.mdx), not an Invalid Form Body."""
    return not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or attachment_count
        or body.get("sticker_ids")
        or body.get("poll")
    )


def check_embeds(embeds: Sequence[Mapping[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    for index, embed in enumerate(embeds):
        base = f"embeds.{index}"
        total = 0
        for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
            total += _length(embed.get(key))
            if _length(embed.get(key)) > limit:
                problems.append(_too_long(f"{base}.{key}", limit))
        footer = (embed.get("footer") or {}).get("text")
        total += _length(footer)
        if _length(footer) > EMBED_FOOTER_MAX:
            problems.append(_too_long(f"{base}.footer.text", EMBED_FOOTER_MAX))
        author = (embed.get("author") or {}).get("name")
        total += _length(author)
        if _length(author) > EMBED_AUTHOR_MAX:
            problems.append(_too_long(f"{base}.author.name", EMBED_AUTHOR_MAX))
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(_too_many(f"{base}.fields", EMBED_FIELDS_MAX))
        for f_index, field in enumerate(fields):
            total += _length(field.get("name")) + _length(field.get("value"))
            if _length(field.get("name")) > EMBED_FIELD_NAME_MAX:
                problems.append(_too_long(f"{base}.fields.{f_index}.name", EMBED_FIELD_NAME_MAX))
            if _length(field.get("value")) > EMBED_FIELD_VALUE_MAX:
                problems.append(_too_long(f"{base}.fields.{f_index}.value", EMBED_FIELD_VALUE_MAX))
        if total > EMBED_TOTAL_CHARS_MAX:
            problems.append(
                Problem(base, "BASE_TYPE_MAX_LENGTH", "Embed size exceeds maximum size of 6000")
            )
    return problems


def _walk(components: Sequence[Mapping[str, Any]], base: str):
    """Yield (path, component) for every component, nested ones included."""
    for index, component in enumerate(components):
        path = f"{base}.{index}"
        yield path, component
        if component.get("components"):
            yield from _walk(component["components"], f"{path}.components")
        if component.get("component"):
            yield from _walk([component["component"]], f"{path}.component")
        if component.get("accessory"):
            yield f"{path}.accessory", component["accessory"]


def check_components(components: Sequence[Mapping[str, Any]], *, v2: bool = False) -> list[Problem]:
    """Message components: rows, buttons, selects and unique custom ids."""
    problems: list[Problem] = []
    if not v2 and len(components) > ACTION_ROWS_MAX:
        problems.append(_too_many("components", ACTION_ROWS_MAX))
    if v2:
        total = sum(1 for _ in _walk(components, "components"))
        if total > COMPONENTS_V2_TOTAL_MAX:
            problems.append(_too_many("components", COMPONENTS_V2_TOTAL_MAX))
    for index, row in enumerate(components):
        if row.get("type") != 1:
            if not v2:
                problems.append(
                    Problem(
                        f"components.{index}",
                        "UNION_TYPE_CHOICES",
                        'Value of field "type" must be 1.',
                    )
                )
            continue
        children = row.get("components") or []
        selects = [c for c in children if c.get("type") in _SELECT_TYPES]
        if selects and len(children) > 1:
            problems.append(
                Problem(
                    f"components.{index}.components",
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
            )
        if len(children) > BUTTONS_PER_ROW_MAX:
            problems.append(_too_many(f"components.{index}.components", BUTTONS_PER_ROW_MAX))
        if not children:
            problems.append(
                Problem(
                    f"components.{index}.components",
                    "BASE_TYPE_MIN_LENGTH",
                    "Must be 1 or more in length.",
                )
            )
    seen: set[str] = set()
    for path, component in _walk(components, "components"):
        problems += _check_interactive(path, component)
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                problems.append(
                    Problem(
                        f"{path}.custom_id",
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                )
            seen.add(custom_id)
    return problems


def _check_interactive(path: str, component: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    kind = component.get("type")
    custom_id = component.get("custom_id")
    if _length(custom_id) > CUSTOM_ID_MAX:
        problems.append(_too_long(f"{path}.custom_id", CUSTOM_ID_MAX))
    if kind == _BUTTON:
        style = component.get("style")
        if style == _LINK_STYLE:
            if not component.get("url") or custom_id:
                problems.append(
                    Problem(
                        path,
                        "BUTTON_COMPONENT_INVALID_URL",
                        "A link button needs a url and no custom_id",
                    )
                )
        elif style != _PREMIUM_STYLE and not custom_id:
            problems.append(
                Problem(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
            )
        if _length(component.get("label")) > BUTTON_LABEL_MAX:
            problems.append(_too_long(f"{path}.label", BUTTON_LABEL_MAX))
    elif kind in _SELECT_TYPES:
        problems += _check_select(path, component)
    return problems


def _check_select(path: str, select: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if not select.get("custom_id"):
        problems.append(
            Problem(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
        )
    if _length(select.get("placeholder")) > SELECT_PLACEHOLDER_MAX:
        problems.append(_too_long(f"{path}.placeholder", SELECT_PLACEHOLDER_MAX))
    options = select.get("options") or []
    if select.get("type") == _STRING_SELECT:
        if not options:
            problems.append(
                Problem(f"{path}.options", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
            )
        if len(options) > SELECT_OPTIONS_MAX:
            problems.append(_too_many(f"{path}.options", SELECT_OPTIONS_MAX))
        values_seen: set[str] = set()
        for o_index, option in enumerate(options):
            for key in ("label", "value", "description"):
                if _length(option.get(key)) > SELECT_OPTION_TEXT_MAX:
                    problems.append(
                        _too_long(f"{path}.options.{o_index}.{key}", SELECT_OPTION_TEXT_MAX)
                    )
            if option.get("value") in values_seen:
                problems.append(
                    Problem(
                        f"{path}.options.{o_index}.value",
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select component option values must be unique",
                    )
                )
            values_seen.add(option.get("value"))
    min_values = select.get("min_values", 1)
    max_values = select.get("max_values", 1)
    if not 0 <= min_values <= SELECT_VALUES_MAX:
        problems.append(
            Problem(
                f"{path}.min_values",
                "NUMBER_TYPE_MAX",
                f"min_values must be between 0 and {SELECT_VALUES_MAX}.",
            )
        )
    if not 1 <= max_values <= SELECT_VALUES_MAX:
        problems.append(
            Problem(
                f"{path}.max_values",
                "NUMBER_TYPE_MAX",
                f"max_values must be between 1 and {SELECT_VALUES_MAX}.",
            )
        )
    if min_values > max_values:
        problems.append(
            Problem(
                f"{path}.min_values",
                "SELECT_COMPONENT_MIN_MAX",
                "min_values must not exceed max_values.",
            )
        )
    if select.get("type") == _STRING_SELECT and options and max_values > len(options):
        problems.append(
            Problem(
                f"{path}.max_values",
                "SELECT_COMPONENT_MAX_VALUES_EXCEEDS_OPTIONS",
                "max_values must not exceed the number of options.",
            )
        )
    return problems


def deprecated_in_modal(data: Mapping[str, Any]) -> list[str]:
    """What a modal uses that Discord has deprecated (accepted, for now): a text input in an
    action row, and a text input's own ``label`` — it belongs in a Label component (type 18)
    (developers/components/reference.mdx, Action Row and Text Input)."""
    found: list[str] = []
    for index, top in enumerate(data.get("components") or []):
        path = f"data.components.{index}"
        if top.get("type") == 1:
            if any(c.get("type") == _TEXT_INPUT for c in top.get("components") or []):
                found.append(f"{path}: a text input in an action row (use a Label)")
            inputs = [(f"{path}.components.{i}", c) for i, c in enumerate(top["components"])]
        else:
            inputs = [(f"{path}.component", top.get("component") or {})]
        for input_path, component in inputs:
            if component.get("type") == _TEXT_INPUT and component.get("label") is not None:
                found.append(f"{input_path}.label: the text input's own label (use a Label)")
    return found


def check_modal(data: Mapping[str, Any]) -> list[Problem]:
    """A modal (interaction callback type 9)."""
    problems: list[Problem] = []
    title = data.get("title")
    if not title:
        problems.append(Problem("data.title", "BASE_TYPE_REQUIRED", "This field is required"))
    elif len(title) > MODAL_TITLE_MAX:
        problems.append(_too_long("data.title", MODAL_TITLE_MAX))
    custom_id = data.get("custom_id")
    if not custom_id:
        problems.append(Problem("data.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
    elif len(custom_id) > CUSTOM_ID_MAX:
        problems.append(_too_long("data.custom_id", CUSTOM_ID_MAX))
    components = data.get("components") or []
    if not components:
        problems.append(
            Problem("data.components", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
        )
    if len(components) > MODAL_COMPONENTS_MAX:
        problems.append(_too_many("data.components", MODAL_COMPONENTS_MAX))
    for index, top in enumerate(components):
        path = f"data.components.{index}"
        if top.get("type") == 18:
            if _length(top.get("label")) > TEXT_INPUT_LABEL_MAX:
                problems.append(_too_long(f"{path}.label", TEXT_INPUT_LABEL_MAX))
            if _length(top.get("description")) > LABEL_DESCRIPTION_MAX:
                problems.append(_too_long(f"{path}.description", LABEL_DESCRIPTION_MAX))
            inner = [(f"{path}.component", top.get("component") or {})]
        elif top.get("type") == 1:
            children = top.get("components") or []
            if len(children) != 1:
                problems.append(
                    Problem(
                        f"{path}.components", "BASE_TYPE_BAD_LENGTH", "Must be exactly 1 in length."
                    )
                )
            inner = [(f"{path}.components.{i}", c) for i, c in enumerate(children)]
        else:
            inner = []
        for inner_path, component in inner:
            if component.get("type") == _TEXT_INPUT:
                problems += _check_text_input(inner_path, component, labelled=top.get("type") == 18)
            else:
                problems += _check_interactive(inner_path, component)
    return problems


def _check_text_input(path: str, text_input: Mapping[str, Any], *, labelled: bool) -> list[Problem]:
    problems: list[Problem] = []
    custom_id = text_input.get("custom_id")
    if not custom_id:
        problems.append(
            Problem(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
        )
    elif len(custom_id) > CUSTOM_ID_MAX:
        problems.append(_too_long(f"{path}.custom_id", CUSTOM_ID_MAX))
    label = text_input.get("label")
    if not labelled and not label:
        problems.append(Problem(f"{path}.label", "BASE_TYPE_REQUIRED", "This field is required"))
    if _length(label) > TEXT_INPUT_LABEL_MAX:
        problems.append(_too_long(f"{path}.label", TEXT_INPUT_LABEL_MAX))
    if text_input.get("style") not in (1, 2):
        problems.append(
            Problem(f"{path}.style", "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
        )
    min_length = text_input.get("min_length")
    max_length = text_input.get("max_length")
    if min_length is not None and not 0 <= min_length <= TEXT_INPUT_LENGTH_MAX:
        problems.append(
            Problem(
                f"{path}.min_length",
                "NUMBER_TYPE_MAX",
                f"int value should be <= {TEXT_INPUT_LENGTH_MAX}.",
            )
        )
    if max_length is not None and not 1 <= max_length <= TEXT_INPUT_LENGTH_MAX:
        problems.append(
            Problem(
                f"{path}.max_length",
                "NUMBER_TYPE_MAX",
                f"int value should be <= {TEXT_INPUT_LENGTH_MAX}.",
            )
        )
    if _length(text_input.get("value")) > TEXT_INPUT_LENGTH_MAX:
        problems.append(_too_long(f"{path}.value", TEXT_INPUT_LENGTH_MAX))
    if _length(text_input.get("placeholder")) > TEXT_INPUT_PLACEHOLDER_MAX:
        problems.append(_too_long(f"{path}.placeholder", TEXT_INPUT_PLACEHOLDER_MAX))
    return problems


def check_commands(commands: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """A bulk overwrite of application commands (global or per guild)."""
    problems: list[Problem] = []
    chat_input = [c for c in commands if c.get("type", 1) == 1]
    if len(chat_input) > CHAT_INPUT_COMMANDS_MAX:
        problems.append(_too_many("", CHAT_INPUT_COMMANDS_MAX))
    names: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        kind = command.get("type", 1)
        key = (kind, command.get("name", ""))
        if key in names:
            problems.append(
                Problem(
                    f"{index}.name",
                    "APPLICATION_COMMAND_ALREADY_EXISTS",
                    "Application command names must be unique",
                )
            )
        names.add(key)
        problems += _check_command_node(str(index), command, chat_input=kind == 1, depth=0)
    return problems


def _check_command_node(
    path: str, node: Mapping[str, Any], *, chat_input: bool, depth: int
) -> list[Problem]:
    problems: list[Problem] = []
    name = node.get("name") or ""
    if chat_input:
        if not COMMAND_NAME_PATTERN.match(name) or name != name.lower():
            problems.append(
                Problem(
                    f"{path}.name",
                    "APPLICATION_COMMAND_INVALID_NAME",
                    "Command name is invalid",
                )
            )
        description = node.get("description") or ""
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            problems.append(
                Problem(
                    f"{path}.description",
                    "BASE_TYPE_BAD_LENGTH",
                    f"Must be between 1 and {COMMAND_DESCRIPTION_MAX} in length.",
                )
            )
    elif not 1 <= len(name) <= 32:
        problems.append(
            Problem(f"{path}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
        )
    options = node.get("options") or []
    if len(options) > COMMAND_OPTIONS_MAX:
        problems.append(_too_many(f"{path}.options", COMMAND_OPTIONS_MAX))
    seen_optional = False
    for index, option in enumerate(options):
        option_path = f"{path}.options.{index}"
        kind = option.get("type")
        if kind in (1, 2):
            if depth >= 2 or (kind == 2 and depth >= 1):
                problems.append(
                    Problem(
                        f"{option_path}.type",
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Subcommands nest too deep",
                    )
                )
        else:
            if option.get("required"):
                if seen_optional:
                    problems.append(
                        Problem(
                            f"{option_path}.required",
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        )
                    )
            else:
                seen_optional = True
            choices = option.get("choices") or []
            if len(choices) > COMMAND_CHOICES_MAX:
                problems.append(_too_many(f"{option_path}.choices", COMMAND_CHOICES_MAX))
        problems += _check_command_node(option_path, option, chat_input=True, depth=depth + 1)
    return problems
