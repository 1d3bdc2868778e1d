"""The key of the identity hashes that keep blocks: generated once, private, never overwritten;
a bot whose key no longer matches its blocks refuses to start instead of dropping them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import ConfigError, load_settings
from bot.identity_key import KEY_FILE, IdentityKeyChanged, key_source, load_identity_key
from tests.conftest import Database, settings_for


def test_the_key_is_made_once_in_the_data_dir_private_to_the_bot(tmp_path: Path) -> None:
    settings = load_settings(None, bot={"data_dir": str(tmp_path / "data")}).bot
    source = key_source(settings)
    path = tmp_path / "data" / KEY_FILE
    assert not path.exists()  # nothing is written before a block needs it
    key = source()
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_identity_key(settings) == key  # read again, not made anew
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]


def test_a_configured_key_is_used_and_a_short_one_refused(tmp_path: Path) -> None:
    configured = "k" * 40
    settings = load_settings(None, bot={"data_dir": str(tmp_path), "identity_key": configured}).bot
    assert load_identity_key(settings) == configured.encode()
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(ConfigError, match=r"bot\.identity_key: .*at least 32 characters"):
        load_settings(None, bot={"identity_key": "too-short-key-4711"})


async def test_the_bot_refuses_to_start_when_its_key_no_longer_matches_the_blocks(
    sqlite_db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    data = {"bot": {"data_dir": str(tmp_path / "data")}}
    app = App(settings_for(sqlite_db.url, **data), clock=clock, adapter_names=["memory"])
    await app.start()
    try:
        ana = await app.store.members.ensure("memory", "memory", "ana", now=clock.now())
        await app.store.blocks.block(ana, "memory", "ben", now=clock.now())
    finally:
        await app.stop()
    (tmp_path / "data" / KEY_FILE).write_bytes(b"k" * 32)  # another key, restored wrongly
    again = App(settings_for(sqlite_db.url, **data), clock=clock, adapter_names=["memory"])
    with pytest.raises(IdentityKeyChanged, match="restore the old key"):
        await again.start()
    await again.stop()


async def test_a_lost_key_file_is_refused_before_a_new_one_is_written(
    sqlite_db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    data = {"bot": {"data_dir": str(tmp_path / "data")}}
    app = App(settings_for(sqlite_db.url, **data), clock=clock, adapter_names=["memory"])
    await app.start()
    try:
        ana = await app.store.members.ensure("memory", "memory", "ana", now=clock.now())
        await app.store.blocks.block(ana, "memory", "ben", now=clock.now())
    finally:
        await app.stop()
    (tmp_path / "data" / KEY_FILE).unlink()  # a data directory lost in a move
    again = App(settings_for(sqlite_db.url, **data), clock=clock, adapter_names=["memory"])
    with pytest.raises(
        IdentityKeyChanged, match=r"is missing.*restore identity\.key from the back-up"
    ):
        await again.start()
    await again.stop()
    # Nothing was written meanwhile: restoring the old key file is all it takes.
    assert not (tmp_path / "data" / KEY_FILE).exists()
