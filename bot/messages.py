"""Translatable text as data: a message id plus parameters, rendered per member at send time.

Flows never build user-facing strings; they return :class:`Msg` values. The adapter renders them
in the member's locale with :mod:`bot.i18n`. Parameters are inserted as plain values (never
parsed as format strings), so member-written text cannot inject placeholders. A parameter
that carries member-written text is wrapped in :class:`UserText` (:func:`user_text`): each
adapter's renderer escapes it for its platform's markup, so it shows literally to whoever reads
it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from bot.places import Frozen, Place


class UserText(Frozen):
    """Text a member wrote, as a message parameter: shown as written, never as markup."""

    text: str


def user_text(text: str) -> UserText:
    return UserText(text=text)


class Msg(Frozen):
    """A message id from the catalogs with its parameters.

    A parameter may itself be a :class:`Msg` (translated in the same locale), a tuple of them
    (translated and joined with ", ") or a list (one per line). ``count`` selects the plural
    form where the catalog has one.
    """

    id: str
    params: dict[str, Any] = Field(default_factory=dict)
    count: int | None = None
    # Organizer-written text (a topic label, an extra question) in each locale, instead of a
    # catalog entry; see :func:`organizer_text`.
    texts: dict[str, str] | None = None

    @field_validator("params")
    @classmethod
    def _params_are_plain(cls, params: dict[str, Any]) -> dict[str, Any]:
        for key, value in params.items():
            if not isinstance(value, str | int | float | Msg | UserText | PlaceLink | tuple | list):
                raise TypeError(f"parameter {key!r} must be text, a number or a Msg")
        return params


class PlaceLink(Frozen):
    """A place a message points to (a pair space), named by ``name``: each adapter shows it the
    way its platform links to a place (a Discord channel mention, a matrix.to link), or else by
    its name (see :meth:`bot.i18n.Translator.linking`)."""

    place: Place
    name: Msg


def msg(message_id: str, count: int | None = None, **params: Any) -> Msg:
    """Shorthand used throughout the flows: ``msg("join.ask_name", name=...)``."""
    return Msg(id=message_id, params=params, count=count)


ORGANIZER_TEXT_ID = "organizer.text"


def organizer_text(texts: dict[str, str]) -> Msg:
    """Text an organizer wrote in the config, per locale (``{"en": …, "de": …}``)."""
    return per_locale(texts)


def per_locale(texts: dict[str, str]) -> Msg:
    """Text already written out in each locale rather than a catalog entry: an organizer's
    (:func:`organizer_text`), or names from locale data (a time zone's name in CLDR)."""
    return Msg(id=ORGANIZER_TEXT_ID, texts=texts)
