"""The bot's Matrix client: configuration, login, and the files that must survive a restart.

Everything lives in one directory (``matrix.store_dir``, default ``<bot.data_dir>/matrix``,
created with mode 0700):

``session.json``              user id, device id and access token of the bot's device
``<user>_<device>.db``        matrix-nio's SQLite crypto store: the olm account, megolm
                              sessions and the devices the bot has seen

Logging in again for every start would create a new device each time, and with it a new
identity that nobody has shared room keys with. So the first start logs in (password) or adopts
the configured access token, and every later start restores the same device from
``session.json``. If the saved token stops working and a password is configured, the bot logs
in again *with the same device id*, so its crypto store stays valid.

matrix-nio's own retry loops are switched off (``max_limit_exceeded=0, max_timeouts=0``); the
adapter retries with bounds (:mod:`adapters.matrix.retry`). The sync token is not kept here but
in the database, next to the conversations it belongs to (:mod:`adapters.matrix.records`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.matrix.retry import RequestFailed, RetryPolicy
from bot.config import MatrixSettings, Settings

log = logging.getLogger(__name__)

SESSION_FILE = "session.json"


class LoginFailed(Exception):
    """The bot account could not log in; the message says which setting to check."""


@dataclass(frozen=True)
class SavedSession:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def store_dir(settings: Settings) -> Path:
    return Path(settings.matrix.store_dir or Path(settings.bot.data_dir) / "matrix")


def client_config(matrix: MatrixSettings) -> AsyncClientConfig:
    options = {}
    if matrix.crypto_store_key is not None:
        options["pickle_key"] = matrix.crypto_store_key.get_secret_value()
    return AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=0,
        encryption_enabled=matrix.encryption,
        store_sync_tokens=False,
        request_timeout=matrix.request_timeout_seconds,
        **options,
    )


def read_session(folder: Path) -> SavedSession | None:
    try:
        raw = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
        return SavedSession(**raw)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as error:
        log.warning("ignoring unreadable %s: %s", folder / SESSION_FILE, error)
        return None


def write_session(folder: Path, session: SavedSession) -> None:
    path = folder / SESSION_FILE
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(session.__dict__, file)
    temporary.replace(path)


async def open_client(settings: Settings, retry: RetryPolicy) -> AsyncClient:
    """A logged-in client on the bot's persistent device, its crypto store loaded."""
    matrix = settings.matrix
    folder = store_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    saved = read_session(folder)
    if saved is not None and (
        saved.user_id != matrix.user_id or saved.homeserver != matrix.homeserver
    ):
        log.warning("the saved Matrix session is for another account; starting a new device")
        saved = None
    configured_token = matrix.access_token.get_secret_value() if matrix.access_token else None
    if saved is not None and configured_token and saved.access_token != configured_token:
        saved = None  # the operator gave a new token: adopt it (and its device)
    device_id = saved.device_id if saved else matrix.device_id
    client = AsyncClient(
        matrix.homeserver,
        matrix.user_id,
        device_id=device_id,
        store_path=str(folder),
        config=client_config(matrix),
    )
    try:
        session = await _log_in(client, matrix, saved, configured_token, retry)
    except BaseException:
        await client.close()
        raise
    write_session(folder, session)
    if client.olm is not None and client.should_upload_keys:
        await retry.call("upload keys", client.keys_upload)
    log.info("matrix: logged in as %s on device %s", session.user_id, session.device_id)
    return client


async def _log_in(
    client: AsyncClient,
    matrix: MatrixSettings,
    saved: SavedSession | None,
    configured_token: str | None,
    retry: RetryPolicy,
) -> SavedSession:
    token = saved.access_token if saved else configured_token
    if token is not None:
        client.access_token = token
        try:
            whoami = await retry.call("check the access token", client.whoami)
        except RequestFailed as error:
            if matrix.password is None:
                raise LoginFailed(
                    f"the Matrix access token was refused ({error}); set matrix.access_token "
                    "to a valid token or configure matrix.password"
                ) from None
            log.warning("matrix: the saved access token no longer works; logging in again")
        else:
            assert isinstance(whoami, WhoamiResponse)
            if whoami.user_id != matrix.user_id:
                raise LoginFailed(
                    f"the access token belongs to {whoami.user_id}, not to matrix.user_id "
                    f"{matrix.user_id}"
                )
            device_id = (saved.device_id if saved else None) or whoami.device_id
            if not device_id:
                raise LoginFailed(
                    "the homeserver did not say which device the token is for; set matrix.device_id"
                )
            client.restore_login(matrix.user_id, device_id, token)
            return SavedSession(matrix.homeserver, matrix.user_id, device_id, token)
    if matrix.password is None:
        raise LoginFailed("no usable login: set matrix.password or matrix.access_token")
    client.access_token = ""
    try:
        response = await retry.call(
            "log in",
            lambda: client.login(
                matrix.password.get_secret_value(), device_name=matrix.device_name
            ),
        )
    except RequestFailed as error:
        raise LoginFailed(
            f"could not log in as {matrix.user_id} at {matrix.homeserver}: {error}"
        ) from None
    assert isinstance(response, LoginResponse)
    return SavedSession(
        matrix.homeserver, matrix.user_id, response.device_id, response.access_token
    )
