"""``LoopbackDiscord``: the aiohttp server on 127.0.0.1 that plays Discord for one test.

This module holds the server's lifecycle (``start``/``stop``/``patch_discord``), building the
world a test needs (``add_guild``, ``add_member``, ``add_text_channel``, ``dm_channel_for``,
``close_dms``, ``remove_bot``/``invite_bot``, ``owner_has_2fa``), fault injection
(``rate_limit``, ``fail_next``), inspection helpers, and the operations the REST handlers share
(storing a message and announcing it on the gateway, the 2FA check of elevated permissions).
Requests Discord still accepts but has deprecated are answered and noted in
``server.deprecations``, which fails a test like a violation does.
What a *person* does — run a command, click, choose, submit a modal, write a message — and the
``wait_for_*`` helpers are in ``driver.py``.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import yarl
from aiohttp import web

from tests.support.discord_loopback import components, limits, payloads
from tests.support.discord_loopback.driver import Driver
from tests.support.discord_loopback.errors import (
    CANNOT_SEND_EMPTY_MESSAGE,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    REQUEST_ENTITY_TOO_LARGE,
    TWO_FACTOR_REQUIRED,
    DiscordError,
    Violation,
    invalid_form_body,
)
from tests.support.discord_loopback.gateway import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_PRESENCES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Gateway,
    GatewaySession,
)
from tests.support.discord_loopback.interactions import InteractionApi
from tests.support.discord_loopback.rest import RestApi
from tests.support.discord_loopback.state import (
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    VIEW_CHANNEL,
    Channel,
    Guild,
    Interaction,
    Message,
    ShiftableClock,
    User,
    World,
)
from tests.support.discord_loopback.transport import (
    Fault,
    Faults,
    RequestRecord,
    Upload,
    make_middleware,
)

JSON = dict[str, Any]

_SETTABLE_FLAGS = (1 << 2) | (1 << 12) | limits.FLAG_IS_COMPONENTS_V2
_INTERACTION_FLAGS = limits.FLAG_EPHEMERAL | limits.FLAG_LOADING


def bot_token(user_id: int) -> str:
    """A token of a real one's shape: the user id, a timestamp and an HMAC, base64url-encoded
    and joined by dots, like the example in discord-api-docs ``developers/reference.mdx``
    (Authentication: ``Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs``)."""
    user = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    issued = base64.urlsafe_b64encode((1_700_000_000).to_bytes(4, "big")).decode().rstrip("=")
    return f"{user}.{issued}.{secrets.token_urlsafe(27)}"


class LoopbackDiscord(Driver):
    """A Discord for one test: REST on ``/api/v10``, the gateway on ``/``, state in ``world``.

    ``now`` is the clock for the 3-second and 15-minute interaction deadlines; by default a
    :class:`ShiftableClock` (``server.clock.advance(seconds)``).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "Tandem",
        now: Callable[[], float] | None = None,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
    ) -> None:
        self.clock = ShiftableClock()
        self.now: Callable[[], float] = now or self.clock
        self.world = World(self.now)
        self.bot = self.add_user(bot_name, bot=True)
        self.world.bot_id = self.bot.id
        # Shaped like a real one, since the bot checks a token's shape before connecting.
        self.token = token or bot_token(self.bot.id)
        self.application_id = self.bot.id
        self.violations: list[Violation] = []
        self.violations_expected = False
        #: Requests Discord accepts but has deprecated, each with why.
        self.deprecations: list[str] = []
        #: Whether the account owning the application has 2FA (elevated permissions need it on
        #: servers requiring 2FA for moderation).
        self.owner_has_2fa = True
        self.requests: list[RequestRecord] = []
        self.faults = Faults()
        self.gateway = Gateway(
            token=self.token,
            gateway_url=lambda: self.gateway_url,
            ready_payloads=self._ready_payloads,
            on_change=self.world.changed,
            allowed_privileged_intents=allowed_privileged_intents,
            member_chunk=self._member_chunk,
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._consumed_messages: set[int] = set()

    # -- lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(
            middlewares=[
                make_middleware(
                    token=self.token,
                    faults=self.faults,
                    requests=self.requests,
                    violations=self.violations,
                    on_change=self.world.changed,
                )
            ]
        )
        app.add_routes([web.get("/", self.gateway.handle)])
        app.add_routes(RestApi(self).routes())
        app.add_routes(InteractionApi(self).routes())
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self.gateway.close_all()
        await self.gateway.wait_closed()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("call `await server.start()` first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[LoopbackDiscord]:
        """Point discord.py's REST base and default gateway here; restore both on exit."""
        import discord.gateway
        import discord.http

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield self
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    def expect_violations(self) -> None:
        """Tell the fixture this test provokes refusals (and deprecated requests) on purpose
        (assert on them yourself)."""
        self.violations_expected = True

    def note_deprecated(self, request: str, why: str) -> None:
        self.deprecations.append(f"{request}: {why}")

    # -- faults ----------------------------------------------------------------------
    def rate_limit(
        self,
        method: str,
        route: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """The next ``times`` requests to ``route`` (a template such as
        ``/channels/{channel_id}/messages``) answer 429 with ``retry_after`` seconds."""
        self.faults.add(Fault(method.upper(), route, 429, times, retry_after, is_global))

    def fail_next(self, method: str, route: str, *, status: int = 500, times: int = 1) -> None:
        """The next ``times`` requests to ``route`` answer ``status`` (discord.py retries in 1s)."""
        self.faults.add(Fault(method.upper(), route, status, times))

    def requests_to(self, method: str, route: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == method.upper() and r.route == route]

    # -- building the world -------------------------------------------------------
    def add_user(self, name: str, *, bot: bool = False) -> User:
        user = User(self.world.next_id(), name, bot=bot)
        self.world.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Tandem test guild",
        *,
        owner: User | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        channel_name: str | None = "general",
        mfa_level: int = 0,
    ) -> Guild:
        """A guild with an owner, the bot (with its managed role) and one text channel;
        ``mfa_level=1``: the server requires 2FA for moderation."""
        owner = owner or self.add_user(f"{name} owner")
        guild = Guild(self.world.next_id(), name, owner.id, mfa_level=mfa_level)
        guild.roles[guild.id] = payloads.role(
            guild.id, "@everyone", permissions=everyone_permissions
        )
        bot_role_id = self.world.next_id()
        guild.roles[bot_role_id] = payloads.role(
            bot_role_id, self.bot.name, permissions=bot_permissions, position=1, managed=True
        )
        guild.bot_role_id = bot_role_id
        self.world.guilds[guild.id] = guild
        self._join(guild, owner.id, [])
        self._join(guild, self.bot.id, [bot_role_id])
        if channel_name is not None:
            self.add_text_channel(guild, channel_name, announce=False)
        self._announce_guild(guild)
        return guild

    def _announce_guild(self, guild: Guild) -> None:
        """GUILD_CREATE for a server the bot joins while connected. ``unavailable`` is only for
        guilds that were or become unavailable (developers/events/gateway-events.mdx, Guild
        Create), so a join leaves it out; discord.py tells a join from a recovery by that."""
        for session in self.gateway.sessions.values():
            if session.intents & INTENT_GUILDS:
                payload = self._guild_payload_for(session, guild)
                payload.pop("unavailable", None)
                session.push("GUILD_CREATE", payload)
        self.world.changed()

    def remove_bot(self, guild: Guild) -> None:
        """The server kicks the bot: GUILD_DELETE without ``unavailable`` ("the user was removed
        from the guild", developers/events/gateway-events.mdx, Guild Delete). Discord deletes
        the app's guild commands there, and inviting it back does not restore them: not in
        Discord's docs, confirmed as expected behaviour by discord.js maintainers
        (discordjs/discord.js issue 10321)."""
        guild.members.pop(self.bot.id, None)
        self.world.commands.pop(guild.id, None)
        self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)}, intent=INTENT_GUILDS)
        self.world.changed()

    def invite_bot(self, guild: Guild) -> None:
        """The server invites the bot again: it rejoins with its role, and GUILD_CREATE follows."""
        self._join(guild, self.bot.id, [guild.bot_role_id] if guild.bot_role_id else [])
        self._announce_guild(guild)

    def require_two_factor(self, guild: Guild) -> None:
        """Refuse an elevated permission (Manage Channels/Roles/Threads …) on a server requiring
        2FA for moderation when the application owner has none: 403 60003
        (developers/topics/permissions.mdx, the permissions marked *, and
        developers/topics/oauth2.mdx, Two-Factor Authentication Requirement). Not the bot's
        mistake, so not a violation."""
        if guild.mfa_level >= 1 and not self.owner_has_2fa:
            raise DiscordError(
                403,
                TWO_FACTOR_REQUIRED,
                "Two factor is required for this operation",
                violation=False,
            )

    def _join(self, guild: Guild, user_id: int, role_ids: Sequence[int]) -> None:
        guild.members[user_id] = list(role_ids)
        guild.joined_at[user_id] = payloads.timestamp()

    def add_role(self, guild: Guild, name: str, *, permissions: int = 0) -> int:
        role_id = self.world.next_id()
        guild.roles[role_id] = payloads.role(
            role_id, name, permissions=permissions, position=len(guild.roles)
        )
        self.world.changed()
        return role_id

    def add_member(self, guild: Guild, user: User | str, *, role_ids: Sequence[int] = ()) -> User:
        """Add a member (a new user if given a name); GUILD_MEMBER_ADD if the bot has the intent."""
        if isinstance(user, str):
            user = self.add_user(user)
        self._join(guild, user.id, role_ids)
        event = {"guild_id": str(guild.id), **self.world.member_payload(guild, user.id)}
        self.gateway.dispatch("GUILD_MEMBER_ADD", event, intent=INTENT_GUILD_MEMBERS)
        self.world.changed()
        return user

    def add_text_channel(
        self,
        guild: Guild,
        name: str,
        *,
        overwrites: Sequence[JSON] = (),
        parent_id: int | None = None,
        topic: str | None = None,
        channel_type: int = payloads.CHANNEL_TEXT,
        announce: bool = True,
    ) -> Channel:
        """A guild channel; ``overwrites`` are ``payloads.overwrite(...)`` dicts."""
        channel = Channel(
            id=self.world.next_id(),
            type=channel_type,
            name=name,
            guild_id=guild.id,
            parent_id=parent_id,
            position=len(guild.channel_ids),
            topic=topic,
            permission_overwrites=[dict(o) for o in overwrites],
        )
        self.world.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)
        if announce:
            self.emit_channel("CHANNEL_CREATE", channel)
        self.world.changed()
        return channel

    def default_channel(self, guild: Guild) -> Channel:
        for channel_id in guild.channel_ids:
            channel = self.world.channels[channel_id]
            if channel.type == payloads.CHANNEL_TEXT and not channel.deleted:
                return channel
        raise LookupError(f"guild {guild.name} has no text channel")

    def dm_channel_for(self, user: User | int) -> Channel:
        """The bot's DM channel with ``user``, created on first use (POST /users/@me/channels)."""
        user = self._user(user)
        channel_id = self.world.dm_channels.get(user.id)
        if channel_id is None:
            channel = Channel(self.world.next_id(), payloads.CHANNEL_DM, "", recipient_id=user.id)
            self.world.channels[channel.id] = channel
            self.world.dm_channels[user.id] = channel.id
            self.world.changed()
            return channel
        return self.world.channels[channel_id]

    def close_dms(self, user: User | int, closed: bool = True) -> None:
        """The member turned off DMs: the bot's sends answer 403 50007 (not a violation)."""
        self._user(user).dms_closed = closed

    def _user(self, user: User | int) -> User:
        return user if isinstance(user, User) else self.world.user(user)

    # -- inspection -------------------------------------------------------------------
    def channel(self, channel_id: int) -> Channel:
        return self.world.channels[channel_id]

    def messages_in(self, channel: Channel | int) -> list[Message]:
        channel_id = channel if isinstance(channel, int) else channel.id
        return [m for m in self.world.messages.get(channel_id, []) if not m.deleted]

    def threads_in(self, parent: Channel | int) -> list[Channel]:
        parent_id = parent if isinstance(parent, int) else parent.id
        return [
            c
            for c in self.world.channels.values()
            if c.is_thread and c.parent_id == parent_id and not c.deleted
        ]

    def channels_in(self, guild: Guild) -> list[Channel]:
        return [
            self.world.channels[c] for c in guild.channel_ids if not self.world.channels[c].deleted
        ]

    def registered_commands(self, guild: Guild | int | None = None) -> dict[str, JSON]:
        scope = guild.id if isinstance(guild, Guild) else guild
        return {c.name: c.payload for c in self.world.commands.get(scope, [])}

    def interaction(self, interaction_id: int) -> Interaction:
        return self.world.interactions[interaction_id]

    def can_view(self, user: User | int, channel: Channel | int) -> bool:
        user_id = user if isinstance(user, int) else user.id
        channel = channel if isinstance(channel, Channel) else self.world.channels[channel]
        return self.world.can_view(user_id, channel)

    # -- gateway payloads ----------------------------------------------------------------
    def _guild_payload_for(self, session: GatewaySession, guild: Guild) -> JSON:
        # Without GUILD_PRESENCES Discord sends only the bot itself (and members in voice, which
        # the fake has none of), but the true member_count (developers/events/gateway-events.mdx,
        # Guild Create).
        presences = session.intents & INTENT_GUILD_PRESENCES
        visible = list(guild.members) if presences else [self.bot.id]
        return self.world.guild_payload(guild, visible_member_ids=visible)

    def _member_chunk(self, session: GatewaySession, request: JSON) -> JSON:
        """One GUILD_MEMBERS_CHUNK for an op 8 request: by ``user_ids`` or name prefix; the
        whole list needs the GUILD_MEMBERS intent (developers/events/gateway-events.mdx,
        Request Guild Members)."""
        guild = self.world.guild(int(request["guild_id"]))
        wanted = {int(u) for u in request.get("user_ids") or []}
        query = str(request.get("query") or "")
        limit = int(request.get("limit") or 0)
        if wanted:
            found = [u for u in guild.members if u in wanted]
        elif query:
            found = [u for u in guild.members if self.world.user(u).name.startswith(query)]
            found = found[: min(limit or 100, 100)]
        else:
            found = list(guild.members) if session.intents & INTENT_GUILD_MEMBERS else []
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [self.world.member_payload(guild, u) for u in found],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if request.get("nonce") is not None:
            chunk["nonce"] = request["nonce"]
        return chunk

    def _ready_payloads(self, session: GatewaySession) -> tuple[JSON, list[JSON]]:
        ready = payloads.ready(
            bot_user=self.bot.payload(),
            guild_ids=list(self.world.guilds),
            session_id=session.session_id,
            resume_gateway_url=self.gateway_url,
            application_id=self.application_id,
        )
        guilds = [self._guild_payload_for(session, g) for g in self.world.guilds.values()]
        return ready, guilds

    def emit_channel(self, event: str, channel: Channel) -> None:
        if not self.world.can_view(self.bot.id, channel) and not event.endswith("_DELETE"):
            return
        data = self.world.channel_payload(channel, for_user=self.bot.id)
        if event == "THREAD_CREATE":
            data["newly_created"] = True
        self.gateway.dispatch(event, data, intent=INTENT_GUILDS)

    def emit_message(self, event: str, message: Message) -> None:
        """MESSAGE_CREATE/UPDATE as the bot's intents allow (content needs MESSAGE_CONTENT)."""
        channel = self.world.channels[message.channel_id]
        if message.ephemeral or not self.world.can_view(self.bot.id, channel):
            return
        mentioned = (
            f"<@{self.bot.id}>" in message.content or f"<@!{self.bot.id}>" in message.content
        )

        def payload_for(session: GatewaySession) -> JSON:
            data = self.world.gateway_message_payload(message, application_id=self.application_id)
            sees_content = (
                session.intents & INTENT_MESSAGE_CONTENT
                or channel.is_dm
                or message.author_id == self.bot.id
                or mentioned
            )
            if not sees_content:
                data.update(content="", embeds=[], attachments=[], components=[])
            return data

        intent = INTENT_DIRECT_MESSAGES if channel.is_dm else INTENT_GUILD_MESSAGES
        self.gateway.dispatch(event, payload_for, intent=intent)

    # -- operations shared by REST handlers ----------------------------------------------
    def message_payload(self, message: Message) -> JSON:
        return self.world.message_payload(message, application_id=self.application_id)

    def require_permission(self, channel: Channel, permission: int) -> None:
        permissions = self.world.permissions_in(channel, self.bot.id)
        if not permissions & VIEW_CHANNEL:
            raise DiscordError(403, MISSING_ACCESS, "Missing Access")
        if not permissions & permission:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")

    @staticmethod
    def thread_create_permission(thread_type: int) -> int:
        private = thread_type == payloads.CHANNEL_PRIVATE_THREAD
        return CREATE_PRIVATE_THREADS if private else CREATE_PUBLIC_THREADS

    def _attachments(
        self, body: Mapping[str, Any], uploads: Sequence[Upload], kept: Sequence[JSON]
    ) -> list[JSON]:
        too_large = [u for u in uploads if len(u.data) > payloads.ATTACHMENT_SIZE_LIMIT]
        if too_large:
            raise DiscordError(413, REQUEST_ENTITY_TOO_LARGE, "Request entity too large")
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        created: list[JSON] = []
        for index, upload in enumerate(uploads):
            attachment_id = self.world.next_id()
            filename = described.get(str(index), {}).get("filename") or upload.filename
            self.world.attachment_bytes[attachment_id] = upload.data
            created.append(
                payloads.attachment(
                    attachment_id,
                    filename,
                    size=len(upload.data),
                    url=f"{self.base_url}/attachments/{attachment_id}/{filename}",
                    content_type=upload.content_type,
                )
            )
        return [*kept, *created]

    def create_message_from_body(
        self,
        channel: Channel,
        body: Mapping[str, Any],
        uploads: Sequence[Upload],
        *,
        author_id: int,
        creating: bool,
        interaction: Interaction | None = None,
        message_type: int = 0,
        allow_ephemeral: bool = False,
    ) -> Message:
        """Validate ``body`` against Discord's limits, store the message and announce it."""
        problems = limits.check_message(body, creating=creating, attachment_count=len(uploads))
        if problems:
            raise invalid_form_body(problems)
        if creating and limits.is_empty_message(body, attachment_count=len(uploads)):
            raise DiscordError(400, CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")
        nonce = None if body.get("nonce") is None else str(body["nonce"])
        if creating and nonce is not None and body.get("enforce_nonce"):
            earlier = self._message_with_nonce(channel, author_id, nonce)
            if earlier is not None:
                return earlier  # Discord returns the first message and creates none
        settable = _SETTABLE_FLAGS | (_INTERACTION_FLAGS if allow_ephemeral else 0)
        message = Message(
            id=self.world.next_id(),
            channel_id=channel.id,
            author_id=author_id,
            content=body.get("content") or "",
            embeds=[payloads.stored_embed(e) for e in body.get("embeds") or []],
            components=components.stored(body.get("components") or []),
            attachments=self._attachments(body, uploads, []),
            allowed_mentions=body.get("allowed_mentions"),
            flags=int(body.get("flags") or 0) & settable,
            guild_id=channel.guild_id,
            interaction_id=interaction.id if interaction is not None else None,
            webhook_id=self.application_id if interaction is not None else None,
            message_type=message_type,
            nonce=nonce,
            sent_at=self.now(),
        )
        self.store_message(channel, message)
        return message

    def _message_with_nonce(self, channel: Channel, author_id: int, nonce: str) -> Message | None:
        since = self.now() - limits.NONCE_WINDOW_SECONDS
        for message in reversed(self.world.messages.get(channel.id, [])):
            if message.sent_at < since:
                return None
            if message.author_id == author_id and message.nonce == nonce and not message.deleted:
                return message
        return None

    def store_message(self, channel: Channel, message: Message) -> None:
        self.world.messages.setdefault(channel.id, []).append(message)
        channel.last_message_id = message.id
        if channel.is_thread:
            channel.message_count += 1
        if not message.flags & limits.FLAG_LOADING:
            self.emit_message("MESSAGE_CREATE", message)
        self.world.changed()

    def edit_message_from_body(
        self, message: Message, body: Mapping[str, Any], uploads: Sequence[Upload]
    ) -> None:
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = (
            [a for a in message.attachments if a["id"] in kept_ids]
            if "attachments" in body
            else message.attachments
        )
        flags = int(body["flags"]) if body.get("flags") is not None else message.flags
        merged = {
            "content": body.get("content", message.content),
            "embeds": body.get("embeds", message.embeds),
            "components": body.get("components", message.components),
            "flags": flags,
        }
        problems = limits.check_message(
            merged, creating=False, attachment_count=len(kept) + len(uploads)
        )
        if problems:
            raise invalid_form_body(problems)
        was_loading = bool(message.flags & limits.FLAG_LOADING)
        message.history.append((message.content, message.components))
        message.content = merged["content"] or ""
        message.embeds = [payloads.stored_embed(e) for e in merged["embeds"] or []]
        message.components = components.stored(merged["components"] or [])
        message.attachments = self._attachments(body, uploads, kept)
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        keep = limits.FLAG_EPHEMERAL if message.interaction_id is not None else 0
        message.flags = (message.flags & keep) | (flags & _SETTABLE_FLAGS)
        if was_loading:
            # Finishing a deferred response: to everyone else it only now appears.
            self.emit_message("MESSAGE_CREATE", message)
        else:
            message.edited_at = payloads.timestamp()
            self.emit_message("MESSAGE_UPDATE", message)
        self.world.changed()

    def delete_message(self, message: Message) -> None:
        message.deleted = True
        channel = self.world.channels[message.channel_id]
        data: JSON = {"id": str(message.id), "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        if not message.ephemeral:
            intent = INTENT_DIRECT_MESSAGES if channel.is_dm else INTENT_GUILD_MESSAGES
            self.gateway.dispatch("MESSAGE_DELETE", data, intent=intent)
        self.world.changed()

    def create_thread(
        self,
        parent: Channel,
        name: str,
        *,
        thread_type: int = payloads.CHANNEL_PRIVATE_THREAD,
        invitable: bool = True,
        owner_id: int | None = None,
        thread_id: int | None = None,
        auto_archive_duration: int = payloads.DEFAULT_AUTO_ARCHIVE_MINUTES,
    ) -> Channel:
        assert parent.guild_id is not None
        owner_id = owner_id or self.bot.id
        thread = Channel(
            id=thread_id or self.world.next_id(),
            type=thread_type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=owner_id,
            member_ids=[owner_id],
            invitable=invitable,
            auto_archive_duration=auto_archive_duration,
        )
        self.world.channels[thread.id] = thread
        self.world.guilds[parent.guild_id].channel_ids.append(thread.id)
        self.emit_channel("THREAD_CREATE", thread)
        self.world.changed()
        return thread

    def add_thread_member(self, thread: Channel, user_id: int) -> None:
        if user_id in thread.member_ids:
            return
        thread.member_ids.append(user_id)
        assert thread.guild_id is not None
        guild = self.world.guilds[thread.guild_id]
        added = {
            **payloads.thread_member(thread.id, user_id),
            "member": self.world.member_payload(guild, user_id),
        }
        event = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.member_ids),
            "added_members": [added],
        }
        # Without GUILD_MEMBERS Discord only tells the bot about itself joining.
        intent = INTENT_GUILDS if user_id == self.bot.id else INTENT_GUILD_MEMBERS
        self.gateway.dispatch("THREAD_MEMBERS_UPDATE", event, intent=intent)
        self.world.changed()

    def remove_thread_member(self, thread: Channel, user_id: int) -> None:
        if user_id not in thread.member_ids:
            return
        thread.member_ids.remove(user_id)
        event = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": len(thread.member_ids),
            "removed_member_ids": [str(user_id)],
        }
        intent = INTENT_GUILDS if user_id == self.bot.id else INTENT_GUILD_MEMBERS
        self.gateway.dispatch("THREAD_MEMBERS_UPDATE", event, intent=intent)
        self.world.changed()
