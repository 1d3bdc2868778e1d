"""The shapes Discord documents for its REST answers, held against every answer the loopback gives.

Discord publishes an OpenAPI description of its HTTP API (repository ``discord/discord-api-spec``,
``specs/openapi.json``). It is not committed here; the rules below are taken from it, each
:class:`Shape` named after the schema it follows, so the end-to-end suite keeps the loopback
honest without the spec at hand: a field a schema requires, a field it does not name (for the
objects listed with ``allowed``), a field of the wrong JSON type, or a status the operation does
not document fails the test whose exchange broke the rule (the ``loopback_discord`` fixture
calls :func:`problems_in`). ``tests/support/discord_openapi_check.py`` holds a recording of the
suite against the whole spec; run it after changing what the loopback answers.

Where the spec (a public preview) and the docs (``discord/discord-api-docs``) disagree, the docs
win: the inner errors of a 400 carry string codes (``developers/reference.mdx``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.discord_loopback.transport import RequestRecord

JSON = dict[str, Any]

_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


@dataclass(frozen=True)
class Shape:
    """What one schema of the spec asks of an object."""

    schema: str
    required: frozenset[str]
    #: Every field the schema names; ``None`` leaves the object open.
    allowed: frozenset[str] | None = None
    #: field -> the shape (or union) of its value, or of each item when it is a list.
    nested: Mapping[str, str] = field(default_factory=dict)
    #: field -> the JSON types its value may have.
    types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _shape(
    schema: str,
    required: str,
    *,
    allowed: str | None = None,
    nested: Mapping[str, str] | None = None,
    types: Mapping[str, tuple[str, ...]] | None = None,
) -> Shape:
    names = frozenset(required.split())
    return Shape(
        schema,
        names,
        None if allowed is None else names | frozenset(allowed.split()),
        nested or {},
        types or {},
    )


_USER = "id username avatar discriminator public_flags flags global_name"
_COMPONENT_ID = {"id": ("integer",)}
_SELECT_OPTIONAL = "placeholder disabled default_values"
SHAPES: dict[str, Shape] = {
    s.schema: s
    for s in (
        _shape("UserResponse", f"{_USER} primary_guild"),
        _shape("UserPIIResponse", f"{_USER} mfa_enabled locale"),
        _shape(
            "PrivateApplicationResponse",
            "id name icon description type verify_key flags flags_new redirect_uris"
            " interactions_endpoint_url role_connections_verification_url owner"
            " approximate_guild_count approximate_user_install_count"
            " approximate_user_authorization_count explicit_content_filter team"
            " eligible_oauth2_scopes",
            allowed="cover_image primary_sku_id bot slug guild_id rpc_origins bot_public"
            " bot_require_code_grant terms_of_service_url privacy_policy_url custom_install_url"
            " install_params integration_types_config max_participants tags event_webhooks_url"
            " event_webhooks_status event_webhooks_types",
            nested={"owner": "UserResponse", "bot": "UserResponse"},
        ),
        _shape(
            "ApplicationCommandResponse",
            "id application_id version default_member_permissions type name description",
            types={
                "default_member_permissions": ("string", "null"),
                "integration_types": ("array",),
                "contexts": ("array", "null"),
            },
        ),
        _shape(
            "MessageResponse",
            "type content mentions mention_roles attachments embeds timestamp edited_timestamp"
            " flags components id channel_id author pinned mention_everyone tts",
            # guild_id and member are not among them: the gateway adds those.
            allowed="stickers sticker_items call activity application application_id"
            " interaction nonce webhook_id message_reference thread mention_channels"
            " role_subscription_data purchase_notification position resolved poll"
            " shared_client_theme interaction_metadata message_snapshots lobby_member"
            " reactions referenced_message",
            nested={
                "author": "UserResponse",
                "mentions": "UserResponse",
                "components": "component",
                "embeds": "MessageEmbedResponse",
                "attachments": "MessageAttachmentResponse",
            },
        ),
        _shape("MessageEmbedResponse", "type"),
        _shape("MessageAttachmentResponse", "id filename size url proxy_url"),
        _shape(
            "ActionRowComponentResponse",
            "type id components",
            allowed="",
            nested={"components": "component"},
            types=_COMPONENT_ID,
        ),
        _shape(
            "ButtonComponentResponse",
            "type id style",
            allowed="custom_id label disabled emoji url sku_id",
            nested={"emoji": "ComponentEmojiResponse"},
            types=_COMPONENT_ID,
        ),
        _shape(
            "StringSelectComponentResponse",
            "type id custom_id min_values max_values options",
            allowed="placeholder disabled",
            nested={"options": "StringSelectOptionResponse"},
            types=_COMPONENT_ID,
        ),
        _shape(
            "StringSelectOptionResponse",
            "label value",
            allowed="description emoji default",
            nested={"emoji": "ComponentEmojiResponse"},
        ),
        _shape(
            "OtherSelectComponentResponse",  # User/Role/Mentionable/ChannelSelectComponentResponse
            "type id custom_id min_values max_values",
            allowed=f"{_SELECT_OPTIONAL} channel_types",
            types=_COMPONENT_ID,
        ),
        _shape(
            "SectionComponentResponse",
            "type id components accessory",
            nested={"components": "component", "accessory": "component"},
            types=_COMPONENT_ID,
        ),
        _shape("TextDisplayComponentResponse", "type id content", types=_COMPONENT_ID),
        _shape(
            "ThumbnailComponentResponse", "type id media description spoiler", types=_COMPONENT_ID
        ),
        _shape("MediaGalleryComponentResponse", "type id items", types=_COMPONENT_ID),
        _shape("FileComponentResponse", "type id file name size spoiler", types=_COMPONENT_ID),
        _shape("SeparatorComponentResponse", "type id spacing divider", types=_COMPONENT_ID),
        _shape(
            "ContainerComponentResponse",
            "type id accent_color components spoiler",
            nested={"components": "component"},
            types=_COMPONENT_ID,
        ),
        # A unicode emoji has a name and no id: an ``id`` present must be a snowflake string.
        _shape("ComponentEmojiResponse", "name", types={"id": ("string",)}),
        _shape(
            "PrivateChannelResponse",
            "id type flags recipients",
            nested={"recipients": "UserResponse"},
        ),
        _shape(
            "GuildChannelResponse",
            "id type flags guild_id name position",
            nested={"permission_overwrites": "ChannelPermissionOverwriteResponse"},
        ),
        _shape("ChannelPermissionOverwriteResponse", "id type allow deny"),
        _shape(
            "ThreadResponse",
            "id type flags guild_id name owner_id thread_metadata message_count member_count"
            " total_message_sent",
            nested={"thread_metadata": "ThreadMetadataResponse", "member": "ThreadMemberResponse"},
        ),
        _shape(
            "ThreadsResponse",
            "threads members has_more",
            allowed="first_messages",
            nested={"threads": "channel", "members": "ThreadMemberResponse"},
            types={"has_more": ("boolean",)},
        ),
        _shape("ThreadMetadataResponse", "archived archive_timestamp auto_archive_duration locked"),
        _shape("ThreadMemberResponse", "id user_id join_timestamp flags"),
        _shape(
            "GuildWithCountsResponse",
            "id name icon description home_header splash discovery_splash features banner"
            " owner_id application_id region afk_channel_id afk_timeout system_channel_id"
            " system_channel_flags widget_enabled widget_channel_id verification_level roles"
            " default_message_notifications mfa_level explicit_content_filter max_presences"
            " max_members max_stage_video_channel_users max_video_channel_users"
            " vanity_url_code premium_tier premium_subscription_count preferred_locale"
            " rules_channel_id safety_alerts_channel_id public_updates_channel_id"
            " premium_progress_bar_enabled nsfw nsfw_level emojis stickers incidents_data",
            allowed="premium_progress_bar_enabled_user_updated_at approximate_member_count"
            " approximate_presence_count",
            nested={"roles": "GuildRoleResponse"},
        ),
        _shape(
            "GuildRoleResponse",
            "id name permissions position color colors hoist managed mentionable icon"
            " unicode_emoji flags",
            allowed="tags",
            types={"permissions": ("string",)},
        ),
        _shape(
            "GuildMemberResponse",
            "avatar banner communication_disabled_until flags joined_at nick pending"
            " premium_since roles user mute deaf",
            nested={"user": "UserResponse"},
        ),
        _shape(
            "InteractionCallbackResponse",
            "interaction",
            allowed="resource",
            nested={"interaction": "InteractionResponse", "resource": "callback resource"},
        ),
        _shape(
            "InteractionResponse",
            "id type",
            allowed="activity_instance_id response_message_id response_message_loading"
            " response_message_ephemeral channel_id guild_id",
            # Omitted when no message was made, never null.
            types={"response_message_id": ("string",)},
        ),
        _shape(
            "CreateMessageInteractionCallbackResponse",  # and UpdateMessage...: type 4 and 7
            "type message",
            allowed="",
            nested={"message": "MessageResponse"},
        ),
        _shape("ErrorResponse", "code message", allowed="errors", types={"code": ("integer",)}),
    )
}

_SELECTS = {3: "StringSelectComponentResponse"} | dict.fromkeys(
    (5, 6, 7, 8), "OtherSelectComponentResponse"
)
_COMPONENTS: dict[int, str] = {
    1: "ActionRowComponentResponse",
    2: "ButtonComponentResponse",
    **_SELECTS,
    9: "SectionComponentResponse",
    10: "TextDisplayComponentResponse",
    11: "ThumbnailComponentResponse",
    12: "MediaGalleryComponentResponse",
    13: "FileComponentResponse",
    14: "SeparatorComponentResponse",
    17: "ContainerComponentResponse",
}
_CHANNELS = {1: "PrivateChannelResponse", 11: "ThreadResponse", 12: "ThreadResponse"}

#: Unions the spec resolves by ``type``: the value -> the shape, or ``None`` when no shape fits.
UNIONS: dict[str, Callable[[JSON], str | None]] = {
    "component": lambda value: _COMPONENTS.get(value.get("type")),  # type: ignore[arg-type]
    "channel": lambda value: _CHANNELS.get(value.get("type"), "GuildChannelResponse"),  # type: ignore[arg-type]
    # InteractionCallbackResponse.resource: only CHANNEL_MESSAGE_WITH_SOURCE (4) and
    # UPDATE_MESSAGE (7) carry a message; LAUNCH_ACTIVITY (12) is not used by the loopback.
    "callback resource": lambda value: (
        "CreateMessageInteractionCallbackResponse" if value.get("type") in (4, 7) else None
    ),
}


@dataclass(frozen=True)
class Answer:
    """What an operation answers on success: its documented statuses and the body's shape."""

    statuses: frozenset[int]
    shape: str | None = None
    many: bool = False


def _answer(status: int | Iterable[int], shape: str | None = None, *, many: bool = False) -> Answer:
    statuses = frozenset([status] if isinstance(status, int) else status)
    return Answer(statuses, shape, many)


_COMMANDS = _answer(200, "ApplicationCommandResponse", many=True)
_MESSAGE = _answer(200, "MessageResponse")
#: Every route the loopback serves, by the template in ``RequestRecord.route``; the names are
#: the spec's operation ids.
ROUTES: dict[tuple[str, str], Answer] = {
    ("GET", "/gateway"): _answer(200),  # get_gateway
    ("GET", "/gateway/bot"): _answer(200),  # get_bot_gateway
    ("GET", "/users/@me"): _answer(200, "UserPIIResponse"),  # get_my_user
    ("GET", "/users/{user_id}"): _answer(200, "UserResponse"),  # get_user
    ("GET", "/oauth2/applications/@me"): _answer(200, "PrivateApplicationResponse"),
    ("GET", "/applications/{application_id}/commands"): _COMMANDS,
    ("PUT", "/applications/{application_id}/commands"): _COMMANDS,
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands"): _COMMANDS,
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): _COMMANDS,
    ("POST", "/users/@me/channels"): _answer(200, "PrivateChannelResponse"),  # create_dm
    ("GET", "/channels/{channel_id}"): _answer(200, "channel"),
    ("DELETE", "/channels/{channel_id}"): _answer(200, "channel"),
    ("PATCH", "/channels/{channel_id}"): _answer(200, "channel"),
    ("GET", "/channels/{channel_id}/messages"): _answer(200, "MessageResponse", many=True),
    ("POST", "/channels/{channel_id}/messages"): _MESSAGE,
    ("GET", "/channels/{channel_id}/messages/{message_id}"): _MESSAGE,
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): _MESSAGE,
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): _answer(204),
    # create_thread and create_thread_from_message: 201 Created.
    ("POST", "/channels/{channel_id}/threads"): _answer(201, "ThreadResponse"),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): _answer(
        201, "ThreadResponse"
    ),
    ("GET", "/channels/{channel_id}/thread-members"): _answer(
        200, "ThreadMemberResponse", many=True
    ),
    ("PUT", "/channels/{channel_id}/thread-members/{user_id}"): _answer(204),
    # get_active_guild_threads and list_my_private_archived_threads.
    ("GET", "/guilds/{guild_id}/threads/active"): _answer(200, "ThreadsResponse"),
    ("GET", "/channels/{channel_id}/users/@me/threads/archived/private"): _answer(
        200, "ThreadsResponse"
    ),
    ("DELETE", "/channels/{channel_id}/thread-members/{user_id}"): _answer(204),
    # create_guild_channel: 201 Created.
    ("POST", "/guilds/{guild_id}/channels"): _answer(201, "GuildChannelResponse"),
    ("GET", "/guilds/{guild_id}/channels"): _answer(200, "channel", many=True),
    ("GET", "/guilds/{guild_id}"): _answer(200, "GuildWithCountsResponse"),  # get_guild
    ("GET", "/guilds/{guild_id}/members/{user_id}"): _answer(200, "GuildMemberResponse"),
    # create_interaction_response: 200 with ``with_response``, else 204.
    ("POST", "/interactions/{interaction_id}/{token}/callback"): _answer(
        (200, 204), "InteractionCallbackResponse"
    ),
    # execute_webhook: 200 with ``wait``, else 204.
    ("POST", "/webhooks/{application_id}/{token}"): _answer((200, 204), "MessageResponse"),
    ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}"): _MESSAGE,
    ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}"): _MESSAGE,
    ("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}"): _answer(204),
}


def check(shape: str, value: Any, where: str = "") -> list[str]:
    """The ways ``value`` breaks ``shape`` (a name in :data:`SHAPES` or :data:`UNIONS`);
    ``where`` is the value's path in the answer, for the messages."""
    here = where or "(body)"
    if not isinstance(value, dict):
        return [f"{here}: expected an object ({shape}), got {type(value).__name__}"]
    if shape in UNIONS:
        chosen = UNIONS[shape](value)
        if chosen is None:
            return [f"{here}: type {value.get('type')!r} has no documented {shape} shape"]
        shape = chosen
    rules = SHAPES[shape]
    problems = [
        f"{here}: {rules.schema} requires {name!r}"
        for name in sorted(rules.required)
        if name not in value
    ]
    if rules.allowed is not None:
        problems += [
            f"{here}: {rules.schema} has no field {name!r}"
            for name in sorted(value)
            if name not in rules.allowed
        ]
    for name, kinds in rules.types.items():
        if name in value and not any(_JSON_TYPES[k](value[name]) for k in kinds):
            problems.append(
                f"{here}: {rules.schema}.{name} must be {' or '.join(kinds)}, got {value[name]!r}"
            )
    for name, inner in rules.nested.items():
        path = f"{where}.{name}" if where else name
        item = value.get(name)
        if isinstance(item, list):
            for index, element in enumerate(item):
                problems += check(inner, element, f"{path}[{index}]")
        elif item is not None:
            problems += check(inner, item, path)
    return problems


def problems_in(exchanges: Iterable[RequestRecord]) -> list[str]:
    """Every rule the loopback's answers broke, one line per problem, naming the exchange."""
    found: list[str] = []
    for exchange in exchanges:
        if exchange.injected:
            continue  # a fault a test asked for (429, 500), answered as Discord would
        label = f"{exchange.method} {exchange.route} -> {exchange.status}"
        found += [f"{label}: {problem}" for problem in answer_problems(exchange)]
    return found


def answer_problems(exchange: RequestRecord) -> list[str]:
    """The rules one answer breaks: its status, then its body's shape."""
    body = exchange.response_body
    if exchange.status >= 400:
        return [] if body is None else check("ErrorResponse", body)
    answer = ROUTES.get((exchange.method, exchange.route))
    if answer is None:
        return ["no documented answer for this route (add it to shapes.ROUTES)"]
    if exchange.status not in answer.statuses:
        documented = " or ".join(str(s) for s in sorted(answer.statuses))
        return [f"Discord answers {documented} here"]
    if exchange.status == 204:
        return [] if body is None else ["a 204 answer has no body"]
    if answer.shape is None:
        return []
    if body is None:
        return [f"expected a {answer.shape} body"]
    if not answer.many:
        return check(answer.shape, body)
    if not isinstance(body, list):
        return [f"expected a list of {answer.shape}"]
    return [p for index, item in enumerate(body) for p in check(answer.shape, item, f"[{index}]")]
