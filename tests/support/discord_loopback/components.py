"""How Discord keeps the components a bot sends: numbered, and in the shape it answers with.

Discord numbers every component of a message or modal: an ``id`` the bot left out (or sent as 0)
is filled in sequentially, parents before their children, skipping ids the bot chose itself
(``developers/components/reference.mdx``, Anatomy of a Component; its examples number an action
row 1 and its select 2). Messages answer with the fields the ``*ComponentResponse`` schemas of
Discord's OpenAPI description name (``ButtonComponentResponse``,
``StringSelectComponentResponse`` ...): a select in a message carries no ``required`` (a modal
field's setting) but does carry ``min_values``/``max_values``, and an emoji without an id has no
``id`` key (``ComponentEmojiResponse``). The same stored form comes back in interactions.
Pure functions only.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

JSON = dict[str, Any]

_SELECT = ("type", "id", "custom_id", "placeholder", "min_values", "max_values", "disabled")
#: The fields each message component type has in a response (``<Type>ComponentResponse``).
MESSAGE_FIELDS: dict[int, frozenset[str]] = {
    1: frozenset({"type", "id", "components"}),
    2: frozenset(
        {"type", "id", "custom_id", "style", "label", "disabled", "emoji", "url", "sku_id"}
    ),
    3: frozenset({*_SELECT, "options"}),
    5: frozenset({*_SELECT, "default_values"}),
    6: frozenset({*_SELECT, "default_values"}),
    7: frozenset({*_SELECT, "default_values"}),
    8: frozenset({*_SELECT, "default_values", "channel_types"}),
    9: frozenset({"type", "id", "components", "accessory"}),
    10: frozenset({"type", "id", "content"}),
    11: frozenset({"type", "id", "media", "description", "spoiler"}),
    12: frozenset({"type", "id", "items"}),
    13: frozenset({"type", "id", "file", "name", "size", "spoiler"}),
    14: frozenset({"type", "id", "spacing", "divider"}),
    17: frozenset({"type", "id", "accent_color", "components", "spoiler"}),
}
#: Required response fields Discord fills in with their documented defaults when left out.
MESSAGE_DEFAULTS: dict[int, JSON] = {
    **{select: {"min_values": 1, "max_values": 1} for select in (3, 5, 6, 7, 8)},
    11: {"description": None, "spoiler": False},
    14: {"spacing": 1, "divider": True},
    17: {"accent_color": None, "spoiler": False},
}
#: ``StringSelectOptionResponse``.
OPTION_FIELDS = frozenset({"label", "value", "description", "emoji", "default"})


def walk(components: Sequence[JSON]) -> Iterator[JSON]:
    """Every component, parents before children (rows, sections, labels, containers)."""
    for component in components:
        yield component
        yield from walk(component.get("components") or [])
        for single in ("component", "accessory"):
            if isinstance(component.get(single), dict):
                yield from walk([component[single]])


def emoji(sent: JSON) -> JSON:
    """``ComponentEmojiResponse``: ``name``, and ``id``/``animated`` only for custom emoji."""
    return {key: value for key, value in sent.items() if value is not None}


def stored(components: Sequence[JSON], *, in_modal: bool = False) -> list[JSON]:
    """``components`` as Discord keeps and answers them: numbered, message fields trimmed to
    their response shape. Modal components are numbered and otherwise kept as sent."""
    taken = {c["id"] for c in walk(components) if isinstance(c.get("id"), int) and c["id"]}
    fresh = (n for n in itertools.count(1) if n not in taken)

    def shape(component: JSON) -> JSON:
        kind = int(component.get("type") or 0)
        fields = None if in_modal else MESSAGE_FIELDS.get(kind)
        kept = {k: v for k, v in component.items() if fields is None or k in fields}
        defaults = {} if in_modal else MESSAGE_DEFAULTS.get(kind, {})
        result: JSON = {"type": kind, "id": component.get("id") or next(fresh)}
        for key, value in {**defaults, **kept}.items():
            if key not in ("type", "id"):
                result[key] = value
        if isinstance(result.get("components"), list):
            result["components"] = [shape(child) for child in result["components"]]
        for single in ("component", "accessory"):
            if isinstance(result.get(single), dict):
                result[single] = shape(result[single])
        if isinstance(result.get("emoji"), dict):
            result["emoji"] = emoji(result["emoji"])
        if isinstance(result.get("options"), list) and not in_modal:
            result["options"] = [_option(o) for o in result["options"]]
        return result

    return [shape(component) for component in components]


def _option(option: JSON) -> JSON:
    kept = {k: v for k, v in option.items() if k in OPTION_FIELDS}
    if isinstance(kept.get("emoji"), dict):
        kept["emoji"] = emoji(kept["emoji"])
    return kept
