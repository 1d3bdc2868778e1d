"""The loopback gateway: the websocket a discord.py client keeps open.

One :class:`GatewaySession` per IDENTIFY. ``dispatch`` is synchronous: it numbers the event,
appends it to the session's backlog and wakes the session's writer task, which sends it as a
text frame (discord.py only decompresses binary frames, so no zlib). Because the backlog is
kept, a client that reconnects with RESUME gets every event it missed, then RESUMED — which is
how a test proves "events still arrive after a reconnect".

Frames handled: op 1 HEARTBEAT (answered with op 11), op 2 IDENTIFY (token checked, intents
recorded; READY then one GUILD_CREATE per guild), op 6 RESUME, op 8 REQUEST_GUILD_MEMBERS
(answered with GUILD_MEMBERS_CHUNK: GUILD_CREATE carries only the bot without the presences
intent, so a client that wants the members asks for them). Sent: op 10 HELLO, op 0 DISPATCH,
op 7 RECONNECT (``request_reconnect``), op 9 INVALID_SESSION.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.discord_loopback import payloads

_log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_DISALLOWED_INTENTS = 4014

HEARTBEAT_INTERVAL_MS = 41_250

# Gateway intents the fake honours when dispatching.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT


@dataclass(frozen=True)
class IdentifyRecord:
    """What a client sent in IDENTIFY."""

    token: str
    intents: int
    properties: dict[str, Any]

    def has_intent(self, bit: int) -> bool:
        return bool(self.intents & bit)


@dataclass
class GatewaySession:
    session_id: str
    intents: int
    backlog: list[dict[str, Any]] = field(default_factory=list)
    sequence: int = 0
    socket: web.WebSocketResponse | None = None
    sent_upto: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None

    def push(self, event: str, data: Any) -> None:
        self.sequence += 1
        self.backlog.append(payloads.gateway_frame(OP_DISPATCH, data, s=self.sequence, t=event))
        self.wake.set()

    def rewind_to(self, sequence: int) -> None:
        """Resend everything after ``sequence`` (the last one the client saw)."""
        self.sent_upto = next(
            (i for i, frame in enumerate(self.backlog) if frame["s"] > sequence), len(self.backlog)
        )
        self.wake.set()


class Gateway:
    """Accepts websocket clients on ``/`` and dispatches events to every live session."""

    def __init__(
        self,
        *,
        token: str,
        gateway_url: Callable[[], str],
        ready_payloads: Callable[[GatewaySession], tuple[dict[str, Any], list[dict[str, Any]]]],
        on_change: Callable[[], None],
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        member_chunk: Callable[[GatewaySession, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.token = token
        self._member_chunk = member_chunk
        self._gateway_url = gateway_url
        self._ready_payloads = ready_payloads
        self._on_change = on_change
        self.allowed_privileged_intents = allowed_privileged_intents
        self.sessions: dict[str, GatewaySession] = {}
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[str] = []
        self.heartbeats = 0
        self._sockets: set[web.WebSocketResponse] = set()

    # -- dispatch ------------------------------------------------------------
    def dispatch(
        self,
        event: str,
        data: Any | Callable[[GatewaySession], Any],
        *,
        intent: int | None = None,
    ) -> int:
        """Queue ``event`` for each session whose intents include ``intent``; returns how many.

        ``data`` may be a callable taking the session, for payloads that depend on its intents
        (message content is blank without the MESSAGE_CONTENT intent).
        """
        delivered = 0
        for session in self.sessions.values():
            if intent is None or session.intents & intent:
                session.push(event, data(session) if callable(data) else data)
                delivered += 1
        return delivered

    @property
    def connected(self) -> bool:
        return any(s.socket is not None and not s.socket.closed for s in self.sessions.values())

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs on ``resume_gateway_url``."""
        for session in self.sessions.values():
            socket = session.socket
            if socket is not None and not socket.closed:
                await socket.send_str(json.dumps(payloads.gateway_frame(OP_RECONNECT)))

    async def close_all(self) -> None:
        for session in self.sessions.values():
            if session.writer is not None:
                session.writer.cancel()
        for socket in list(self._sockets):
            await socket.close()

    # -- websocket handler ---------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=None, max_msg_size=0)
        await socket.prepare(request)
        self._sockets.add(socket)
        session: GatewaySession | None = None
        try:
            await self._send(
                socket,
                payloads.gateway_frame(OP_HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}),
            )
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op = message.get("op")
                if op == OP_HEARTBEAT:
                    self.heartbeats += 1
                    await self._send(socket, payloads.gateway_frame(OP_HEARTBEAT_ACK))
                elif op == OP_IDENTIFY:
                    session = await self._identify(socket, message["d"])
                    if session is None:
                        break
                elif op == OP_RESUME:
                    session = await self._resume(socket, message["d"])
                    if session is None:
                        break
                elif op == OP_REQUEST_GUILD_MEMBERS and session is not None and self._member_chunk:
                    session.push("GUILD_MEMBERS_CHUNK", self._member_chunk(session, message["d"]))
                    session.wake.set()
                else:
                    _log.debug("loopback gateway ignores op %s", op)
        finally:
            self._sockets.discard(socket)
            if session is not None and session.socket is socket:
                session.socket = None
            self._on_change()
        return socket

    async def _send(self, socket: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        await socket.send_str(json.dumps(frame))

    async def _identify(
        self, socket: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        record = IdentifyRecord(
            token=data.get("token", ""),
            intents=int(data.get("intents", 0)),
            properties=data.get("properties", {}),
        )
        self.identifies.append(record)
        self._on_change()
        if record.token != self.token:
            await socket.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        if record.intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await socket.close(code=CLOSE_DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return None
        session = GatewaySession(session_id=secrets.token_hex(16), intents=record.intents)
        self.sessions[session.session_id] = session
        ready, guilds = self._ready_payloads(session)
        session.push("READY", ready)
        for guild in guilds:
            session.push("GUILD_CREATE", guild)
        self._attach(session, socket)
        return session

    async def _resume(
        self, socket: web.WebSocketResponse, data: dict[str, Any]
    ) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await self._send(socket, payloads.gateway_frame(OP_INVALID_SESSION, False))
            await socket.close(code=1000)
            return None
        self.resumes.append(session.session_id)
        old = session.socket
        if old is not None and old is not socket and not old.closed:
            await old.close(code=1000)
        session.rewind_to(int(data.get("seq") or 0))
        session.push("RESUMED", {"_trace": ["loopback-discord"]})
        self._attach(session, socket)
        self._on_change()
        return session

    def _attach(self, session: GatewaySession, socket: web.WebSocketResponse) -> None:
        session.socket = socket
        if session.writer is None or session.writer.done():
            session.writer = asyncio.create_task(
                self._write(session), name=f"loopback-gateway-{session.session_id}"
            )
        session.wake.set()

    async def _write(self, session: GatewaySession) -> None:
        """Send the backlog in order; stop at a closed socket and resume where RESUME says."""
        while True:
            await session.wake.wait()
            session.wake.clear()
            while session.socket is not None and session.sent_upto < len(session.backlog):
                socket = session.socket
                if socket.closed:
                    break
                frame = session.backlog[session.sent_upto]
                try:
                    await socket.send_str(json.dumps(frame))
                except (ConnectionError, RuntimeError):
                    break
                session.sent_upto += 1
            self._on_change()

    async def wait_closed(self) -> None:
        for session in self.sessions.values():
            if session.writer is not None:
                session.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await session.writer
