"""REST routes of the loopback Discord a bot calls with its bot token.

Users and the application (its flags say which privileged intents are on), a guild with its
roles, command registration, channels and messages (JSON or multipart),
DM channels, threads and their members, guild channels with permission overwrites, members, and
``/gateway``. Interaction callbacks and webhook follow-ups live in ``interactions.py``.

Every handler validates like Discord (permissions, visibility, :mod:`limits`) and raises
:class:`DiscordError` to refuse; state changes go through ``World`` and are announced on the
gateway through the server's ``emit_*`` helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.support.discord_loopback import limits, payloads
from tests.support.discord_loopback.errors import (
    CANNOT_SEND_TO_USER,
    GUILD_CHANNELS_FULL,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    NO_MUTUAL_GUILDS,
    THREAD_ARCHIVED,
    UNKNOWN_MEMBER,
    DiscordError,
    Problem,
    invalid_form_body,
)
from tests.support.discord_loopback.gateway import (
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
)
from tests.support.discord_loopback.state import (
    MANAGE_CHANNELS,
    MANAGE_ROLES,
    MANAGE_THREADS,
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    Channel,
    Guild,
    RegisteredCommand,
)
from tests.support.discord_loopback.transport import json_response, no_content, read_body

if TYPE_CHECKING:
    from tests.support.discord_loopback.server import LoopbackDiscord

JSON = dict[str, Any]


def _id(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise DiscordError(404, 0, "404: Not Found", violation=False) from None


def _auto_archive_duration(body: JSON) -> int | None:
    """``auto_archive_duration`` may only be 60, 1440, 4320 or 10080 minutes
    (``developers/resources/channel.mdx``: Start Thread without Message, Modify Channel)."""
    value = body.get("auto_archive_duration")
    if value is None:
        return None
    if value not in payloads.AUTO_ARCHIVE_MINUTES:
        choices = ", ".join(str(m) for m in payloads.AUTO_ARCHIVE_MINUTES)
        raise invalid_form_body(
            [
                Problem(
                    "auto_archive_duration",
                    "BASE_TYPE_CHOICES",
                    f"Value must be one of ({choices}).",
                )
            ]
        )
    return int(value)


class RestApi:
    def __init__(self, server: LoopbackDiscord) -> None:
        self.server = server
        self.world = server.world

    def routes(self) -> list[web.RouteDef]:
        p = "/api/v10"
        return [
            web.get(f"{p}/gateway", self.get_gateway),
            web.get(f"{p}/gateway/bot", self.get_gateway_bot),
            web.get(f"{p}/users/@me", self.get_me),
            web.get(f"{p}/users/{{user_id}}", self.get_user),
            web.get(f"{p}/oauth2/applications/@me", self.get_application),
            web.get(f"{p}/applications/{{application_id}}/commands", self.get_commands),
            web.put(f"{p}/applications/{{application_id}}/commands", self.put_commands),
            web.get(
                f"{p}/applications/{{application_id}}/guilds/{{guild_id}}/commands",
                self.get_commands,
            ),
            web.put(
                f"{p}/applications/{{application_id}}/guilds/{{guild_id}}/commands",
                self.put_commands,
            ),
            web.post(f"{p}/users/@me/channels", self.create_dm),
            web.get(f"{p}/channels/{{channel_id}}", self.get_channel),
            web.delete(f"{p}/channels/{{channel_id}}", self.delete_channel),
            web.patch(f"{p}/channels/{{channel_id}}", self.edit_channel),
            web.get(f"{p}/channels/{{channel_id}}/messages", self.get_messages),
            web.post(f"{p}/channels/{{channel_id}}/messages", self.create_message),
            web.get(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.get_message),
            web.patch(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.edit_message),
            web.delete(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.delete_message),
            web.post(f"{p}/channels/{{channel_id}}/threads", self.create_thread),
            web.post(
                f"{p}/channels/{{channel_id}}/messages/{{message_id}}/threads", self.create_thread
            ),
            web.get(f"{p}/channels/{{channel_id}}/thread-members", self.get_thread_members),
            web.get(
                f"{p}/channels/{{channel_id}}/users/@me/threads/archived/private",
                self.get_joined_private_archived_threads,
            ),
            web.get(f"{p}/guilds/{{guild_id}}/threads/active", self.get_active_threads),
            web.put(
                f"{p}/channels/{{channel_id}}/thread-members/{{user_id}}", self.add_thread_member
            ),
            web.delete(
                f"{p}/channels/{{channel_id}}/thread-members/{{user_id}}", self.remove_thread_member
            ),
            web.post(f"{p}/guilds/{{guild_id}}/channels", self.create_guild_channel),
            web.get(f"{p}/guilds/{{guild_id}}/channels", self.get_guild_channels),
            web.get(f"{p}/guilds/{{guild_id}}", self.get_guild),
            web.get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member),
            web.get("/attachments/{attachment_id}/{filename}", self.get_attachment),
        ]

    # -- gateway, users, application -------------------------------------------
    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.server.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.server.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def get_me(self, request: web.Request) -> web.Response:
        return json_response(payloads.current_user(self.server.bot.payload()))

    async def get_user(self, request: web.Request) -> web.Response:
        return json_response(self.world.user(_id(request, "user_id")).payload())

    async def get_application(self, request: web.Request) -> web.Response:
        bot = self.server.bot.payload()
        return json_response(
            payloads.application_info(
                self.server.application_id,
                bot["username"],
                bot,
                guild_count=len(self.world.guilds),
                flags=self._intent_flags(),
            )
        )

    def _intent_flags(self) -> int:
        """The application's flags say which privileged intents the portal switched on: the
        ones the gateway allows (an app in under 100 servers has the ``_LIMITED`` flags)."""
        allowed = self.server.gateway.allowed_privileged_intents
        flags = 0
        if allowed & INTENT_GUILD_MEMBERS:
            flags |= payloads.FLAG_GATEWAY_GUILD_MEMBERS_LIMITED
        if allowed & INTENT_GUILD_PRESENCES:
            flags |= payloads.FLAG_GATEWAY_PRESENCE_LIMITED
        if allowed & INTENT_MESSAGE_CONTENT:
            flags |= payloads.FLAG_GATEWAY_MESSAGE_CONTENT_LIMITED
        return flags

    # -- application commands ---------------------------------------------------
    def _command_scope(self, request: web.Request) -> int | None:
        if _id(request, "application_id") != self.server.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild_id = _id(request, "guild_id")
        self.world.guild(guild_id)
        return guild_id

    async def get_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        return json_response([c.payload for c in self.world.commands.get(scope, [])])

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body, _ = await read_body(request)
        if not isinstance(body, list):
            raise invalid_form_body([Problem("", "BASE_TYPE_ARRAY", "Must be an array.")])
        problems = limits.check_commands(body)
        if problems:
            raise invalid_form_body(problems)
        registered = [
            RegisteredCommand(
                scope,
                payloads.application_command(
                    self.world.next_id(), self.server.application_id, spec, guild_id=scope
                ),
            )
            for spec in body
        ]
        self.world.commands[scope] = registered
        self.world.changed()
        return json_response([c.payload for c in registered])

    # -- channels and messages --------------------------------------------------
    def _visible_channel(self, channel_id: int) -> Channel:
        channel = self.world.channel(channel_id)
        if not self.world.can_view(self.server.bot.id, channel):
            raise DiscordError(403, MISSING_ACCESS, "Missing Access")
        return channel

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._visible_channel(_id(request, "channel_id"))
        return json_response(self.world.channel_payload(channel, for_user=self.server.bot.id))

    async def delete_channel(self, request: web.Request) -> web.Response:
        channel = self._visible_channel(_id(request, "channel_id"))
        if channel.is_dm:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
        needed = MANAGE_THREADS if channel.is_thread else MANAGE_CHANNELS
        is_owner = channel.is_thread and channel.owner_id == self.server.bot.id
        if not is_owner and not self.world.permissions_in(channel, self.server.bot.id) & needed:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
        if not is_owner:
            assert channel.guild_id is not None
            self.server.require_two_factor(self.world.guilds[channel.guild_id])
        payload = self.world.channel_payload(channel)
        channel.deleted = True
        self.server.emit_channel(
            "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE", channel
        )
        return json_response(payload)

    async def get_messages(self, request: web.Request) -> web.Response:
        channel = self._visible_channel(_id(request, "channel_id"))
        limit = int(request.query.get("limit", 50))
        stored = [m for m in self.world.messages.get(channel.id, []) if not m.ephemeral]
        newest_first = list(reversed(stored))[:limit]
        return json_response([self.server.message_payload(m) for m in newest_first])

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._visible_channel(_id(request, "channel_id"))
        message = self.world.message(channel.id, _id(request, "message_id"))
        return json_response(self.server.message_payload(message))

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self.world.channel(_id(request, "channel_id"))
        self._check_can_send(channel)
        body, uploads = await read_body(request)
        message = self.server.create_message_from_body(
            channel, body, uploads, author_id=self.server.bot.id, creating=True
        )
        return json_response(self.server.message_payload(message))

    def _check_can_send(self, channel: Channel) -> None:
        bot_id = self.server.bot.id
        if channel.is_dm:
            assert channel.recipient_id is not None
            if not self.world.shares_a_guild(channel.recipient_id, bot_id):
                # Nobody can reach them any more: 50278 "Cannot send messages to this user due
                # to having no mutual guilds" (developers/topics/opcodes-and-status-codes.mdx).
                raise DiscordError(
                    403,
                    NO_MUTUAL_GUILDS,
                    "Cannot send messages to this user due to having no mutual guilds",
                    violation=False,
                )
            if self.world.user(channel.recipient_id).dms_closed:
                # The member's choice, not the bot's mistake: answered but not a violation.
                raise DiscordError(
                    403, CANNOT_SEND_TO_USER, "Cannot send messages to this user", violation=False
                )
            return
        permissions = self.world.permissions_in(channel, bot_id)
        if not permissions & VIEW_CHANNEL:
            raise DiscordError(403, MISSING_ACCESS, "Missing Access")
        needed = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
        if not permissions & needed:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._visible_channel(_id(request, "channel_id"))
        message = self.world.message(channel.id, _id(request, "message_id"))
        if message.author_id != self.server.bot.id or message.webhook_id is not None:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body, uploads = await read_body(request)
        self.server.edit_message_from_body(message, body, uploads)
        return json_response(self.server.message_payload(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._visible_channel(_id(request, "channel_id"))
        message = self.world.message(channel.id, _id(request, "message_id"))
        self.server.delete_message(message)
        return no_content()

    async def get_attachment(self, request: web.Request) -> web.Response:
        data = self.world.attachment_bytes.get(int(request.match_info["attachment_id"]))
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data)

    # -- DMs ----------------------------------------------------------------------
    async def create_dm(self, request: web.Request) -> web.Response:
        body, _ = await read_body(request)
        try:
            user = self.world.user(int(body["recipient_id"]))
        except (KeyError, ValueError, DiscordError):
            raise DiscordError(400, 50033, "Invalid Recipient(s)") from None
        channel = self.server.dm_channel_for(user)
        return json_response(self.world.channel_payload(channel))

    # -- threads -------------------------------------------------------------------
    async def create_thread(self, request: web.Request) -> web.Response:
        parent = self._visible_channel(_id(request, "channel_id"))
        if parent.is_dm or parent.is_thread:
            raise invalid_form_body(
                [Problem("channel_id", "CHANNEL_TYPE_INVALID", "Cannot create a thread here")]
            )
        body, _ = await read_body(request)
        from_message = "message_id" in request.match_info
        if from_message:
            self.world.message(parent.id, _id(request, "message_id"))
        thread_type = (
            payloads.CHANNEL_PUBLIC_THREAD if from_message else int(body.get("type") or 12)
        )
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise invalid_form_body(
                [Problem("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")]
            )
        if thread_type not in payloads.THREAD_TYPES:
            raise invalid_form_body(
                [Problem("type", "BASE_TYPE_CHOICES", "Value must be one of (11, 12).")]
            )
        auto_archive = _auto_archive_duration(body)
        self.server.require_permission(parent, self.server.thread_create_permission(thread_type))
        thread = self.server.create_thread(
            parent,
            name,
            thread_type=thread_type,
            invitable=bool(body.get("invitable", True)),
            thread_id=_id(request, "message_id") if from_message else None,
            auto_archive_duration=auto_archive or payloads.DEFAULT_AUTO_ARCHIVE_MINUTES,
        )
        # Both thread routes answer 201 Created (create_thread and
        # create_thread_from_message in Discord's OpenAPI description).
        return json_response(
            self.world.channel_payload(thread, for_user=self.server.bot.id), status=201
        )

    def _thread(self, request: web.Request) -> Channel:
        thread = self._visible_channel(_id(request, "channel_id"))
        if not thread.is_thread:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        return thread

    async def get_thread_members(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        return json_response([payloads.thread_member(thread.id, u) for u in thread.member_ids])

    async def add_thread_member(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        user_id = _id(request, "user_id")
        assert thread.guild_id is not None
        guild = self.world.guilds[thread.guild_id]
        if user_id not in guild.members:
            raise DiscordError(404, UNKNOWN_MEMBER, "Unknown Member")
        if thread.archived:
            raise DiscordError(400, 50083, "Thread is archived")
        # "Requires the ability to send messages in the thread" (developers/resources/channel.mdx,
        # Add Thread Member).
        if not self.world.permissions_in(thread, self.server.bot.id) & SEND_MESSAGES_IN_THREADS:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
        self.server.add_thread_member(thread, user_id)
        return no_content()

    async def remove_thread_member(self, request: web.Request) -> web.Response:
        """ "Requires the MANAGE_THREADS permission, or the creator of the thread if it is a
        PRIVATE_THREAD. Also requires the thread is not archived" (developers/resources/
        channel.mdx, Remove Thread Member)."""
        thread = self._thread(request)
        user_id = _id(request, "user_id")
        if thread.archived:
            raise DiscordError(400, THREAD_ARCHIVED, "Thread is archived")
        bot_id = self.server.bot.id
        creator = thread.type == payloads.CHANNEL_PRIVATE_THREAD and thread.owner_id == bot_id
        if user_id != bot_id and not creator:
            self.server.require_permission(thread, MANAGE_THREADS)
            assert thread.guild_id is not None
            self.server.require_two_factor(self.world.guilds[thread.guild_id])
        self.server.remove_thread_member(thread, user_id)
        return no_content()

    async def get_active_threads(self, request: web.Request) -> web.Response:
        """ "Returns all active threads in the guild, including public and private threads.
        Threads are ordered by their id, in descending order" (developers/resources/guild.mdx,
        List Active Guild Threads): those the bot can see."""
        guild = self.world.guild(_id(request, "guild_id"))
        bot_id = self.server.bot.id
        threads = [
            c
            for c in (self.world.channels[c] for c in guild.channel_ids)
            if c.is_thread and not c.deleted and not c.archived and self.world.can_view(bot_id, c)
        ]
        return self._thread_list(sorted(threads, key=lambda c: -c.id), has_more=False)

    async def get_joined_private_archived_threads(self, request: web.Request) -> web.Response:
        """Archived private threads of the channel the bot joined, "ordered by their id, in
        descending order"; ``before`` is a thread id; "Requires the READ_MESSAGE_HISTORY
        permission" (developers/resources/channel.mdx, List Joined Private Archived Threads)."""
        parent = self._visible_channel(_id(request, "channel_id"))
        self.server.require_permission(parent, READ_MESSAGE_HISTORY)
        bot_id = self.server.bot.id
        before = int(request.query["before"]) if request.query.get("before") else None
        limit = int(request.query.get("limit", 50))
        threads = sorted(
            (
                c
                for c in self.world.channels.values()
                if c.type == payloads.CHANNEL_PRIVATE_THREAD
                and c.parent_id == parent.id
                and c.archived
                and not c.deleted
                and bot_id in c.member_ids
                and (before is None or c.id < before)
            ),
            key=lambda c: -c.id,
        )
        return self._thread_list(threads[:limit], has_more=len(threads) > limit)

    def _thread_list(self, threads: list[Channel], *, has_more: bool) -> web.Response:
        bot_id = self.server.bot.id
        return json_response(
            payloads.thread_list(
                [self.world.channel_payload(t, for_user=bot_id) for t in threads],
                [payloads.thread_member(t.id, bot_id) for t in threads if bot_id in t.member_ids],
                has_more=has_more,
            )
        )

    # -- guilds ---------------------------------------------------------------------
    async def get_guild(self, request: web.Request) -> web.Response:
        """Get Guild (``developers/resources/guild.mdx``). A guild the bot is not in answers
        403, 50001 Missing Access (``developers/topics/opcodes-and-status-codes.mdx``), as
        Discord answers every route of a guild the caller is no member of; asking is no
        mistake, so not a violation."""
        guild = self.world.guild(_id(request, "guild_id"))
        if self.server.bot.id not in guild.members:
            raise DiscordError(403, MISSING_ACCESS, "Missing Access", violation=False)
        payload = self.world.guild_payload(guild, visible_member_ids=[])
        return json_response(payloads.rest_guild(payload, member_count=len(guild.members)))

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.world.guild(_id(request, "guild_id"))
        return json_response(self.world.member_payload(guild, _id(request, "user_id")))

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self.world.guild(_id(request, "guild_id"))
        channels = [self.world.channels[c] for c in guild.channel_ids]
        return json_response(
            [self.world.channel_payload(c) for c in channels if not c.deleted and not c.is_thread]
        )

    async def create_guild_channel(self, request: web.Request) -> web.Response:
        guild = self.world.guild(_id(request, "guild_id"))
        body, _ = await read_body(request)
        bot_permissions = self.world.guild_permissions(guild, self.server.bot.id)
        if not bot_permissions & MANAGE_CHANNELS:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
        self.server.require_two_factor(guild)
        problems: list[Problem] = []
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            problems.append(
                Problem("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        overwrites = self._overwrites(
            guild, body.get("permission_overwrites") or [], bot_permissions, problems
        )
        parent_id = int(body["parent_id"]) if body.get("parent_id") else None
        if parent_id is not None and parent_id not in guild.channel_ids:
            problems.append(
                Problem("parent_id", "CHANNEL_PARENT_INVALID", "Unknown parent channel")
            )
        elif (
            parent_id is not None
            and self._children(guild, parent_id) >= limits.CHANNELS_PER_CATEGORY
        ):
            # No error code of its own, an Invalid Form Body on parent_id, as real Discord
            # answers it (discord/discord-api-docs pull request 1289, which documented the limit).
            problems.append(
                Problem(
                    "parent_id",
                    "CHANNEL_PARENT_MAX_CHANNELS",
                    "Maximum number of channels in category reached (50)",
                )
            )
        if len(body.get("topic") or "") > limits.TOPIC_MAX:
            problems.append(
                Problem("topic", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
            )
        if problems:
            raise invalid_form_body(problems)
        if len(self.world.guild_channels(guild)) >= limits.CHANNELS_PER_GUILD:
            raise DiscordError(
                400, GUILD_CHANNELS_FULL, "Maximum number of guild channels reached (500)"
            )
        channel = self.server.add_text_channel(
            guild,
            name,
            overwrites=overwrites,
            parent_id=parent_id,
            topic=body.get("topic"),
            channel_type=int(body.get("type") or 0),
        )
        # 201 Created (create_guild_channel in Discord's OpenAPI description).
        return json_response(self.world.channel_payload(channel), status=201)

    def _children(self, guild: Guild, category_id: int) -> int:
        return sum(1 for c in self.world.guild_channels(guild) if c.parent_id == category_id)

    def _overwrites(
        self,
        guild: Guild,
        raw_overwrites: list[JSON],
        bot_permissions: int,
        problems: list[Problem],
    ) -> list[JSON]:
        """Permission overwrites as Discord accepts them from a bot (or the problems found)."""
        overwrites: list[JSON] = []
        seen: set[int] = set()
        for index, raw in enumerate(raw_overwrites):
            target_id, target_type = int(raw["id"]), int(raw["type"])
            if target_id in seen:
                # A channel holds one overwrite per role or member: Discord addresses them by
                # that id alone (developers/resources/channel.mdx, Overwrite Object and Edit
                # Channel Permissions). What it does with two is undocumented: refused here.
                problems.append(
                    Problem(
                        f"permission_overwrites.{index}.id",
                        "DUPLICATE_OVERWRITE",
                        "Each role or member can have only one overwrite",
                    )
                )
                continue
            seen.add(target_id)
            known = guild.roles if target_type == OVERWRITE_ROLE else guild.members
            if target_type not in (OVERWRITE_ROLE, OVERWRITE_MEMBER) or target_id not in known:
                problems.append(
                    Problem(
                        f"permission_overwrites.{index}.id",
                        "UNKNOWN_OVERWRITE",
                        "Unknown overwrite target",
                    )
                )
                continue
            allow, deny = int(raw.get("allow") or 0), int(raw.get("deny") or 0)
            if (allow | deny) & ~bot_permissions:
                # Discord only lets a bot grant or deny permissions it holds itself.
                raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
            overwrites.append(payloads.overwrite(target_id, target_type, allow=allow, deny=deny))
        if overwrites and not bot_permissions & MANAGE_ROLES:
            raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
        return overwrites

    async def edit_channel(self, request: web.Request) -> web.Response:
        """``PATCH /channels/{id}``: archive or lock a thread; rename a channel or change its
        overwrites. Threads need the bot to own them or Manage Threads (locking always needs
        Manage Threads); guild channels need Manage Channels."""
        channel = self._visible_channel(_id(request, "channel_id"))
        if channel.is_dm:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        body, _ = await read_body(request)
        assert channel.guild_id is not None
        guild = self.world.guilds[channel.guild_id]
        problems: list[Problem] = []
        if "name" in body and not 1 <= len(body["name"] or "") <= 100:
            problems.append(
                Problem("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        if channel.is_thread:
            moderates = self.world.permissions_in(channel, self.server.bot.id) & MANAGE_THREADS
            owns = channel.owner_id == self.server.bot.id
            if (body.get("locked") and not moderates) or not (owns or moderates):
                raise DiscordError(403, MISSING_PERMISSIONS, "Missing Permissions")
            if body.get("locked") or not owns:
                # Manage Threads is in use, an elevated permission.
                self.server.require_two_factor(guild)
            if problems:
                raise invalid_form_body(problems)
            auto_archive = _auto_archive_duration(body)
            channel.name = body.get("name", channel.name)
            channel.auto_archive_duration = auto_archive or channel.auto_archive_duration
            archived = bool(body.get("archived", channel.archived))
            if archived != channel.archived:
                channel.archived_at = payloads.timestamp()
            channel.archived = archived
            channel.locked = bool(body.get("locked", channel.locked))
            channel.invitable = bool(body.get("invitable", channel.invitable))
            self.server.emit_channel("THREAD_UPDATE", channel)
        else:
            bot_permissions = self.world.guild_permissions(guild, self.server.bot.id)
            self.server.require_permission(channel, MANAGE_CHANNELS)
            self.server.require_two_factor(guild)
            overwrites = None
            if "permission_overwrites" in body:
                overwrites = self._overwrites(
                    guild, body["permission_overwrites"] or [], bot_permissions, problems
                )
            if problems:
                raise invalid_form_body(problems)
            channel.name = body.get("name", channel.name)
            channel.topic = body.get("topic", channel.topic)
            if overwrites is not None:
                channel.permission_overwrites = overwrites
            self.server.emit_channel("CHANNEL_UPDATE", channel)
        self.world.changed()
        return json_response(self.world.channel_payload(channel, for_user=self.server.bot.id))
