"""How the bot answers interactions: the callback and the webhook follow-ups.

``POST /interactions/{id}/{token}/callback?with_response=1`` must come within 3 seconds of the
INTERACTION_CREATE and only once (Discord: 404 10062 "Unknown interaction" when late, 400 40060
"Interaction has already been acknowledged." the second time). With ``with_response`` the body
returned is the ``InteractionCallbackResponse`` JSON discord.py 2.7 expects; without, 204.

Follow-ups use the interaction token as a webhook token for 15 minutes:
``POST /webhooks/{app}/{token}``, ``GET/PATCH/DELETE /webhooks/{app}/{token}/messages/@original``
and ``.../messages/{id}``. The deadlines use the server's clock, which a test can shift.

Deprecated but still accepted, and noted in ``server.deprecations``: a follow-up straight after
a deferred response (type 5) edits the "thinking" message instead of creating one, and a modal
whose text inputs sit in action rows or carry their own label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tests.support.discord_loopback import components, limits, payloads
from tests.support.discord_loopback.errors import (
    INTERACTION_ALREADY_ACKNOWLEDGED,
    INVALID_WEBHOOK_TOKEN,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    DiscordError,
    Problem,
    invalid_form_body,
)
from tests.support.discord_loopback.state import Interaction, InteractionResponse, Message
from tests.support.discord_loopback.transport import json_response, no_content, read_body

if TYPE_CHECKING:
    from tests.support.discord_loopback.server import LoopbackDiscord

#: Seconds a bot has for the initial response.
INITIAL_RESPONSE_DEADLINE = 3.0
#: Seconds an interaction token stays valid for follow-ups.
TOKEN_LIFETIME = 15 * 60.0

#: How a boolean query string says true (``developers/reference.mdx``, Boolean Query Strings).
BOOLEAN_TRUE = frozenset({"true", "True", "1"})

CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_MODAL = 9

#: Which callbacks Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {
    payloads.INTERACTION_APPLICATION_COMMAND: {
        CALLBACK_MESSAGE,
        CALLBACK_DEFERRED_MESSAGE,
        CALLBACK_MODAL,
    },
    payloads.INTERACTION_MESSAGE_COMPONENT: {
        CALLBACK_MESSAGE,
        CALLBACK_DEFERRED_MESSAGE,
        CALLBACK_DEFERRED_UPDATE,
        CALLBACK_UPDATE_MESSAGE,
        CALLBACK_MODAL,
    },
    payloads.INTERACTION_MODAL_SUBMIT: {
        CALLBACK_MESSAGE,
        CALLBACK_DEFERRED_MESSAGE,
        CALLBACK_DEFERRED_UPDATE,
        CALLBACK_UPDATE_MESSAGE,
    },
}


class InteractionApi:
    def __init__(self, server: LoopbackDiscord) -> None:
        self.server = server
        self.world = server.world

    def routes(self) -> list[web.RouteDef]:
        p = "/api/v10"
        hook = f"{p}/webhooks/{{application_id}}/{{token}}"
        return [
            web.post(f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self.callback),
            web.post(hook, self.followup),
            web.get(f"{hook}/messages/{{message_id}}", self.get_webhook_message),
            web.patch(f"{hook}/messages/{{message_id}}", self.edit_webhook_message),
            web.delete(f"{hook}/messages/{{message_id}}", self.delete_webhook_message),
        ]

    # -- initial response ---------------------------------------------------------
    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.world.interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if interaction.callback is not None:
            raise DiscordError(
                400, INTERACTION_ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        if self.server.now() - interaction.created_at > INITIAL_RESPONSE_DEADLINE:
            raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        body, uploads = await read_body(request)
        callback_type = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = ALLOWED_CALLBACKS.get(interaction.type, set())
        if callback_type not in allowed:
            raise invalid_form_body(
                [Problem("type", "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid response type")]
            )
        if (
            callback_type in (CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE)
            and interaction.message_id is None
        ):
            raise invalid_form_body(
                [Problem("type", "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")]
            )

        channel = self.world.channel(interaction.channel_id)
        # Answers to slash commands are CHAT_INPUT_COMMAND (20) messages, others DEFAULT (0).
        is_command = interaction.type == payloads.INTERACTION_APPLICATION_COMMAND
        message_type = 20 if is_command else 0
        message: Message | None = None
        if callback_type == CALLBACK_MESSAGE:
            message = self.server.create_message_from_body(
                channel,
                data,
                uploads,
                author_id=self.server.bot.id,
                creating=True,
                interaction=interaction,
                message_type=message_type,
                allow_ephemeral=True,
            )
            interaction.original_message_id = message.id
        elif callback_type == CALLBACK_DEFERRED_MESSAGE:
            flags = limits.FLAG_LOADING | (int(data.get("flags") or 0) & limits.FLAG_EPHEMERAL)
            message = self.server.create_message_from_body(
                channel,
                {"flags": flags},
                [],
                author_id=self.server.bot.id,
                creating=False,
                interaction=interaction,
                message_type=message_type,
                allow_ephemeral=True,
            )
            interaction.original_message_id = message.id
        elif callback_type == CALLBACK_DEFERRED_UPDATE:
            interaction.original_message_id = interaction.message_id
        elif callback_type == CALLBACK_UPDATE_MESSAGE:
            assert interaction.message_id is not None
            message = self.world.message(interaction.channel_id, interaction.message_id)
            self.server.edit_message_from_body(message, data, uploads)
            interaction.original_message_id = message.id
        elif callback_type == CALLBACK_MODAL:
            problems = limits.check_modal(data)
            if problems:
                raise invalid_form_body(problems)
            for why in limits.deprecated_in_modal(data):
                self.server.note_deprecated(f"POST {request.path}", why)
            # Discord numbers a modal's components too; the submission carries the numbers back.
            data = {
                **data,
                "components": components.stored(data.get("components") or [], in_modal=True),
            }

        interaction.responses.append(
            InteractionResponse(
                "callback", callback_type, data, message.id if message is not None else None
            )
        )
        self.world.changed()
        if request.query.get("with_response") not in BOOLEAN_TRUE:
            # "Returns 204 unless with_response is set to true" (receiving-and-responding.mdx).
            return no_content()
        message_payload = self.server.message_payload(message) if message is not None else None
        return json_response(
            payloads.interaction_callback(
                interaction_id=interaction.id,
                interaction_type=interaction.type,
                callback_type=callback_type,
                message_payload=message_payload,
                loading=callback_type == CALLBACK_DEFERRED_MESSAGE,
                ephemeral=bool(message is not None and message.ephemeral),
            )
        )

    # -- follow-ups ------------------------------------------------------------------
    def _interaction_for_webhook(self, request: web.Request) -> Interaction:
        interaction = self.world.interactions_by_token.get(request.match_info["token"])
        if interaction is None or request.match_info["application_id"] != str(
            self.server.application_id
        ):
            raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        if interaction.callback is None:
            # The token only becomes a webhook once the interaction was acknowledged.
            raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        if self.server.now() - interaction.created_at > TOKEN_LIFETIME:
            raise DiscordError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        return interaction

    def _webhook_message(self, interaction: Interaction, message_ref: str) -> Message:
        if message_ref == "@original":
            if interaction.original_message_id is None:
                raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
            message_id = interaction.original_message_id
        else:
            message_id = int(message_ref)
        message = self.world.message(interaction.channel_id, message_id)
        if message.deleted:
            raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
        is_ours = (
            message.interaction_id == interaction.id
            or message.id == interaction.original_message_id
        )
        if not is_ours:
            raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
        return message

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_webhook(request)
        body, uploads = await read_body(request)
        channel = self.world.channel(interaction.channel_id)
        loading = self._still_loading(interaction)
        if loading is not None:
            # "When using this endpoint directly after responding to an interaction with
            # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, this endpoint will function as Edit Original
            # Interaction Response ... This behavior is deprecated"
            # (developers/interactions/receiving-and-responding.mdx, Create Followup Message).
            self.server.note_deprecated(
                f"POST {request.path}",
                "a follow-up straight after a deferral; edit the original response instead",
            )
            body = {k: v for k, v in body.items() if k != "flags"}
            self.server.edit_message_from_body(loading, body, uploads)
            interaction.responses.append(InteractionResponse("followup", None, body, loading.id))
            self.world.changed()
            return json_response(self.server.message_payload(loading))
        message = self.server.create_message_from_body(
            channel,
            body,
            uploads,
            author_id=self.server.bot.id,
            creating=True,
            interaction=interaction,
            allow_ephemeral=True,
        )
        interaction.responses.append(InteractionResponse("followup", None, body, message.id))
        self.world.changed()
        if request.query.get("wait") in BOOLEAN_TRUE:
            return json_response(self.server.message_payload(message))
        return no_content()

    def _still_loading(self, interaction: Interaction) -> Message | None:
        """The "thinking" message of a type-5 deferral nothing has finished yet, if any."""
        callback = interaction.callback
        if callback is None or callback.type != CALLBACK_DEFERRED_MESSAGE:
            return None
        if interaction.original_message_id is None:
            return None
        message = self.world.message(interaction.channel_id, interaction.original_message_id)
        return message if message.flags & limits.FLAG_LOADING and not message.deleted else None

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_webhook(request)
        message = self._webhook_message(interaction, request.match_info["message_id"])
        return json_response(self.server.message_payload(message))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_webhook(request)
        ref = request.match_info["message_id"]
        message = self._webhook_message(interaction, ref)
        body, uploads = await read_body(request)
        self.server.edit_message_from_body(message, body, uploads)
        kind = "edit_original" if ref == "@original" else "edit_message"
        interaction.responses.append(InteractionResponse(kind, None, body, message.id))
        self.world.changed()
        return json_response(self.server.message_payload(message))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        interaction = self._interaction_for_webhook(request)
        ref = request.match_info["message_id"]
        message = self._webhook_message(interaction, ref)
        self.server.delete_message(message)
        interaction.responses.append(InteractionResponse("delete", None, {}, message.id))
        self.world.changed()
        return no_content()
