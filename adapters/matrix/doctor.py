"""What ``tandem doctor`` checks on Matrix: the login, the configured rooms, and the bot's
encryption keys on the homeserver. It makes no device that stays and changes nothing the bot
uses, so it runs beside a running bot.

* **The login.** With the session the bot saved for its device (``session.json`` in the store
  directory, :mod:`.session`) or ``matrix.access_token``: ``GET /account/whoami`` (the token's
  user and device). With only a password: ``POST /login``, and the device that makes is
  logged out again at once (``POST /logout`` deletes it and its keys).
* **The rooms** (``community_room``, ``organizer_room``, ``celebration_room``): an alias
  resolves (``GET /directory/room/{alias}``), the bot has joined (``GET /joined_rooms``), and
  where it posts its power level is at least what sending its messages there needs: the
  room's ``m.room.power_levels``, ``events`` for the event type (``m.room.encrypted`` in an
  encrypted room) else ``events_default``, against ``users`` for the bot else
  ``users_default`` (Client-Server API, ``m.room.power_levels``). The bot needs no power in the
  community room, only to be in it; in pair rooms it is the creator.
* **The keys.** ``POST /keys/query`` for the bot's own device: the homeserver holds its
  ed25519 and curve25519 keys (else members' clients cannot encrypt to it), and they are the
  keys of the account in the bot's crypto store (else the bot cannot read what they encrypt).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import vodozemac
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedRoomsResponse,
    RoomGetStateEventResponse,
    RoomResolveAliasResponse,
    WhoamiResponse,
)
from nio.api import Api
from nio.store import SqliteStore

from adapters.matrix.retry import RequestFailed, RetryPolicy
from adapters.matrix.session import (
    CRYPTO_KEY_FILE,
    SavedSession,
    crypto_store_files,
    homeserver_unreachable,
    password_refused,
    refusal,
    store_path,
    token_of_another,
    token_refused,
    usable_session,
)
from bot.config import MatrixSettings, Settings
from bot.doctor import Finding, fail, ok, warn

SUBJECT = "matrix"
#: How long all of Matrix's checks may take, and one request, before the doctor gives up.
PATIENCE_SECONDS = 30.0
REQUEST_SECONDS = 10.0
#: The configured rooms, and whether the bot posts there.
ROOMS = (("community_room", False), ("organizer_room", True), ("celebration_room", True))


@dataclass(frozen=True)
class Login:
    """How the doctor is logged in: the bot's device (None: a device of its own, which it logs
    out again when done)."""

    device_id: str | None


async def diagnose(settings: Settings) -> list[Finding]:
    matrix = settings.matrix
    client = AsyncClient(
        matrix.homeserver,
        matrix.user_id,
        config=AsyncClientConfig(
            max_limit_exceeded=0,
            max_timeouts=0,
            encryption_enabled=False,
            store_sync_tokens=False,
            request_timeout=REQUEST_SECONDS,
        ),
    )
    retry = RetryPolicy(attempts=1, rate_limit_patience=REQUEST_SECONDS)
    try:
        async with asyncio.timeout(PATIENCE_SECONDS):
            return await _diagnose(client, settings, retry)
    except TimeoutError:
        _, fix = homeserver_unreachable(matrix, RequestFailed("no answer"))
        silent = (
            f"the homeserver {matrix.homeserver} did not answer within {PATIENCE_SECONDS:.0f} s"
        )
        return [fail(SUBJECT, silent, fix)]
    finally:
        await client.close()


async def _diagnose(client: AsyncClient, settings: Settings, retry: RetryPolicy) -> list[Finding]:
    folder = store_path(settings)
    saved = usable_session(settings.matrix, folder)
    login, found = await _log_in(client, settings.matrix, saved, retry)
    if login is None:
        return found
    try:
        found += await _rooms(client, settings.matrix, retry)
        if login.device_id is not None and settings.matrix.encryption:
            found += await _keys(client, settings, folder, login.device_id)
    except (aiohttp.ClientError, OSError) as error:
        failed = RequestFailed(f"{type(error).__name__}: {error}", unreachable=True)
        found.append(fail(SUBJECT, *homeserver_unreachable(settings.matrix, failed)))
    except RequestFailed as error:
        trouble = (
            homeserver_unreachable(settings.matrix, error)
            if error.unreachable
            else (
                f"the homeserver failed a request ({error})",
                "try again in a while; if it stays, the homeserver's log says why",
            )
        )
        found.append(fail(SUBJECT, *trouble))
    finally:
        if login.device_id is None:
            await client.logout()  # the doctor's own device goes, with its keys
    return found


async def _log_in(
    client: AsyncClient, matrix: MatrixSettings, saved: SavedSession | None, retry: RetryPolicy
) -> tuple[Login | None, list[Finding]]:
    """Log in the way the bot will; what was found, and the login (None: no way in)."""
    found: list[Finding] = []
    configured = matrix.access_token.get_secret_value() if matrix.access_token else None
    token = saved.access_token if saved else configured
    if token is not None:
        client.access_token = token
        source = "the bot's saved session" if saved else "matrix.access_token"
        try:
            whoami = await retry.call("check the access token", client.whoami)
        except RequestFailed as error:
            if error.unreachable:
                return None, [fail(SUBJECT, *homeserver_unreachable(matrix, error))]
            if matrix.password is None:
                return None, [fail(SUBJECT, *token_refused(matrix, error))]
            found.append(
                warn(
                    SUBJECT,
                    f"the homeserver refused the token of {source} ({refusal(error)}): the bot "
                    "will log in with matrix.password on a new device, whose keys members' "
                    "clients learn anew",
                    "nothing, if the device was logged out on purpose; otherwise find out who "
                    "logged it out (Element: the bot's Settings, Sessions)",
                )
            )
        else:
            assert isinstance(whoami, WhoamiResponse)
            if whoami.user_id != matrix.user_id:
                return None, [fail(SUBJECT, *token_of_another(matrix, whoami.user_id))]
            device = (saved.device_id if saved else None) or whoami.device_id
            found.append(
                ok(SUBJECT, f"logged in as {whoami.user_id} on device {device} ({source})")
            )
            return Login(device), found
    if matrix.password is None:
        return None, [
            *found,
            fail(
                SUBJECT,
                "no usable login",
                "set matrix.password (TANDEM_MATRIX__PASSWORD) or matrix.access_token "
                "(TANDEM_MATRIX__ACCESS_TOKEN)",
            ),
        ]
    client.access_token = ""
    password = matrix.password.get_secret_value()
    try:
        await retry.call(
            "log in", lambda: client.login(password, device_name="Tandem doctor (logged out)")
        )
    except RequestFailed as error:
        if error.unreachable:
            return None, [*found, fail(SUBJECT, *homeserver_unreachable(matrix, error))]
        return None, [*found, fail(SUBJECT, *password_refused(matrix, error))]
    found.append(
        ok(
            SUBJECT,
            f"matrix.password logs in {matrix.user_id} (the doctor's device is logged out again; "
            "the bot makes its own and uploads its keys when it starts)",
        )
    )
    return Login(None), found


async def _rooms(client: AsyncClient, matrix: MatrixSettings, retry: RetryPolicy) -> list[Finding]:
    joined_rooms = await retry.call("list the joined rooms", client.joined_rooms)
    assert isinstance(joined_rooms, JoinedRoomsResponse)
    joined = set(joined_rooms.rooms)
    found: list[Finding] = []
    for key, posts in ROOMS:
        configured = getattr(matrix, key)
        if not configured:
            continue
        named = f"{configured} (matrix.{key})"
        room_id = configured
        if configured.startswith("#"):
            resolved = await client.room_resolve_alias(configured)
            if not isinstance(resolved, RoomResolveAliasResponse):
                found.append(
                    fail(
                        SUBJECT,
                        f"the alias {named} names no room ({resolved.message})",
                        f"correct matrix.{key}, or give the room's id (Element: Room settings, "
                        "Advanced)",
                    )
                )
                continue
            room_id = resolved.room_id
        if room_id not in joined:
            found.append(fail(SUBJECT, f"the bot is not in {named}", _how_to_join(key)))
        elif posts:
            found.append(await _may_post(client, matrix, named, room_id))
        else:
            found.append(ok(SUBJECT, f"the bot is in {named}"))
    return found


def _how_to_join(key: str) -> str:
    if key == "community_room":
        return (
            "invite the bot to the community room (it accepts that invite at once) or make the "
            "room public: `tandem run` joins it when it starts"
        )
    return (
        "invite the bot there from an account in the community room or in "
        "matrix.admin_user_ids; a running bot accepts at once"
    )


async def _may_post(
    client: AsyncClient, matrix: MatrixSettings, named: str, room_id: str
) -> Finding:
    """Whether the bot's power level lets it send its messages in the room."""
    levels = await _state(client, room_id, "m.room.power_levels") or {}
    encrypted = await _state(client, room_id, "m.room.encryption") is not None
    kind = "m.room.encrypted" if encrypted and matrix.encryption else "m.room.message"
    needed = int(levels.get("events", {}).get(kind, levels.get("events_default", 0)))
    held = int(levels.get("users", {}).get(matrix.user_id, levels.get("users_default", 0)))
    if held >= needed:
        return ok(SUBJECT, f"the bot is in {named} and may post there")
    return fail(
        SUBJECT,
        f"the bot may not post in {named}: sending {kind} needs power level {needed}, the bot "
        f"has {held}",
        f"give the bot power level {needed} there (Element: Room settings, Roles & "
        "Permissions), or let everyone send messages",
    )


async def _state(client: AsyncClient, room_id: str, event_type: str) -> dict[str, Any] | None:
    """A state event's content; None when the room has none of that type."""
    response = await client.room_get_state_event(room_id, event_type)
    if isinstance(response, RoomGetStateEventResponse):
        return dict(response.content)
    return None


async def _keys(
    client: AsyncClient, settings: Settings, folder: Path, device: str
) -> list[Finding]:
    matrix = settings.matrix
    method, path, data = Api.keys_query(client.access_token, {matrix.user_id})
    response = await client.send(method, path, data, headers={"Content-Type": "application/json"})
    answer = json.loads(await response.read())
    keys = answer.get("device_keys", {}).get(matrix.user_id, {}).get(device, {}).get("keys", {})
    on_server = keys.get(f"ed25519:{device}")
    if on_server is None or f"curve25519:{device}" not in keys:
        return [
            fail(
                SUBJECT,
                f"the homeserver has no encryption keys of the bot's device {device}: members' "
                "clients cannot encrypt to it",
                "start the bot (`tandem run`): it uploads them when it starts",
            )
        ]
    try:
        in_store = _store_key(settings, folder, device)
    except (vodozemac.PickleException, vodozemac.LibolmPickleException):
        return [
            fail(
                SUBJECT,
                f"the crypto store in {folder} does not open with its passphrase",
                "set matrix.crypto_store_key back to the passphrase it was made with (or keep "
                f"{CRYPTO_KEY_FILE} beside it); without it the bot cannot read encrypted messages",
            )
        ]
    if in_store is not None and in_store != on_server:
        return [
            fail(
                SUBJECT,
                f"the encryption keys the homeserver has for device {device} are not those of "
                f"the crypto store in {folder}: the bot cannot read what members encrypt to it",
                "log that device out (as the bot, Element: Settings, Sessions) and start the bot "
                "with matrix.password set: it logs in on a new device with new keys",
            )
        ]
    return [ok(SUBJECT, f"the homeserver has the encryption keys of device {device}")]


def _store_key(settings: Settings, folder: Path, device: str) -> str | None:
    """The ed25519 key of the account in the bot's crypto store; None without a store."""
    matrix = settings.matrix
    key_file = folder / CRYPTO_KEY_FILE
    if not crypto_store_files(folder, matrix.user_id, device)[0].is_file():
        return None
    if matrix.crypto_store_key is not None:
        passphrase = matrix.crypto_store_key.get_secret_value()
    elif key_file.is_file():
        passphrase = key_file.read_text(encoding="utf-8").strip()
    else:
        return None  # a store from before the generated passphrase: the bot re-keys it
    store = SqliteStore(matrix.user_id, device, str(folder), passphrase)
    try:
        account = store.load_account()
    finally:
        store.database.close()
    return None if account is None else str(account.identity_keys["ed25519"])
