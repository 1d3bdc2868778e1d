"""The Matrix crypto store's passphrase: generated privately, never matrix-nio's default, and an
old store made with that default re-encrypted with the new one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import vodozemac
from nio.crypto import OlmAccount
from nio.store import SqliteStore

from adapters.matrix.session import (
    CRYPTO_KEY_FILE,
    NIO_DEFAULT_PICKLE_KEY,
    SavedSession,
    crypto_store_key,
    rekey_legacy_store,
)
from bot.config import MatrixSettings

USER = "@tandem:example.org"
DEVICE = "OLDSTORE"


def test_a_passphrase_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    key, generated = crypto_store_key(MatrixSettings(), tmp_path)
    assert generated
    assert key != NIO_DEFAULT_PICKLE_KEY
    assert len(key) >= 32
    assert stat.S_IMODE((tmp_path / CRYPTO_KEY_FILE).stat().st_mode) == 0o600
    assert crypto_store_key(MatrixSettings(), tmp_path) == (key, False)
    configured = MatrixSettings(crypto_store_key="my own passphrase 123")
    assert crypto_store_key(configured, tmp_path) == ("my own passphrase 123", False)


def test_a_store_made_with_nios_default_key_is_encrypted_again(tmp_path: Path) -> None:
    old = SqliteStore(USER, DEVICE, str(tmp_path), NIO_DEFAULT_PICKLE_KEY)
    account = OlmAccount()
    old.save_account(account)
    old.database.close()

    key, _ = crypto_store_key(MatrixSettings(), tmp_path)
    rekey_legacy_store(tmp_path, SavedSession("http://hs", USER, DEVICE, "token"), key)

    with_key = SqliteStore(USER, DEVICE, str(tmp_path), key)
    loaded = with_key.load_account()
    assert loaded is not None
    assert loaded.identity_keys == account.identity_keys
    with_key.database.close()
    with_default = SqliteStore(USER, DEVICE, str(tmp_path), NIO_DEFAULT_PICKLE_KEY)
    with pytest.raises(vodozemac.LibolmPickleException):
        with_default.load_account()
    with_default.database.close()
