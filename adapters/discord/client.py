"""The discord.py client Tandem runs: which gateway intents it asks for and which events it
passes on to the adapter.

Gateway intents, and why each is needed:

* ``guilds`` — guilds, channels, threads and roles in the cache (commands, pair spaces);
* ``members`` (privileged) — ``GUILD_MEMBER_REMOVE``, so a member leaving reaches the flows as
  :class:`~bot.events.MemberLeft`;
* ``dm_messages`` — typed answers in the member's DM. Message *content* of DMs to the bot does not
  need the privileged message-content intent, and the bot reads no guild messages.

Mentions are disabled client-wide (``allowed_mentions``), rate limits (429) and Discord's 5xx are
retried by discord.py's HTTP client as Discord says, and the gateway reconnects and resumes by
itself; the adapter only has to keep going.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord import custom_ids
from adapters.discord.commands import CatalogTranslator
from adapters.discord.components import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)


# Why the bot cannot log in, and what to do (said when it starts, and by ``tandem doctor``).
TOKEN_REFUSED = "Discord refused the bot token"
TOKEN_FIX = "copy it again from the Developer Portal (Bot → Reset Token) into TANDEM_DISCORD__TOKEN"
UNREACHABLE_FIX = (
    "Check this machine's network, DNS and any proxy or firewall (Discord's API is "
    "discord.com, port 443)"
)
MEMBERS_INTENT_FIX = (
    "enable the Server Members intent for the bot in the Developer Portal (Bot → Privileged "
    "Gateway Intents)"
)


def unreachable(error: BaseException) -> str:
    return f"cannot reach Discord ({type(error).__name__}: {error})"


def gateway_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    intents.dm_messages = True
    return intents


def without_voice() -> None:
    """Tandem has no voice: discord.py's warnings, when a client is made, that PyNaCl and davey
    (for voice) are missing are noise no operator can act on."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class TandemClient(discord.Client):
    def __init__(self, adapter: DiscordAdapter, *, guild_ready_timeout: float) -> None:
        without_voice()
        super().__init__(
            intents=gateway_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=False,
            max_messages=500,
        )
        self.tandem = adapter
        self.tree: app_commands.CommandTree[TandemClient] = app_commands.CommandTree(self)
        self.tree.on_error = self._command_failed  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.tree.set_translator(CatalogTranslator(self.tandem.translator))
        for group in self.tandem.command_groups():
            self.tree.add_command(group)

    async def on_message(self, message: discord.Message) -> None:
        await self.tandem.on_dm(message)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        parsed = custom_ids.parse(str(data.get("custom_id", "")))
        if parsed is not None and parsed.kind == "m":
            await self.tandem.on_form(interaction, parsed.prompt_id)

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.tandem.on_member_left(payload.user, payload.guild_id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.tandem.on_guild_join(guild.id)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("discord event %s failed", event_method)

    async def _command_failed(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        log.error("command failed", exc_info=error)
