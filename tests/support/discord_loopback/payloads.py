"""Every JSON payload the loopback Discord sends, built in one place.

discord.py 2.7 reads several fields without defaults (member ``flags``, interaction
``attachment_size_limit``, READY ``resume_gateway_url``, thread ``thread_metadata``,
``message_count`` and ``member_count``). When discord.py is upgraded and starts reading another
field, this is the only file to change.

The factories are pure: they take ids and values and return plain dicts shaped like the Discord
API v10 objects. Snowflakes are emitted as strings, like Discord does. Nothing here keeps state.

REST answers take the shapes of Discord's OpenAPI description (``discord/discord-api-spec``,
``specs/openapi.json``); each factory names the schema it follows (``UserResponse``,
``MessageResponse`` ...), and ``shapes.py`` checks every answer of the end-to-end suite against
the required fields of those schemas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

JSON = dict[str, Any]

#: Discord's default attachment size limit for bots (10 MiB), also sent in interactions.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Interaction types (what the user did).
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_MODAL_SUBMIT = 5

# Channel types used by the fake.
CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_CATEGORY = 4
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12
THREAD_TYPES = frozenset({CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD})

#: The only auto-archive durations a thread may have, in minutes (developers/resources/channel.mdx).
AUTO_ARCHIVE_MINUTES = (60, 1440, 4320, 10080)
#: What a thread gets when the request names none (a day, the clients' default).
DEFAULT_AUTO_ARCHIVE_MINUTES = 1440


def timestamp(when: dt.datetime | None = None) -> str:
    """An ISO 8601 timestamp as Discord writes it."""
    return (when or dt.datetime.now(dt.UTC)).isoformat()


def snowflake(value: int | str | None) -> str | None:
    return None if value is None else str(value)


def user(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> JSON:
    """A user as ``UserResponse`` describes it: ``flags`` and ``primary_guild`` are required
    (``developers/resources/user.mdx``, User Structure)."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name if global_name is not None else username,
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "avatar_decoration_data": None,
        "primary_guild": None,
    }


def current_user(user_payload: JSON) -> JSON:
    """``GET /users/@me`` and READY's user: ``UserPIIResponse`` adds ``mfa_enabled`` and
    ``locale`` (a bot's email is null and counts as verified)."""
    return {
        **user_payload,
        "mfa_enabled": False,
        "locale": "en-US",
        "verified": True,
        "email": None,
    }


def role(
    role_id: int, name: str, *, permissions: int, position: int = 0, managed: bool = False
) -> JSON:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }


def member(
    user_payload: JSON,
    *,
    role_ids: Iterable[int] = (),
    joined_at: str | None = None,
    nick: str | None = None,
    flags: int = 0,
    permissions: int | None = None,
) -> JSON:
    """A guild member. ``flags`` has no default in discord.py, so it is always present."""
    payload: JSON = {
        "user": user_payload,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": joined_at or timestamp(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": flags,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        # Only interaction payloads carry the member's resolved permissions.
        payload["permissions"] = str(permissions)
    return payload


def overwrite(target_id: int, target_type: int, *, allow: int, deny: int) -> JSON:
    """A permission overwrite as Discord returns it (type 0 = role, 1 = member)."""
    return {
        "id": str(target_id),
        "type": target_type,
        "allow": str(allow),
        "deny": str(deny),
    }


def text_channel(
    channel_id: int,
    guild_id: int,
    name: str,
    *,
    position: int = 0,
    parent_id: int | None = None,
    topic: str | None = None,
    permission_overwrites: Sequence[JSON] = (),
    last_message_id: int | None = None,
    channel_type: int = CHANNEL_TEXT,
) -> JSON:
    return {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "parent_id": snowflake(parent_id),
        "topic": topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": snowflake(last_message_id),
        "permission_overwrites": list(permission_overwrites),
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: JSON, *, last_message_id: int | None = None) -> JSON:
    return {
        "id": str(channel_id),
        "type": CHANNEL_DM,
        "recipients": [recipient],
        "last_message_id": snowflake(last_message_id),
        "flags": 0,
    }


def thread(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    *,
    thread_type: int = CHANNEL_PRIVATE_THREAD,
    message_count: int = 0,
    member_count: int = 0,
    archived: bool = False,
    locked: bool = False,
    invitable: bool = True,
    auto_archive_duration: int = DEFAULT_AUTO_ARCHIVE_MINUTES,
    created_at: str | None = None,
    archived_at: str | None = None,
    last_message_id: int | None = None,
    me: JSON | None = None,
) -> JSON:
    """A thread channel; discord.py needs thread_metadata, message_count and member_count.
    ``archive_timestamp`` is when it was last archived or unarchived (its creation before)."""
    created = created_at or timestamp()
    payload: JSON = {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": snowflake(last_message_id),
        "rate_limit_per_user": 0,
        "message_count": message_count,
        "total_message_sent": message_count,
        "member_count": member_count,
        "flags": 0,
        "applied_tags": [],
        "thread_metadata": {
            "archived": archived,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": archived_at or created,
            "locked": locked,
            "invitable": invitable,
            "create_timestamp": created,
        },
    }
    if me is not None:
        payload["member"] = me
    return payload


def thread_list(threads: list[JSON], members: list[JSON], *, has_more: bool = False) -> JSON:
    """A list of threads: active ones of a guild (developers/resources/guild.mdx, List Active
    Guild Threads) or archived ones of a channel (developers/resources/channel.mdx, List Joined
    Private Archived Threads). The docs name ``has_more`` only for the archived lists; the
    OpenAPI description's ``ThreadsResponse`` requires it for both."""
    return {"threads": threads, "members": members, "has_more": has_more}


def thread_member(thread_id: int, user_id: int, *, joined_at: str | None = None) -> JSON:
    return {
        "id": str(thread_id),
        "user_id": str(user_id),
        "join_timestamp": joined_at or timestamp(),
        "flags": 0,
    }


def guild(
    guild_id: int,
    name: str,
    owner_id: int,
    *,
    roles: Sequence[JSON],
    members: Sequence[JSON],
    channels: Sequence[JSON],
    threads: Sequence[JSON] = (),
    member_count: int | None = None,
) -> JSON:
    """A full GUILD_CREATE guild.

    ``roles`` must contain the @everyone role whose id equals the guild id, and ``member_count``
    must equal the number of members the bot may know, or discord.py requests member chunks and
    stalls for seconds.
    """
    if not any(r["id"] == str(guild_id) for r in roles):
        raise ValueError("a guild needs an @everyone role whose id is the guild id")
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": timestamp(),
        "large": False,
        "unavailable": False,
        "member_count": len(members) if member_count is None else member_count,
        "members": list(members),
        "channels": list(channels),
        "threads": list(threads),
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def rest_guild(guild_payload: JSON, *, member_count: int) -> JSON:
    """``GET /guilds/{id}?with_counts=true`` (``developers/resources/guild.mdx``, Get Guild):
    the guild object as ``GuildWithCountsResponse`` has it, from a GUILD_CREATE payload
    without the gateway's own fields (members, channels, threads, voice states …), with the
    approximate counts ``with_counts`` asks for (no presences here: nobody is online)."""
    gateway_only = {
        "joined_at", "large", "unavailable", "member_count", "members", "channels", "threads",
        "voice_states", "presences", "stage_instances", "guild_scheduled_events",
        "soundboard_sounds",
    }  # fmt: skip
    guild = {key: value for key, value in guild_payload.items() if key not in gateway_only}
    return {
        "home_header": None,
        "application_id": None,
        "region": "deprecated",
        "widget_enabled": False,
        "widget_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "safety_alerts_channel_id": None,
        "nsfw": False,
        "incidents_data": None,
        **guild,
        "approximate_member_count": member_count,
        "approximate_presence_count": 0,
    }


def attachment(
    attachment_id: int, filename: str, *, size: int, url: str, content_type: str | None = None
) -> JSON:
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "ephemeral": False,
    }


def stored_embed(embed: JSON) -> JSON:
    """An embed as Discord keeps it: ``type`` is required in ``MessageEmbedResponse`` and is
    "rich" for every embed a bot sends (``developers/resources/message.mdx``, Embed Types)."""
    return {"type": "rich", **embed}


def message(
    message_id: int,
    channel_id: int,
    author: JSON,
    *,
    content: str = "",
    embeds: Sequence[JSON] = (),
    components: Sequence[JSON] = (),
    attachments: Sequence[JSON] = (),
    flags: int = 0,
    message_type: int = 0,
    created_at: str | None = None,
    edited_at: str | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: JSON | None = None,
    mentions: Sequence[JSON] = (),
) -> JSON:
    """A message as REST answers it (``MessageResponse``). ``guild_id`` and ``member`` are
    extra fields of the gateway's MESSAGE_CREATE/UPDATE (``developers/events/gateway-events.mdx``,
    Message Create): :func:`gateway_message` adds them, REST never sends them."""
    payload: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": created_at or timestamp(),
        "edited_timestamp": edited_at,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(components),
        "pinned": False,
        "type": message_type,
        "flags": flags,
    }
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    return payload


def gateway_message(
    rest_payload: JSON, *, guild_id: int | None, member_payload: JSON | None
) -> JSON:
    """MESSAGE_CREATE/UPDATE: the REST message plus ``guild_id`` and the author's partial
    ``member`` in guild channels (``developers/events/gateway-events.mdx``, Message Create)."""
    payload = dict(rest_payload)
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if member_payload is not None:
        payload["member"] = member_payload
    return payload


def _interaction(
    *,
    interaction_id: int,
    interaction_type: int,
    token: str,
    application_id: int,
    data: JSON,
    channel: JSON,
    user_payload: JSON,
    guild_id: int | None,
    member_payload: JSON | None,
    app_permissions: int,
    locale: str,
    message_payload: JSON | None = None,
) -> JSON:
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": interaction_type,
        "data": data,
        "token": token,
        "version": 1,
        "channel": channel,
        "channel_id": channel["id"],
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": channel.get("guild_id") or "0"},
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
        payload["guild_locale"] = "en-US"
        payload["member"] = member_payload
        payload["context"] = 0
    else:
        payload["user"] = user_payload
        payload["context"] = 1
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def command_interaction(
    *,
    interaction_id: int,
    token: str,
    application_id: int,
    command: JSON,
    options: Sequence[JSON],
    channel: JSON,
    user_payload: JSON,
    guild_id: int | None = None,
    member_payload: JSON | None = None,
    resolved: JSON | None = None,
    app_permissions: int = 0,
    locale: str = "en-US",
) -> JSON:
    """Type 2: a slash command. ``options`` may nest a subcommand (type 1) or group (type 2)."""
    data: JSON = {
        "id": command["id"],
        "name": command["name"],
        "type": command.get("type", 1),
        "options": list(options),
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return _interaction(
        interaction_id=interaction_id,
        interaction_type=INTERACTION_APPLICATION_COMMAND,
        token=token,
        application_id=application_id,
        data=data,
        channel=channel,
        user_payload=user_payload,
        guild_id=guild_id,
        member_payload=member_payload,
        app_permissions=app_permissions,
        locale=locale,
    )


def component_interaction(
    *,
    interaction_id: int,
    token: str,
    application_id: int,
    custom_id: str,
    component_type: int,
    component_id: int | None = None,
    message_payload: JSON,
    channel: JSON,
    user_payload: JSON,
    values: Sequence[str] | None = None,
    guild_id: int | None = None,
    member_payload: JSON | None = None,
    app_permissions: int = 0,
    locale: str = "en-US",
) -> JSON:
    """Type 3: a button (component_type 2) or a select (3, 5-8) with the chosen ``values``; ``id``
    is the number Discord gave the component (``developers/components/reference.mdx``)."""
    data: JSON = {"custom_id": custom_id, "component_type": component_type}
    if component_id is not None:
        data["id"] = component_id
    if values is not None:
        data["values"] = list(values)
    return _interaction(
        interaction_id=interaction_id,
        interaction_type=INTERACTION_MESSAGE_COMPONENT,
        token=token,
        application_id=application_id,
        data=data,
        channel=channel,
        user_payload=user_payload,
        guild_id=guild_id,
        member_payload=member_payload,
        app_permissions=app_permissions,
        locale=locale,
        message_payload=message_payload,
    )


def modal_submit_interaction(
    *,
    interaction_id: int,
    token: str,
    application_id: int,
    custom_id: str,
    components: Sequence[JSON],
    channel: JSON,
    user_payload: JSON,
    guild_id: int | None = None,
    member_payload: JSON | None = None,
    message_payload: JSON | None = None,
    app_permissions: int = 0,
    locale: str = "en-US",
) -> JSON:
    """Type 5: a submitted modal; ``components`` mirror the modal's rows/labels with values."""
    return _interaction(
        interaction_id=interaction_id,
        interaction_type=INTERACTION_MODAL_SUBMIT,
        token=token,
        application_id=application_id,
        data={"custom_id": custom_id, "components": list(components)},
        channel=channel,
        user_payload=user_payload,
        guild_id=guild_id,
        member_payload=member_payload,
        app_permissions=app_permissions,
        locale=locale,
        message_payload=message_payload,
    )


def submitted_modal_components(
    modal_components: Sequence[JSON], values: Mapping[str, Any]
) -> list[JSON]:
    """Mirror a modal's layout (action rows of text inputs, or labels) filled with ``values``."""

    def filled(component: JSON) -> JSON | None:
        custom_id = component.get("custom_id")
        if custom_id is None:
            return None
        answer: JSON = {"type": component["type"], "custom_id": custom_id}
        if "id" in component:
            answer["id"] = component["id"]
        value = values.get(custom_id)
        if component["type"] == 4:
            answer["value"] = "" if value is None else str(value)
        else:
            answer["values"] = [] if value is None else [str(v) for v in value]
        return answer

    submitted: list[JSON] = []
    for top in modal_components:
        if top["type"] == 1:
            inner = [c for c in (filled(c) for c in top.get("components", [])) if c is not None]
            submitted.append({"type": 1, "components": inner})
        elif top["type"] == 18:
            inner_component = filled(top["component"])
            if inner_component is not None:
                submitted.append({"type": 18, "id": top.get("id", 0), "component": inner_component})
        # Text displays (type 10) carry no value and are not submitted.
    return submitted


#: ``ApplicationIntegrationType`` GUILD_INSTALL: the only way a Tandem bot is installed.
GUILD_INSTALL = 0

#: Interaction callback types whose answer carries the message as ``resource``.
CALLBACKS_WITH_MESSAGE = frozenset({4, 7})


def application_command(
    command_id: int, application_id: int, spec: Mapping[str, Any], *, guild_id: int | None
) -> JSON:
    """A registered command as Discord answers a bulk overwrite (``ApplicationCommandResponse``;
    ``developers/interactions/application-commands.mdx``, Application Command Structure).

    Not an echo of the request: ``default_member_permissions`` is a string bit set or null,
    ``integration_types`` a list (the app's install contexts when the request left it out or
    null), ``version`` a snowflake, and a field sent as null gets Discord's default instead.
    """
    permissions = spec.get("default_member_permissions")
    payload: JSON = {
        "type": 1,
        "description": "",
        "options": [],
        "nsfw": False,
        "contexts": None,
        **{key: value for key, value in spec.items() if value is not None},
        "default_member_permissions": None if permissions is None else str(permissions),
        "integration_types": list(spec.get("integration_types") or [GUILD_INSTALL]),
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(command_id),
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


#: Application flags of the privileged intents an app in under 100 servers has switched on
#: (``developers/resources/application.mdx``, Application Flags: ``GATEWAY_PRESENCE_LIMITED``
#: ``1 << 13``, ``GATEWAY_GUILD_MEMBERS_LIMITED`` ``1 << 15``,
#: ``GATEWAY_MESSAGE_CONTENT_LIMITED`` ``1 << 19``); the unlimited ones (``1 << 12``,
#: ``1 << 14``, ``1 << 18``) need Discord's review, for apps in 100 servers or more.
FLAG_GATEWAY_PRESENCE_LIMITED = 1 << 13
FLAG_GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
FLAG_GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19


def application_info(
    application_id: int, name: str, owner: JSON, *, guild_count: int, flags: int = 0
) -> JSON:
    """``GET /oauth2/applications/@me`` as ``PrivateApplicationResponse`` requires it
    (``developers/resources/application.mdx``, Application Structure)."""
    return {
        "id": str(application_id),
        "name": name,
        "icon": None,
        "description": "",
        "type": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": flags,
        "flags_new": str(flags),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": guild_count,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
        "integration_types_config": {str(GUILD_INSTALL): {}},
        "bot": owner,
    }


def interaction_callback(
    *,
    interaction_id: int,
    interaction_type: int,
    callback_type: int,
    message_payload: JSON | None = None,
    loading: bool = False,
    ephemeral: bool = False,
) -> JSON:
    """The body of ``POST /interactions/{id}/{token}/callback?with_response=1``
    (``InteractionCallbackResponse``; ``developers/interactions/receiving-and-responding.mdx``,
    Interaction Callback Response Object).

    ``response_message_*`` only when the callback made or changed a message (omitted, never
    null); ``resource`` only for CHANNEL_MESSAGE_WITH_SOURCE (4) and UPDATE_MESSAGE (7), the
    callbacks whose message it carries (LAUNCH_ACTIVITY, 12, the other one, is not used here).
    """
    interaction: JSON = {"id": str(interaction_id), "type": interaction_type}
    body: JSON = {"interaction": interaction}
    if message_payload is not None:
        interaction["response_message_id"] = message_payload["id"]
        interaction["response_message_loading"] = loading
        interaction["response_message_ephemeral"] = ephemeral
        if callback_type in CALLBACKS_WITH_MESSAGE:
            body["resource"] = {"type": callback_type, "message": message_payload}
    return body


def ready(
    *,
    bot_user: JSON,
    guild_ids: Iterable[int],
    session_id: str,
    resume_gateway_url: str,
    application_id: int,
) -> JSON:
    """READY: guilds start unavailable and arrive as GUILD_CREATE right after."""
    return {
        "v": 10,
        "user": current_user(bot_user),
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "application": {"id": str(application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "user_settings": {},
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "_trace": ["loopback-discord"],
    }


def gateway_frame(op: int, d: Any = None, *, s: int | None = None, t: str | None = None) -> JSON:
    return {"op": op, "d": d, "s": s, "t": t}
