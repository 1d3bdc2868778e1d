"""The key of the identity hashes that keep a block after the blocked person is forgotten.

A block must hold even after the blocked person uses ``forget`` and joins again, so the store
keeps, instead of their platform id, HMAC-SHA256 of (community, platform, user id) under this
key (:mod:`store.blocks`). The key is kept apart from the rows it protects: someone with a copy
of the database alone cannot test which chat accounts were blocked, since Discord ids and
Matrix ids can be listed and hashed by anyone who knows the key.

Where it comes from, strongest first:

* ``bot.identity_key`` (env ``TANDEM_BOT__IDENTITY_KEY``), at least 32 characters: for several
  processes on one PostgreSQL, which must all hash with the same key;
* else ``<bot.data_dir>/identity.key``: 32 random bytes, generated the first time a block is made
  or checked (mode 0600, like the rest of the data directory), and never overwritten.

The key is read only when it is needed (a block is made or matched against), so a bot whose
members never block anyone never writes the file. ``docs/privacy.md`` ("Blocks") says what this
protects and what it does not.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from bot.adapter import StartRefused
from bot.config import BotSettings
from bot.files import data_dir, write_private

KEY_FILE = "identity.key"
KEY_BYTES = 32


class IdentityKeyChanged(StartRefused):
    """Blocks in the database were made with another key than the one the bot has now."""


def key_source(settings: BotSettings) -> Callable[[], bytes]:
    """A function giving the key (read or generated at its first call, then remembered)."""
    found: list[bytes] = []

    def key() -> bytes:
        if not found:
            found.append(load_identity_key(settings))
        return found[0]

    return key


def load_identity_key(settings: BotSettings) -> bytes:
    """The configured key, or the one in the data directory (made there the first time)."""
    if settings.identity_key is not None:
        return settings.identity_key.get_secret_value().encode()
    path = data_dir(settings.data_dir) / KEY_FILE
    if not path.exists():
        _create_once(path)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise StartRefused(
            f"{path} holds no usable key (fewer than {KEY_BYTES} bytes); restore it from a "
            "back-up, or set bot.identity_key to the key the blocks were made with"
        )
    return key


def _create_once(path: Path) -> None:
    """Write a new key unless another process just did: the file appears whole or not at all
    (written aside, then linked into place, which fails if the name is taken)."""
    aside = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    write_private(aside, secrets.token_bytes(KEY_BYTES))
    try:
        os.link(aside, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the key
    finally:
        aside.unlink()


def key_is_missing(settings: BotSettings) -> bool:
    """Whether the key would be made anew at its first use (no key configured, no file)."""
    path = Path(settings.data_dir).expanduser() / KEY_FILE
    return settings.identity_key is None and not path.exists()


def key_missing_message(settings: BotSettings) -> str:
    path = Path(settings.data_dir) / KEY_FILE
    return (
        f"the identity key ({path}) is missing, but the database holds blocks made with it: a "
        "new key could no longer keep those members apart, so the bot made none; restore "
        f"{KEY_FILE} from the back-up of the data directory (or set bot.identity_key to the old "
        "key) and start again"
    )


def key_changed_message(settings: BotSettings) -> str:
    where = (
        "bot.identity_key"
        if settings.identity_key is not None
        else str(Path(settings.data_dir) / KEY_FILE)
    )
    return (
        f"the identity key ({where}) is not the one the members' blocks were made with, so "
        "the bot could no longer keep them apart; restore the old key (from a back-up of the "
        "data directory, or the old bot.identity_key) and start again"
    )
