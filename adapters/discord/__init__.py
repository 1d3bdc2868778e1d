"""The Discord adapter (discord.py): see :mod:`adapters.discord.adapter` and docs/discord.md."""

from adapters.discord.adapter import DiscordAdapter, DiscordStartError

__all__ = ["DiscordAdapter", "DiscordStartError"]
