"""End-to-end tests through the loopback Discord: one fresh fake per test."""

from __future__ import annotations

from tests.support.discord_loopback.fixtures import loopback_discord, raw_http

__all__ = ["loopback_discord", "raw_http"]
