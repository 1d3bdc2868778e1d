"""A real Synapse homeserver for tests, run as a subprocess on loopback.

Synapse lives in its own virtual environment (``.synapse-venv/`` at the repo root, created by
``scripts/install-synapse``) so that its pinned dependencies never mix with the bot's. This module
only writes a test-only ``homeserver.yaml`` into a directory, starts
``<venv>/bin/python -m synapse.app.homeserver -c homeserver.yaml`` and talks to it over plain HTTP
with the standard library, so it needs no event loop.

The configuration is for tests only: no federation, SQLite, cheap bcrypt, every rate limiter
relaxed (with Synapse's defaults matrix-nio silently sleeps ~5 s on each 429), users created
through the shared-secret admin API.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_VENV = REPO_ROOT / ".synapse-venv"
SERVER_NAME = "localhost"

#: A rate that no test reaches: 1000 requests per second with a burst of 1000.
_RELAXED: dict[str, float] = {"per_second": 1000, "burst_count": 1000}

_user_counter = itertools.count(1)


def unique_localpart(prefix: str = "user") -> str:
    """A user localpart that no other test of this or an earlier session on the server uses."""
    return f"{prefix}-{os.getpid()}-{next(_user_counter)}-{secrets.token_hex(3)}".lower()


def synapse_python(venv: Path = DEFAULT_VENV) -> Path:
    """The interpreter of the Synapse virtual environment (which may not exist)."""
    return venv / "bin" / "python"


def synapse_missing_reason(venv: Path = DEFAULT_VENV) -> str | None:
    """Why Synapse cannot be started from ``venv``, or None when it looks installed."""
    python = synapse_python(venv)
    if not python.exists():
        return (
            f"Synapse is not installed: {python} does not exist. "
            "Run `bash scripts/install-synapse` first."
        )
    if not (venv / ".tandem-synapse-stamp").exists():
        return (
            f"Synapse install in {venv} is incomplete (no stamp file). "
            "Run `bash scripts/install-synapse` again."
        )
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 60) -> str:
    """The last ``lines`` lines of a text file, or a note that it does not exist."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"<{path} does not exist>"
    return "\n".join(text.splitlines()[-lines:])


class HomeserverError(RuntimeError):
    """The homeserver did not start, stop or answer as expected."""


_sync_limits = itertools.cycle(range(1, 50))


class MatrixHTTPError(HomeserverError):
    """A request to the homeserver returned an HTTP error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class RegisteredUser:
    """A user created through the shared-secret registration API."""

    user_id: str
    localpart: str
    password: str
    access_token: str
    device_id: str


class Homeserver:
    """One Synapse process with its config, SQLite database, media store and logs in ``base_dir``.

    ``start()`` writes the config (once) and launches Synapse; ``stop()`` sends SIGTERM and kills
    it after a grace period; ``restart()`` stops and starts it on the same data and port.
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        venv: Path = DEFAULT_VENV,
        port: int | None = None,
        start_timeout: float = 30.0,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.venv = Path(venv)
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.extra_config = dict(extra_config or {})
        self.server_name = SERVER_NAME
        self.registration_shared_secret = secrets.token_hex(32)
        self._process: subprocess.Popen[bytes] | None = None
        self._admin: RegisteredUser | None = None
        #: Seconds the last ``start()`` took until the client API answered.
        self.last_start_seconds: float | None = None

    # -- paths -----------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.base_dir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        """Synapse's own log (the Python logging output)."""
        return self.base_dir / "homeserver.log"

    @property
    def console_log_path(self) -> Path:
        """stdout/stderr of the Synapse process: errors from before logging is set up."""
        return self.base_dir / "console.log"

    @property
    def url(self) -> str:
        """The client-server API base URL, e.g. ``http://127.0.0.1:12345``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- config ----------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The homeserver.yaml content as a dict (JSON is valid YAML, so it is written as JSON)."""
        base = self.base_dir
        relaxed = dict(_RELAXED)
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"{self.url}/",
            "pid_file": str(base / "homeserver.pid"),
            "report_stats": False,
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(base / "homeserver.db")},
            },
            "log_config": str(base / "log.config.yaml"),
            "media_store_path": str(base / "media_store"),
            "signing_key_path": str(base / "localhost.signing.key"),
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "registration_shared_secret": self.registration_shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            "allow_guest_access": False,
            "bcrypt_rounds": 4,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            "require_auth_for_profile_requests": False,
            # Every rate limiter this Synapse version reads (synapse/config/ratelimiting.py).
            "rc_message": relaxed,
            "rc_registration": relaxed,
            "rc_registration_token_validity": relaxed,
            "rc_login": {
                "address": relaxed,
                "account": relaxed,
                "failed_attempts": relaxed,
            },
            "rc_admin_redaction": relaxed,
            "rc_joins": {"local": relaxed, "remote": relaxed},
            "rc_joins_per_room": relaxed,
            "rc_key_requests": relaxed,
            "rc_3pid_validation": relaxed,
            "rc_invites": {
                "per_room": relaxed,
                "per_user": relaxed,
                "per_issuer": relaxed,
            },
            "rc_third_party_invite": relaxed,
            "rc_media_create": relaxed,
            "rc_presence": {"per_user": relaxed},
            "rc_delayed_event_mgmt": relaxed,
            "rc_room_creation": relaxed,
            "rc_reports": relaxed,
            "rc_user_directory": relaxed,
            "rc_profile": relaxed,
            "rc_federation": {
                "window_size": 1000,
                "sleep_limit": 1000,
                "sleep_delay": 0,
                "reject_limit": 1000,
                "concurrent": 1000,
            },
        }
        config.update(self.extra_config)
        return config

    def _log_config(self) -> dict[str, Any]:
        return {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                    "%(request)s - %(message)s"
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "encoding": "utf8",
                }
            },
            "loggers": {
                "synapse.storage.SQL": {"level": "WARNING"},
                "synapse.access.http": {"level": "INFO"},
            },
            "root": {"level": "INFO", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }

    def write_config(self) -> None:
        """Write homeserver.yaml and the log config; keep an existing one (restarts reuse it)."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / "media_store").mkdir(exist_ok=True)
        if self.config_path.exists():
            return
        (self.base_dir / "log.config.yaml").write_text(
            json.dumps(self._log_config(), indent=2), encoding="utf-8"
        )
        self.config_path.write_text(json.dumps(self.config(), indent=2), encoding="utf-8")

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Launch Synapse and wait until ``/_matrix/client/versions`` answers."""
        if self.running:
            raise HomeserverError(f"Synapse is already running (pid {self.pid})")
        reason = synapse_missing_reason(self.venv)
        if reason is not None:
            raise HomeserverError(reason)
        self.write_config()
        began = time.monotonic()
        with self.console_log_path.open("ab") as console:
            self._process = subprocess.Popen(
                [
                    str(synapse_python(self.venv)),
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(self.config_path),
                ],
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            self._wait_until_ready(began)
        except BaseException:
            self.stop()
            raise
        self.last_start_seconds = time.monotonic() - began

    def _wait_until_ready(self, began: float) -> None:
        deadline = began + self.start_timeout
        last_error = "no attempt yet"
        while time.monotonic() < deadline:
            assert self._process is not None
            code = self._process.poll()
            if code is not None:
                raise HomeserverError(
                    f"Synapse exited with code {code} during startup.\n{self.diagnostics()}"
                )
            try:
                versions = self.request("GET", "/_matrix/client/versions", timeout=1.0)
            except (OSError, HomeserverError) as exc:
                last_error = repr(exc)
                time.sleep(0.05)
                continue
            if "versions" in versions:
                return
            last_error = f"unexpected answer {versions!r}"
        raise HomeserverError(
            f"Synapse did not answer {self.url}/_matrix/client/versions within "
            f"{self.start_timeout:.0f} s (last error: {last_error}).\n{self.diagnostics()}"
        )

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds. Returns the exit code (None if idle)."""
        process = self._process
        if process is None:
            return None
        self._process = None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=grace)
        return process.returncode

    def restart(self) -> None:
        """Stop and start again on the same data directory and port."""
        self.stop()
        self.start()

    def __enter__(self) -> Homeserver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def diagnostics(self, lines: int = 60) -> str:
        """The tails of the console output and the Synapse log, for error messages."""
        return (
            f"--- {self.console_log_path} (tail) ---\n{tail(self.console_log_path, lines)}\n"
            f"--- {self.log_path} (tail) ---\n{tail(self.log_path, lines)}"
        )

    # -- HTTP ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        access_token: str | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """A JSON request to the homeserver; raises ``MatrixHTTPError`` on an error status."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise MatrixHTTPError(
                method, path, exc.code, exc.read().decode("utf-8", "replace")
            ) from exc
        return json.loads(raw) if raw else {}

    def register_user(
        self,
        localpart: str | None = None,
        password: str | None = None,
        admin: bool = False,
        *,
        displayname: str | None = None,
    ) -> tuple[str, str, str]:
        """Create a user via shared-secret registration: ``(user_id, password, access_token)``.

        ``localpart`` defaults to a unique name; ``password`` to a random one.
        """
        user = self.register(localpart, password, admin, displayname=displayname)
        return user.user_id, user.password, user.access_token

    def register(
        self,
        localpart: str | None = None,
        password: str | None = None,
        admin: bool = False,
        *,
        displayname: str | None = None,
    ) -> RegisteredUser:
        """Like ``register_user`` but returns a ``RegisteredUser`` (with the device id)."""
        localpart = localpart or unique_localpart()
        password = password or secrets.token_urlsafe(16)
        path = "/_synapse/admin/v1/register"
        nonce = self.request("GET", path)["nonce"]
        mac = hmac.new(self.registration_shared_secret.encode("utf-8"), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode("utf-8"))
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        body: dict[str, Any] = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        if displayname is not None:
            body["displayname"] = displayname
        result = self.request("POST", path, body)
        return RegisteredUser(
            user_id=result["user_id"],
            localpart=localpart,
            password=password,
            access_token=result["access_token"],
            device_id=result["device_id"],
        )

    @property
    def admin(self) -> RegisteredUser:
        """A server admin, created on first use."""
        if self._admin is None:
            self._admin = self.register(unique_localpart("admin"), admin=True)
        return self._admin

    def room_messages(
        self, room_id: str, access_token: str, *, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Raw timeline events of a room, newest first, as the server holds them (not decrypted)."""
        query = urllib.parse.urlencode({"dir": "b", "limit": limit})
        path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/messages?{query}"
        return list(self.request("GET", path, access_token=access_token)["chunk"])

    def admin_room_messages(self, room_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Raw timeline events through the admin API, newest first (the admin needs no seat)."""
        query = urllib.parse.urlencode({"dir": "b", "limit": limit})
        path = f"/_synapse/admin/v1/rooms/{urllib.parse.quote(room_id)}/messages?{query}"
        return list(self.request("GET", path, access_token=self.admin.access_token)["chunk"])

    def rooms_of(self, access_token: str) -> dict[str, set[str]]:
        """The rooms a user is in (``join``), invited to (``invite``) and has left without
        forgetting them (``leave``), from a fresh sync that includes left rooms: Synapse leaves
        forgotten rooms out of it."""
        # Synapse answers an identical sync from a cache for a while: vary the timeline limit.
        limit = next(_sync_limits)
        sync_filter = json.dumps({"room": {"include_leave": True, "timeline": {"limit": limit}}})
        query = urllib.parse.urlencode({"filter": sync_filter, "timeout": 0})
        rooms = self.request("GET", f"/_matrix/client/v3/sync?{query}", access_token=access_token)
        found = rooms.get("rooms", {})
        return {kind: set(found.get(kind, {})) for kind in ("join", "invite", "leave")}
