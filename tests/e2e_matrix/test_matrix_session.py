"""The bot's login and device on a real homeserver: a revoked token, refused secrets, and the
crypto store's passphrase."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time
from pathlib import Path

import pytest
import vodozemac
from nio.store import SqliteStore

from adapters.matrix.session import CRYPTO_KEY_FILE, NIO_DEFAULT_PICKLE_KEY, read_session
from tests.support.synapse.bot import TandemBot, answering_in_a_dm
from tests.support.synapse.fixtures import DEFAULT_TIMEOUT, MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.timeout(120)]

REPO = Path(__file__).resolve().parents[2]


def store_dir(bot: TandemBot) -> Path:
    return bot.base_dir / "data" / "matrix"


async def test_after_a_logout_the_bot_reads_encrypted_dms_again_on_a_new_device(
    synapse: Homeserver, tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory
) -> None:
    alice = await matrix_user_factory("alice")
    chat = await answering_in_a_dm(tandem_bot, alice)
    adapter = tandem_bot.adapter
    old_device = adapter.client.device_id

    # Logged out from another client: Synapse revokes the token and deletes the device's keys.
    await asyncio.to_thread(
        synapse.request,
        "POST",
        "/_matrix/client/v3/logout",
        {},
        access_token=adapter.client.access_token,
    )
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    while adapter.client.device_id == old_device or adapter.loop.client is not adapter.client:
        assert time.monotonic() < deadline, "the bot did not log in again"
        await asyncio.sleep(0.05)
    new_device = adapter.client.device_id
    saved = read_session(store_dir(tandem_bot))
    assert saved is not None
    assert saved.device_id == new_device
    assert not (store_dir(tandem_bot) / f"{tandem_bot.user_id}_{old_device}.db").exists()

    # Alice's client learns that the bot's old device is gone and a new one came; like Element,
    # it then shares a fresh room key, with the new device too.
    await alice.sync_until(
        lambda: new_device in alice.client.device_store[tandem_bot.user_id],
        what="the bot's new device",
    )
    (answer,) = await chat.exchange("!tandem help")
    assert "!tandem join" in answer.body
    assert answer.decrypted


async def test_the_crypto_store_is_encrypted_with_a_private_generated_passphrase(
    tandem_bot: TandemBot,
) -> None:
    await tandem_bot.start()
    folder = store_dir(tandem_bot)
    key_file = folder / CRYPTO_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="utf-8")
    assert len(key) >= 32
    device = tandem_bot.adapter.client.device_id
    with_default = SqliteStore(tandem_bot.user_id, device, str(folder), NIO_DEFAULT_PICKLE_KEY)
    with pytest.raises(vodozemac.LibolmPickleException):  # nio's last try after the default
        with_default.load_account()
    with_key = SqliteStore(tandem_bot.user_id, device, str(folder), key)
    assert with_key.load_account() is not None
    with_default.database.close()
    with_key.database.close()


async def run_tandem(config: Path, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "run",
        cwd=REPO,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), DEFAULT_TIMEOUT * 2)
    assert process.returncode is not None
    return process.returncode, output.decode()


def config_for(bot: TandemBot, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "tandem.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{folder}/tandem.db"\n'
        f'[bot]\ndata_dir = "{folder}/data"\n'
        f'[matrix]\nenabled = true\nhomeserver = "{bot.homeserver.url}"\n'
        f'user_id = "{bot.user_id}"\nretry_attempts = 1\n',
        encoding="utf-8",
    )
    return config


async def test_a_wrong_password_or_another_users_token_is_refused_with_a_clear_message(
    tandem_bot: TandemBot, matrix_user_factory: MatrixUserFactory, tmp_path: Path
) -> None:
    alice = await matrix_user_factory("alice")
    wrong = "not-the-bots-password-4711"
    (code, output), (token_code, token_output) = await asyncio.gather(
        run_tandem(config_for(tandem_bot, tmp_path / "pw"), {"TANDEM_MATRIX__PASSWORD": wrong}),
        run_tandem(
            config_for(tandem_bot, tmp_path / "token"),
            {"TANDEM_MATRIX__ACCESS_TOKEN": alice.access_token},
        ),
    )
    assert code == 2, output
    assert "matrix.password" in output
    assert "Traceback" not in output
    assert wrong not in output
    assert token_code == 2, token_output
    assert "matrix.access_token" in token_output
    assert alice.user_id in token_output
    assert "Traceback" not in token_output
    assert alice.access_token not in token_output
