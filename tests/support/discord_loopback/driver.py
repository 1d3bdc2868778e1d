"""What people do on the loopback Discord, and how a test waits for the bot's answer.

``Driver`` is mixed into :class:`~tests.support.discord_loopback.server.LoopbackDiscord`.
Actions build the INTERACTION_CREATE / MESSAGE_CREATE a real Discord client would cause:
``invoke_command`` (slash command, with subcommand and options checked against what the bot
registered), ``click_button``, ``choose`` (select menus), ``submit_modal``, ``send_user_message``,
``remove_member``, ``disconnect_gateway``. Each refuses what a real person could not do (a
command the bot never synced, a button that does not exist or is disabled, a value that is not
an option, a channel the person cannot see) with :class:`LoopbackUsageError` — that is a bug in
the test, not in the bot.

Waiting: ``wait_for_identify``, ``wait_for_resume``, ``wait_for_message`` (an inbox: each bot
message is returned once, oldest first), ``wait_for_interaction_response`` and the general
``wait_until``; a timeout fails with an ``AssertionError`` saying what was awaited.
"""

# The driver API takes ``timeout=`` like asyncio.wait_for does; tests read better that way.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tests.support.discord_loopback import payloads
from tests.support.discord_loopback.gateway import INTENT_GUILD_MEMBERS, IdentifyRecord
from tests.support.discord_loopback.limits import FLAG_LOADING, MESSAGE_CONTENT_MAX
from tests.support.discord_loopback.state import (
    Channel,
    Guild,
    Interaction,
    InteractionResponse,
    Message,
    User,
)

if TYPE_CHECKING:
    from tests.support.discord_loopback.gateway import Gateway
    from tests.support.discord_loopback.state import World

JSON = dict[str, Any]
T = TypeVar("T")

_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_OPTION_SUBCOMMAND = 1
_POLL_INTERVAL = 0.01
_OPTION_GROUP = 2
_OPTION_USER = 6
_OPTION_CHANNEL = 7
_OPTION_ROLE = 8


class LoopbackUsageError(AssertionError):
    """The test asked a person to do something Discord's client would not let them do."""


class Driver:
    # Provided by LoopbackDiscord.
    world: World
    gateway: Gateway
    bot: User
    application_id: int
    now: Callable[[], float]
    _consumed_messages: set[int]

    if TYPE_CHECKING:

        def _user(self, user: User | int) -> User: ...
        def default_channel(self, guild: Guild) -> Channel: ...
        def dm_channel_for(self, user: User | int) -> Channel: ...
        def message_payload(self, message: Message) -> JSON: ...
        def store_message(self, channel: Channel, message: Message) -> None: ...
        def emit_message(self, event: str, message: Message) -> None: ...

    # -- waiting ---------------------------------------------------------------------
    async def wait_until(
        self,
        check: Callable[[], T | None],
        *,
        timeout: float = 5.0,
        description: str = "",
    ) -> T:
        """Return ``check()`` once truthy; re-checked on every state change and every 10 ms."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {description or check}"
                )
            # Also poll: the condition may depend on the client's side (its event handlers).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.world.next_change(), min(remaining, _POLL_INTERVAL))

    async def wait_for_identify(self, *, timeout: float = 5.0) -> IdentifyRecord:
        """The latest IDENTIFY (token and intents) once a client has sent one."""
        await self.wait_until(
            lambda: self.gateway.identifies, timeout=timeout, description="IDENTIFY"
        )
        return self.gateway.identifies[-1]

    async def wait_for_resume(self, *, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_until(
            lambda: len(self.gateway.resumes) >= count,
            timeout=timeout,
            description=f"{count} RESUME(s)",
        )

    async def wait_for_message(
        self,
        channel_id: int | None = None,
        *,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The oldest bot message not yet returned by this method (in ``channel_id`` if given).

        Deferred responses count once they are finished; deleted messages never count.
        """

        def find() -> Message | None:
            candidates = [
                m
                for channel, messages in self.world.messages.items()
                if channel_id is None or channel == channel_id
                for m in messages
                if m.author_id == self.bot.id
                and m.id not in self._consumed_messages
                and not m.deleted
                and not m.flags & FLAG_LOADING
            ]
            for message in sorted(candidates, key=lambda m: m.id):
                if predicate is None or predicate(message):
                    return message
            return None

        where = f"in channel {channel_id}" if channel_id is not None else "anywhere"
        message = await self.wait_until(find, timeout=timeout, description=f"a bot message {where}")
        self._consumed_messages.add(message.id)
        return message

    async def wait_for_interaction_response(
        self,
        interaction_id: int,
        *,
        timeout: float = 5.0,
    ) -> InteractionResponse:
        """The initial response (callback) the bot gave to ``interaction_id``."""
        interaction = self.world.interactions[interaction_id]
        return await self.wait_until(
            lambda: interaction.callback,
            timeout=timeout,
            description=f"a response to interaction {interaction_id}",
        )

    async def wait_for_answer_message(
        self,
        interaction_id: int,
        *,
        timeout: float = 10.0,
    ) -> Message:
        """The message that answers ``interaction_id`` once it is finished: the callback's
        message, or, where the bot deferred (it took longer than its acknowledgement time, as
        on a busy machine), the "thinking" message after the bot edited its answer in."""
        interaction = self.world.interactions[interaction_id]

        def finished() -> Message | None:
            if interaction.original_message_id is None:
                return None
            message = self.world.message(interaction.channel_id, interaction.original_message_id)
            return None if message.flags & FLAG_LOADING or message.deleted else message

        return await self.wait_until(
            finished, timeout=timeout, description=f"the answer to interaction {interaction_id}"
        )

    # -- people's actions ----------------------------------------------------------------
    async def invoke_command(
        self,
        user: User | int,
        guild: Guild | None,
        name: str,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        options: Mapping[str, Any] | None = None,
        channel: Channel | None = None,
    ) -> int:
        """Run ``/name [group] [subcommand] option:value ...``; returns the interaction id.

        ``guild=None`` runs it in the user's DM with the bot. Option types come from the
        registered command; user/channel/role options accept ``User``/``Channel`` objects or ids.
        """
        user = self._user(user)
        command = self._registered(guild, name)
        path_options: list[JSON] = []
        node: JSON = command
        wrappers: list[JSON] = []
        for kind, child_name in ((_OPTION_GROUP, group), (_OPTION_SUBCOMMAND, subcommand)):
            if child_name is None:
                continue
            child = next(
                (
                    o
                    for o in node.get("options", [])
                    if o["type"] == kind and o["name"] == child_name
                ),
                None,
            )
            if child is None:
                raise LoopbackUsageError(
                    f"/{name} has no {'group' if kind == 2 else 'subcommand'} {child_name!r}"
                )
            wrappers.append({"type": kind, "name": child_name})
            node = child
        if any(o["type"] in (_OPTION_SUBCOMMAND, _OPTION_GROUP) for o in node.get("options", [])):
            raise LoopbackUsageError(f"/{name} needs a subcommand (options: {node['options']})")
        channel = channel or (
            self.default_channel(guild) if guild is not None else self.dm_channel_for(user)
        )
        self._require_view(user, channel)
        resolved: JSON = {}
        path_options = self._command_options(node, dict(options or {}), guild, resolved)
        for wrapper in reversed(wrappers):
            wrapper["options"] = path_options
            path_options = [wrapper]
        interaction = self._new_interaction(
            payloads.INTERACTION_APPLICATION_COMMAND, user, channel, {"name": name}
        )
        context = self._interaction_context(user, channel)
        data = payloads.command_interaction(
            interaction_id=interaction.id,
            token=interaction.token,
            application_id=self.application_id,
            command=command,
            options=path_options,
            resolved=resolved,
            **context,
        )
        interaction.data = data["data"]
        return self._dispatch_interaction(interaction, data)

    async def click_button(self, user: User | int, message: Message | int, custom_id: str) -> int:
        """Click the button ``custom_id`` on ``message``; returns the interaction id."""
        user = self._user(user)
        message = self._message(message)
        component = self._component(message, custom_id)
        if component.get("type") != 2 or component.get("style") in (5, 6):
            raise LoopbackUsageError(f"{custom_id!r} is not a clickable button: {component}")
        return self._component_interaction(user, message, component, None)

    async def choose(
        self, user: User | int, message: Message | int, custom_id: str, values: Sequence[str]
    ) -> int:
        """Pick ``values`` in the select ``custom_id`` on ``message``; returns an interaction id."""
        user = self._user(user)
        message = self._message(message)
        component = self._component(message, custom_id)
        if component.get("type") not in _SELECT_TYPES:
            raise LoopbackUsageError(f"{custom_id!r} is not a select menu: {component}")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise LoopbackUsageError(f"{custom_id!r} takes {low}..{high} values, not {len(values)}")
        if component["type"] == 3:
            offered = {o["value"] for o in component.get("options", [])}
            unknown = [v for v in values if v not in offered]
            if unknown:
                raise LoopbackUsageError(
                    f"{unknown} are not options of {custom_id!r} ({sorted(offered)})"
                )
        return self._component_interaction(user, message, component, [str(v) for v in values])

    async def submit_modal(
        self, user: User | int, opened_by: int | str, values: Mapping[str, str | Sequence[str]]
    ) -> int:
        """Fill and submit a modal the bot opened.

        ``opened_by`` is the interaction id the bot answered with the modal, or the modal's
        ``custom_id`` (the most recent such modal shown to ``user``).
        """
        user = self._user(user)
        opener = self._modal_opener(user, opened_by)
        modal = opener.modal
        assert modal is not None
        inputs = self._modal_inputs(modal)
        unknown = set(values) - set(inputs)
        if unknown:
            raise LoopbackUsageError(
                f"modal {modal['custom_id']!r} has no inputs {sorted(unknown)}"
            )
        for custom_id, text_input in inputs.items():
            if text_input.get("type") != 4:
                continue
            value = str(values.get(custom_id, ""))
            if text_input.get("required", True) and not value:
                raise LoopbackUsageError(f"modal input {custom_id!r} is required")
            if value and not text_input.get("min_length", 0) <= len(value) <= text_input.get(
                "max_length", 4000
            ):
                raise LoopbackUsageError(
                    f"modal input {custom_id!r} does not accept {len(value)} characters"
                )
        channel = self.world.channels[opener.channel_id]
        source_message = (
            self.world.message(opener.channel_id, opener.message_id)
            if opener.message_id is not None
            else None
        )
        interaction = self._new_interaction(
            payloads.INTERACTION_MODAL_SUBMIT, user, channel, {"custom_id": modal["custom_id"]}
        )
        interaction.opened_by = opener.id
        interaction.message_id = opener.message_id
        data = payloads.modal_submit_interaction(
            interaction_id=interaction.id,
            token=interaction.token,
            application_id=self.application_id,
            custom_id=modal["custom_id"],
            components=payloads.submitted_modal_components(modal["components"], values),
            message_payload=self.message_payload(source_message)
            if source_message is not None
            else None,
            **self._interaction_context(user, channel),
        )
        interaction.data = data["data"]
        return self._dispatch_interaction(interaction, data)

    async def send_user_message(
        self, user: User | int, channel: Channel | int, content: str
    ) -> Message:
        """``user`` writes ``content`` in a guild channel, thread or their DM with the bot."""
        user = self._user(user)
        channel = channel if isinstance(channel, Channel) else self.world.channel(channel)
        self._require_view(user, channel)
        if len(content) > MESSAGE_CONTENT_MAX:
            raise LoopbackUsageError("a person cannot send more than 2000 characters")
        message = Message(
            id=self.world.next_id(),
            channel_id=channel.id,
            author_id=user.id,
            content=content,
            guild_id=channel.guild_id,
        )
        self.store_message(channel, message)
        return message

    async def remove_member(self, guild: Guild, user: User | int) -> None:
        """``user`` leaves ``guild``: GUILD_MEMBER_REMOVE (needs the GUILD_MEMBERS intent)."""
        user = self._user(user)
        if guild.members.pop(user.id, None) is None:
            raise LoopbackUsageError(f"{user.name} is not a member of {guild.name}")
        event = {"guild_id": str(guild.id), "user": user.payload()}
        self.gateway.dispatch("GUILD_MEMBER_REMOVE", event, intent=INTENT_GUILD_MEMBERS)
        self.world.changed()

    async def disconnect_gateway(self) -> None:
        """Ask clients to reconnect (op 7); discord.py then RESUMEs and gets what it missed."""
        await self.gateway.request_reconnect()

    # -- helpers ---------------------------------------------------------------------------
    def _registered(self, guild: Guild | None, name: str) -> JSON:
        scopes = [guild.id, None] if guild is not None else [None]
        for scope in scopes:
            for command in self.world.commands.get(scope, []):
                if command.name == name and command.payload.get("type", 1) == 1:
                    return command.payload
        raise LoopbackUsageError(f"/{name} is not registered here; did the bot sync its commands?")

    def _command_options(
        self, node: JSON, given: dict[str, Any], guild: Guild | None, resolved: JSON
    ) -> list[JSON]:
        specs = {o["name"]: o for o in node.get("options", [])}
        unknown = set(given) - set(specs)
        if unknown:
            raise LoopbackUsageError(
                f"unknown options {sorted(unknown)}; the command has {sorted(specs)}"
            )
        missing = [n for n, o in specs.items() if o.get("required") and n not in given]
        if missing:
            raise LoopbackUsageError(f"required options missing: {missing}")
        built: list[JSON] = []
        for option_name, value in given.items():
            spec = specs[option_name]
            kind = spec["type"]
            if kind == _OPTION_USER:
                target = self._user(value)
                resolved.setdefault("users", {})[str(target.id)] = target.payload()
                if guild is not None and target.id in guild.members:
                    member_payload = self.world.member_payload(guild, target.id)
                    member_payload.pop("user")
                    resolved.setdefault("members", {})[str(target.id)] = member_payload
                value = str(target.id)
            elif kind == _OPTION_CHANNEL:
                target_channel = (
                    value if isinstance(value, Channel) else self.world.channel(int(value))
                )
                payload = self.world.channel_payload(target_channel)
                payload["permissions"] = "0"
                resolved.setdefault("channels", {})[str(target_channel.id)] = payload
                value = str(target_channel.id)
            elif kind == _OPTION_ROLE:
                assert guild is not None
                resolved.setdefault("roles", {})[str(value)] = guild.roles[int(value)]
                value = str(value)
            choices = [c["value"] for c in spec.get("choices") or []]
            if choices and value not in choices:
                raise LoopbackUsageError(f"{value!r} is not a choice of {option_name!r}: {choices}")
            built.append({"type": kind, "name": option_name, "value": value})
        return built

    def _require_view(self, user: User, channel: Channel) -> None:
        if channel.is_dm:
            if channel.recipient_id != user.id:
                raise LoopbackUsageError(f"{user.name} is not in DM channel {channel.id}")
            return
        if not self.world.can_view(user.id, channel):
            raise LoopbackUsageError(f"{user.name} cannot see #{channel.name}")

    def _message(self, message: Message | int) -> Message:
        if isinstance(message, Message):
            return message
        return self.world.find_message(message)

    def _component(self, message: Message, custom_id: str) -> JSON:
        if message.deleted:
            raise LoopbackUsageError(f"message {message.id} was deleted")
        component = message.component(custom_id)
        if component is None:
            raise LoopbackUsageError(
                f"message {message.id} has no component {custom_id!r}: {message.custom_ids()}"
            )
        if component.get("disabled"):
            raise LoopbackUsageError(f"{custom_id!r} is disabled")
        return component

    def _component_interaction(
        self, user: User, message: Message, component: JSON, values: Sequence[str] | None
    ) -> int:
        channel = self.world.channels[message.channel_id]
        self._require_view(user, channel)
        if message.ephemeral and message.interaction_id is not None:
            owner = self.world.interactions[message.interaction_id].user_id
            if owner != user.id:
                raise LoopbackUsageError("only the person an ephemeral message was for can use it")
        interaction = self._new_interaction(
            payloads.INTERACTION_MESSAGE_COMPONENT,
            user,
            channel,
            {"custom_id": component["custom_id"]},
        )
        interaction.message_id = message.id
        data = payloads.component_interaction(
            interaction_id=interaction.id,
            token=interaction.token,
            application_id=self.application_id,
            custom_id=component["custom_id"],
            component_type=component["type"],
            component_id=component.get("id"),
            message_payload=self.message_payload(message),
            values=values,
            **self._interaction_context(user, channel),
        )
        interaction.data = data["data"]
        return self._dispatch_interaction(interaction, data)

    def _modal_opener(self, user: User, opened_by: int | str) -> Interaction:
        if isinstance(opened_by, int):
            opener = self.world.interactions.get(opened_by)
            if opener is None or opener.modal is None:
                raise LoopbackUsageError(f"interaction {opened_by} was not answered with a modal")
            return opener
        for opener in sorted(self.world.interactions.values(), key=lambda i: i.id, reverse=True):
            modal = opener.modal
            if (
                modal is not None
                and opener.user_id == user.id
                and modal.get("custom_id") == opened_by
            ):
                return opener
        raise LoopbackUsageError(f"no modal {opened_by!r} was shown to {user.name}")

    @staticmethod
    def _modal_inputs(modal: JSON) -> dict[str, JSON]:
        inputs: dict[str, JSON] = {}
        for top in modal.get("components", []):
            children = (
                top.get("components", []) if top.get("type") == 1 else [top.get("component") or {}]
            )
            for child in children:
                if child.get("custom_id"):
                    inputs[child["custom_id"]] = child
        return inputs

    def _interaction_context(self, user: User, channel: Channel) -> JSON:
        context: JSON = {
            "channel": self.world.channel_payload(channel, for_user=user.id),
            "user_payload": user.payload(),
            "app_permissions": self.world.permissions_in(channel, self.bot.id),
            "locale": user.locale,
        }
        if channel.guild_id is not None:
            guild = self.world.guilds[channel.guild_id]
            context["guild_id"] = guild.id
            context["member_payload"] = self.world.member_payload(
                guild, user.id, with_permissions=self.world.permissions_in(channel, user.id)
            )
        return context

    def _new_interaction(self, kind: int, user: User, channel: Channel, data: JSON) -> Interaction:
        interaction_id = self.world.next_id()
        interaction = Interaction(
            id=interaction_id,
            token=f"interaction-{interaction_id}-{secrets.token_urlsafe(16)}",
            type=kind,
            user_id=user.id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            data=data,
            created_at=self.now(),
        )
        self.world.interactions[interaction.id] = interaction
        self.world.interactions_by_token[interaction.token] = interaction
        return interaction

    def _dispatch_interaction(self, interaction: Interaction, data: JSON) -> int:
        # The 3-second deadline starts when Discord sends the event.
        interaction.created_at = self.now()
        self.gateway.dispatch("INTERACTION_CREATE", data)
        self.world.changed()
        return interaction.id
