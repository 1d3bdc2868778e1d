"""The bot's Matrix client: configuration, login, and the files that must survive a restart.

Everything lives in one directory (``matrix.store_dir``, default ``<bot.data_dir>/matrix``,
created with mode 0700):

``session.json``              user id, device id and access token of the bot's device
``<user>_<device>.db``        matrix-nio's SQLite crypto store: the olm account, megolm
                              sessions and the devices the bot has seen
``crypto_store.key``          the passphrase that store is encrypted with (mode 0600),
                              generated on the first start unless ``matrix.crypto_store_key``
                              is set; never matrix-nio's default ``"DEFAULT_KEY"``

Logging in again for every start would create a new device each time, and with it a new
identity that nobody has shared room keys with. So the first start logs in (password) or adopts
the configured access token, and every later start restores the same device from
``session.json``. If the saved token stops working (the device was logged out from another
client, or by an admin), the homeserver has deleted that device and its keys: with a password
configured the bot logs in on a *new* device with a fresh crypto store (the old device's store
is deleted), whose keys it uploads, so members' clients share room keys with it again.

matrix-nio's own retry loops are switched off (``max_limit_exceeded=0, max_timeouts=0``); the
adapter retries with bounds (:mod:`adapters.matrix.retry`). The sync token is not kept here but
in the database, next to the conversations it belongs to (:mod:`adapters.matrix.records`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse
from nio.store import SqliteStore

from adapters.matrix.retry import RequestFailed, RetryPolicy
from bot.adapter import StartRefused
from bot.config import MatrixSettings, Settings
from bot.files import data_dir, private_dir

log = logging.getLogger(__name__)

SESSION_FILE = "session.json"
CRYPTO_KEY_FILE = "crypto_store.key"
# What matrix-nio encrypts its store with when given nothing (AsyncClientConfig.pickle_key).
NIO_DEFAULT_PICKLE_KEY = "DEFAULT_KEY"


class LoginFailed(StartRefused):
    """The bot account could not log in; the message says which setting to check."""


@dataclass(frozen=True)
class SavedSession:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str


def store_dir(settings: Settings) -> Path:
    """The crypto store's folder, made (or tightened) private to the bot's user, and the data
    directory around it when it is the default one."""
    if settings.matrix.store_dir is not None:
        return private_dir(Path(settings.matrix.store_dir))
    return data_dir(settings.bot.data_dir, "matrix")


def store_path(settings: Settings) -> Path:
    """Where :func:`store_dir` is, without making it (``tandem doctor`` only looks)."""
    if settings.matrix.store_dir is not None:
        return Path(settings.matrix.store_dir)
    return Path(settings.bot.data_dir).expanduser() / "matrix"


def crypto_store_key(matrix: MatrixSettings, folder: Path) -> tuple[str, bool]:
    """The configured passphrase of the crypto store, else the one generated for this store
    directory on its first start and kept in ``crypto_store.key`` (mode 0600); and whether it
    was generated just now."""
    if matrix.crypto_store_key is not None:
        return matrix.crypto_store_key.get_secret_value(), False
    path = folder / CRYPTO_KEY_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip(), False
    key = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key)
    return key, True


def client_config(matrix: MatrixSettings, pickle_key: str) -> AsyncClientConfig:
    return AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=0,
        encryption_enabled=matrix.encryption,
        store_sync_tokens=False,
        request_timeout=matrix.request_timeout_seconds,
        pickle_key=pickle_key,
    )


def crypto_store_files(folder: Path, user_id: str, device_id: str) -> list[Path]:
    """matrix-nio's store of one device (its default name) and SQLite's files beside it."""
    database = folder / f"{user_id}_{device_id}.db"
    return [database, *(database.with_name(database.name + tail) for tail in ("-wal", "-shm"))]


def read_session(folder: Path) -> SavedSession | None:
    try:
        raw = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
        return SavedSession(**raw)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as error:
        log.warning("ignoring unreadable %s: %s", folder / SESSION_FILE, error)
        return None


def usable_session(matrix: MatrixSettings, folder: Path) -> SavedSession | None:
    """The saved session, if it is of the configured account and no other access token was
    configured since (the operator gave a new token: adopt it, and its device)."""
    saved = read_session(folder)
    if saved is not None and (
        saved.user_id != matrix.user_id or saved.homeserver != matrix.homeserver
    ):
        log.warning("the saved Matrix session is for another account; starting a new device")
        return None
    configured_token = matrix.access_token.get_secret_value() if matrix.access_token else None
    if saved is not None and configured_token and saved.access_token != configured_token:
        return None
    return saved


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
    saved = usable_session(matrix, folder)
    configured_token = matrix.access_token.get_secret_value() if matrix.access_token else None
    device_id = saved.device_id if saved else matrix.device_id
    pickle_key, generated = crypto_store_key(matrix, folder)
    if saved is not None and generated:
        rekey_legacy_store(folder, saved, pickle_key)
    client = AsyncClient(
        matrix.homeserver,
        matrix.user_id,
        device_id=device_id,
        store_path=str(folder),
        config=client_config(matrix, pickle_key),
    )
    try:
        session = await _log_in(client, matrix, saved, configured_token, retry)
    except BaseException:
        await client.close()
        raise
    write_session(folder, session)
    if saved is not None and saved.device_id != session.device_id:
        # The old device is gone from the homeserver; its room keys must not linger here.
        for path in crypto_store_files(folder, saved.user_id, saved.device_id):
            path.unlink(missing_ok=True)
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
            if error.unreachable:
                raise unreachable(matrix, error) from None
            if matrix.password is None:
                raise LoginFailed(": ".join(token_refused(matrix, error))) from None
            # Logged out: the homeserver deleted the device and its keys with the token.
            log.warning("matrix: the saved access token was revoked; logging in on a new device")
            client.device_id = None  # type: ignore[assignment]
        else:
            assert isinstance(whoami, WhoamiResponse)
            if whoami.user_id != matrix.user_id:
                raise LoginFailed(": ".join(token_of_another(matrix, whoami.user_id)))
            device_id = (saved.device_id if saved else None) or whoami.device_id
            if not device_id:
                raise LoginFailed(
                    "the homeserver did not say which device the token is for; set matrix.device_id"
                )
            client.restore_login(matrix.user_id, device_id, token)
            return SavedSession(matrix.homeserver, matrix.user_id, device_id, token)
    if matrix.password is None:
        raise LoginFailed(
            "no usable login: set matrix.password (TANDEM_MATRIX__PASSWORD) or "
            "matrix.access_token (TANDEM_MATRIX__ACCESS_TOKEN)"
        )
    client.access_token = ""
    try:
        response = await retry.call(
            "log in",
            lambda: client.login(
                matrix.password.get_secret_value(), device_name=matrix.device_name
            ),
        )
    except RequestFailed as error:
        if error.unreachable:
            raise unreachable(matrix, error) from None
        raise LoginFailed(": ".join(password_refused(matrix, error))) from None
    assert isinstance(response, LoginResponse)
    return SavedSession(
        matrix.homeserver, matrix.user_id, response.device_id, response.access_token
    )


def unreachable(matrix: MatrixSettings, error: RequestFailed) -> LoginFailed:
    cause, fix = homeserver_unreachable(matrix, error)
    return LoginFailed(f"{cause}. {fix}, then start Tandem again.")


# Why the bot cannot log in, and apart from it what to do (said by ``LoginFailed`` and by
# ``tandem doctor``).


def homeserver_unreachable(matrix: MatrixSettings, error: RequestFailed) -> tuple[str, str]:
    return (
        f"cannot reach the homeserver {matrix.homeserver} ({refusal(error)})",
        "Check matrix.homeserver (its client URL, e.g. https://matrix.example.org; the address "
        "Element shows under Settings → Help & About) and this machine's network",
    )


def token_refused(matrix: MatrixSettings, error: RequestFailed) -> tuple[str, str]:
    return (
        f"the homeserver refused the Matrix access token ({refusal(error)})",
        "set matrix.access_token (TANDEM_MATRIX__ACCESS_TOKEN) to a valid token of "
        f"{matrix.user_id}, or configure matrix.password",
    )


def token_of_another(matrix: MatrixSettings, owner: str) -> tuple[str, str]:
    return (
        f"matrix.access_token (TANDEM_MATRIX__ACCESS_TOKEN) belongs to {owner}, not to "
        f"matrix.user_id {matrix.user_id}",
        "set a token of the bot's own account",
    )


def password_refused(matrix: MatrixSettings, error: RequestFailed) -> tuple[str, str]:
    return (
        f"the homeserver {matrix.homeserver} refused to log in {matrix.user_id} ({refusal(error)})",
        "check matrix.password (TANDEM_MATRIX__PASSWORD) and matrix.user_id",
    )


def refusal(error: RequestFailed) -> str:
    """What the homeserver said, without the request's wording around it."""
    return str(error).partition(": ")[2] or str(error)


def rekey_legacy_store(folder: Path, saved: SavedSession, pickle_key: str) -> None:
    """A crypto store from before the generated passphrase is encrypted with matrix-nio's
    default key: encrypt it again with ``pickle_key``."""
    if not crypto_store_files(folder, saved.user_id, saved.device_id)[0].exists():
        return
    store = SqliteStore(saved.user_id, saved.device_id, str(folder), NIO_DEFAULT_PICKLE_KEY)
    try:
        account = store.load_account()
        if account is None:
            return
        sessions = store.load_sessions()
        group_sessions = list(store.load_inbound_group_sessions())
        store.pickle_key = pickle_key
        store.save_account(account)
        for curve_key, by_key in sessions.items():
            for session in by_key:
                store.save_session(curve_key, session)
        for group_session in group_sessions:
            store.save_inbound_group_session(group_session)
    finally:
        store.database.close()
    log.info("matrix: the crypto store is now encrypted with its own passphrase")
