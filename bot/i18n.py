"""Translation at render time: gettext catalogs (``bot/locales``) read with Babel.

Intents carry :class:`~bot.messages.Msg` values; an adapter calls :meth:`Translator.render`
with the member's locale when it draws them. The locale for a member is chosen by
:func:`choose_locale`: their own choice, else their platform's, else the community default.

Catalogs are the ``.po`` files themselves (several per locale, one per area of the journey,
merged), compiled in memory at start-up, so there is no build step and no stale ``.mo``.
Message ids are symbolic (``join.ask_name``); the English catalog holds the English text.
``tests/test_i18n.py`` fails when an id used in code lacks a translation in either language.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.messages import Msg, PlaceLink, UserText
from bot.places import Place

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "tandem"
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "de")
FALLBACK_LOCALE = "en"


def normalise_locale(raw: str | None) -> str | None:
    """``de-DE``/``de_AT``/``DE`` → ``de``; unsupported or empty → None."""
    if not raw:
        return None
    base = raw.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def choose_locale(member_choice: str | None, platform_locale: str | None, default: str) -> str:
    return (
        normalise_locale(member_choice)
        or normalise_locale(platform_locale)
        or normalise_locale(default)
        or FALLBACK_LOCALE
    )


def catalog_paths(locale: str) -> list[Path]:
    """The locale's catalog files: one per area of the journey (``tandem.po`` for onboarding
    and the kernel, ``introduction.po`` for matching, …), so each area's texts live together."""
    return sorted((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po"))


def read_catalog(locale: str) -> Catalog:
    """All of a locale's catalog files as one catalog; an id defined twice is an error."""
    merged = Catalog(locale=locale, domain=DOMAIN)
    for path in catalog_paths(locale):
        with path.open("rb") as po:
            part = read_po(po, locale=locale)
        for message in part:
            if not message.id:
                continue
            if message.id in merged:
                raise ValueError(f"{path.name}: {message.id!r} is defined in two catalog files")
            merged[message.id] = message
    return merged


@cache
def _translations(locale: str) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(locale))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Renders messages in a locale; missing ids show as the id itself (and a test catches it).

    ``escape`` is applied to every :class:`~bot.messages.UserText` parameter: an adapter whose
    platform reads markup in message text renders with :meth:`escaping`; one whose platform can
    link to a place renders :class:`~bot.messages.PlaceLink` parameters with :meth:`linking`.
    """

    def __init__(
        self,
        escape: Callable[[str], str] | None = None,
        link: Callable[[Place, str], str] | None = None,
    ) -> None:
        self._escape = escape
        self._link = link

    def escaping(self, escape: Callable[[str], str]) -> Translator:
        """The same catalogs, with member-written parameters escaped by ``escape``."""
        return Translator(escape, self._link)

    def linking(self, link: Callable[[Place, str], str]) -> Translator:
        """The same catalogs, with each :class:`~bot.messages.PlaceLink` shown as
        ``link(place, name)`` (by default: its name)."""
        return Translator(self._escape, link)

    def render(self, message: Msg | str, locale: str) -> str:
        if isinstance(message, str):
            return message
        if message.texts is not None:
            wanted = normalise_locale(locale) or FALLBACK_LOCALE
            return (
                message.texts.get(wanted)
                or message.texts.get(FALLBACK_LOCALE)
                or next(iter(message.texts.values()), "")
            )
        catalog = _translations(normalise_locale(locale) or FALLBACK_LOCALE)
        if message.count is None:
            template = catalog.gettext(message.id)
        else:
            template = catalog.ngettext(message.id, message.id, message.count)
        params = {key: self._param(value, locale) for key, value in message.params.items()}
        if message.count is not None:
            params.setdefault("count", message.count)
        try:
            return template.format_map(params)
        except (KeyError, IndexError, ValueError):
            return template

    def _param(self, value: object, locale: str) -> object:
        if isinstance(value, UserText):
            return value.text if self._escape is None else self._escape(value.text)
        if isinstance(value, Msg):
            return self.render(value, locale)
        if isinstance(value, PlaceLink):
            name = self.render(value.name, locale)
            return name if self._link is None else self._link(value.place, name)
        if isinstance(value, tuple):
            return ", ".join(str(self._param(item, locale)) for item in value)
        if isinstance(value, list):
            return "\n".join(str(self._param(item, locale)) for item in value)
        return value

    def variants(self, message: Msg) -> dict[str, str]:
        """The message in every supported locale (to accept an answer typed in either)."""
        return {locale: self.render(message, locale) for locale in SUPPORTED_LOCALES}


def in_every_language(message: Msg) -> Msg:
    """``message`` in every supported language, one after the other: for what the bot says
    before it can know the member's language (the first greeting)."""
    render = Translator().render
    both = "\n".join(render(message, locale) for locale in SUPPORTED_LOCALES)
    # The id stays: it still says which message this is (to tests, and in logs).
    return message.model_copy(update={"texts": dict.fromkeys(SUPPORTED_LOCALES, both)})
