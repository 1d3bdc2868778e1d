"""Slash commands: the ``/tandem`` member group, the ``/tandem-admin`` organizer group, their
translations, and syncing them per guild only when they changed.

* ``/tandem <name>`` has one subcommand per member command the kernel lists
  (``context.commands()``: one per flow, then help, cancel, back); each becomes a
  :class:`~bot.events.CommandInvoked`.
* ``/tandem-admin`` holds the organizer commands; Discord shows it only to members with
  *Manage Server* (its default permission, which server admins may change in the integration
  settings), and every call is checked again here, on the server side
  (:func:`is_organizer`), optionally narrowed to ``discord.admin_role_ids``. Its own subcommand
  ``sync`` re-registers the commands on the guild at once.
* Names stay English; descriptions are translated by :class:`CatalogTranslator` from the same
  catalogs as everything else, for every Discord locale we have a catalog for.
* :class:`CommandSync` registers the commands per guild (never globally, so they appear at once)
  and keeps a hash of what it registered in ``adapter_state``. At start-up it also reads what
  the guild has registered now (one GET) and registers again when that differs from ours: a
  guild that removed the bot dropped its commands, and the stored hash cannot know that.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import discord
from discord import app_commands

from adapters.discord.layout import clip
from bot.commands import CommandSpec
from bot.i18n import FALLBACK_LOCALE, Translator, normalise_locale
from bot.messages import Msg, msg

log = logging.getLogger(__name__)

MEMBER_GROUP = "tandem"
ORGANIZER_GROUP = "tandem-admin"
#: The adapter's own organizer command: register the commands on this guild again, now.
SYNC_COMMAND = "sync"
MAX_DESCRIPTION = 100
_MSG_EXTRA = "tandem_msg"

#: ``(interaction, command name, arguments)``
CommandHandler = Callable[[discord.Interaction[Any], str, tuple[str, ...]], Awaitable[None]]


class CatalogTranslator(app_commands.Translator):
    """Descriptions from the gettext catalogs; names are left alone (they stay English)."""

    def __init__(self, translator: Translator) -> None:
        self._translator = translator

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        message = string.extras.get(_MSG_EXTRA)
        code = normalise_locale(locale.value)
        # English is the default text already; Discord shows it wherever nothing else is given.
        if not isinstance(message, Msg) or code is None or code == FALLBACK_LOCALE:
            return None
        return clip(self._translator.render(message, code), MAX_DESCRIPTION)


def describe(message: Msg, translator: Translator) -> app_commands.locale_str:
    """A description in English for Discord's default, translatable through the catalogs."""
    english = clip(translator.render(message, FALLBACK_LOCALE), MAX_DESCRIPTION)
    return app_commands.locale_str(english, **{_MSG_EXTRA: message})


def is_organizer(
    interaction: discord.Interaction[Any],
    admin_role_ids: Iterable[int],
    guild_ids: Iterable[int],
) -> bool:
    """Server-side check of an organizer command; never trusts that Discord hid the command.

    Only a server of the community (``guild_ids``) counts: the owner of any other server the
    bot is in is nobody here. There, the owner and administrators always pass; otherwise
    *Manage Server* is required and, when ``admin_role_ids`` is configured, one of those roles
    as well.
    """
    if interaction.guild_id is None or interaction.guild_id not in set(guild_ids):
        return False
    user = interaction.user
    guild = interaction.guild
    if guild is not None and guild.owner_id == user.id:
        return True
    permissions = interaction.permissions
    if permissions.administrator:
        return True
    if not permissions.manage_guild:
        return False
    wanted = set(admin_role_ids)
    if not wanted:
        return True
    roles = {role.id for role in getattr(user, "roles", [])}
    return bool(roles & wanted)


def _subcommand(
    spec: CommandSpec, translator: Translator, handler: CommandHandler
) -> app_commands.Command[Any, ..., None]:
    name = spec.name
    description = describe(spec.description, translator)
    if spec.argument is None:

        async def run(interaction: discord.Interaction[Any]) -> None:
            await handler(interaction, name, ())

        return app_commands.Command(name=name, description=description, callback=run)

    async def run_with(interaction: discord.Interaction[Any], value: str | None = None) -> None:
        await handler(interaction, name, (value,) if value else ())

    async def run_with_member(
        interaction: discord.Interaction[Any], value: discord.User | None = None
    ) -> None:
        # A user option: Discord's own picker; the kernel gets the picked user's id.
        await handler(interaction, name, (str(value.id),) if value else ())

    callback = run_with_member if spec.argument.names_member else run_with
    app_commands.rename(value=spec.argument.name)(callback)
    app_commands.describe(value=describe(spec.argument.description, translator))(callback)
    if spec.argument.choices:
        offered = [app_commands.Choice(name=c, value=c) for c in spec.argument.choices]
        app_commands.choices(value=offered)(callback)
    return app_commands.Command(name=name, description=description, callback=callback)


def build_groups(
    specs: Iterable[CommandSpec],
    translator: Translator,
    *,
    on_member_command: CommandHandler,
    on_organizer_command: CommandHandler,
) -> list[app_commands.Group]:
    """The two command groups; organizer commands get ``sync`` beside the flows' own."""
    member_group = app_commands.Group(
        name=MEMBER_GROUP,
        description=describe(msg("discord.group.tandem"), translator),
        guild_only=True,
    )
    organizer_group = app_commands.Group(
        name=ORGANIZER_GROUP,
        description=describe(msg("discord.group.admin"), translator),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    for spec in specs:
        group, handler = (
            (organizer_group, on_organizer_command)
            if spec.organizer_only
            else (member_group, on_member_command)
        )
        group.add_command(_subcommand(spec, translator, handler))
    if organizer_group.get_command(SYNC_COMMAND) is None:
        sync = CommandSpec(SYNC_COMMAND, msg("discord.command.sync"), organizer_only=True)
        organizer_group.add_command(_subcommand(sync, translator, on_organizer_command))
    return [member_group, organizer_group]


class CommandSync:
    """Registers the tree's commands on each guild when their hash changed."""

    def __init__(
        self,
        tree: app_commands.CommandTree[Any],
        load: Callable[[str], Awaitable[Any]],
        save: Callable[[str, Any], Awaitable[None]],
    ) -> None:
        self.tree = tree
        self._load = load
        self._save = save

    async def payload(self, guild: discord.abc.Snowflake) -> list[dict[str, Any]]:
        translator = self.tree.translator
        commands = self.tree.get_commands(guild=guild)
        if translator is None:
            return [command.to_dict(self.tree) for command in commands]
        return [await command.get_translated_payload(self.tree, translator) for command in commands]

    async def sync_guild(self, guild_id: int, *, force: bool = False) -> bool:
        """Register the commands on one guild unless it has them already; True if it did."""
        guild = discord.Object(id=guild_id)
        self.tree.clear_commands(guild=guild)
        self.tree.copy_global_to(guild=guild)
        payload = await self.payload(guild)
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands:{self.tree.client.application_id}:{guild_id}"
        stored = await self._load(key)
        if (
            not force
            and isinstance(stored, dict)
            and stored.get("hash") == digest
            and await self._registered_match(guild_id, payload)
        ):
            log.info("commands on guild %s are up to date", guild_id)
            return False
        await self.tree.sync(guild=guild)
        await self._save(key, {"hash": digest})
        log.info("synced %d commands on guild %s", len(payload), guild_id)
        return True

    async def _registered_match(self, guild_id: int, payload: list[dict[str, Any]]) -> bool:
        """Whether the guild's registered commands are ours (Discord drops them when the bot is
        removed from a guild; inviting it back does not bring them back)."""
        client = self.tree.client
        assert client.application_id is not None
        registered = await client.http.get_guild_commands(client.application_id, guild_id)
        ours = sorted((command_shape(c) for c in payload), key=repr)
        theirs = sorted((command_shape(dict(c)) for c in registered), key=repr)
        if ours != theirs:
            log.info("commands on guild %s differ from ours; registering them again", guild_id)
        return ours == theirs


def command_shape(command: dict[str, Any]) -> tuple[Any, ...]:
    """What a member sees of a command (names, descriptions, options, default permissions), in a
    form the registration request and Discord's answer share: Discord adds ids and versions,
    may leave out false defaults and spells permissions as a string."""
    permissions = command.get("default_member_permissions")
    return (
        command.get("name"),
        command.get("type", 1),
        command.get("description", ""),
        None if permissions is None else str(permissions),
        bool(command.get("required", False)),
        tuple((c.get("name"), c.get("value")) for c in command.get("choices") or []),
        tuple(command_shape(option) for option in command.get("options") or []),
    )
