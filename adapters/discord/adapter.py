"""The Discord adapter: Tandem as a real Discord bot (discord.py), rendering every intent.

How the pieces fit (each module's docstring has the detail):

* :mod:`.client` — the discord.py client: gateway intents, events passed on to this adapter;
* :mod:`.commands` — ``/tandem`` and ``/tandem-admin``, translated, synced per guild on change;
* :mod:`.events` — discord.py models → neutral events (identity, place, locale);
* :mod:`.layout` / :mod:`.components` / :mod:`.custom_ids` — questions as buttons, selects and
  forms whose ids name the persisted prompt, so clicks work across restarts;
* :mod:`.interactions` — answering an interaction in place, in time, ephemeral where private;
* :mod:`.places` — DMs (with the closed-DM fallback) and channels;
* :mod:`.pair_spaces` — private pair spaces, opened once per marker (found again by the tag they
  carry), overflow categories past Discord's 50 channels, closed spaces swept.

Every inbound event goes through :meth:`DiscordAdapter._dispatch`: it hands the event to the app
and answers its interaction in time. The adapter never looks at conversations: the kernel says
when a question is over (:class:`~bot.intents.RetireQuestion`), and the adapter, which keeps
only where each question's message is (prompt id → message id, per place, in its
``adapter_state`` records), disables its components and highlights the pick, in the clicked
interaction's own response when the click answered it. What the kernel marks ``transient`` (a
click on an old or someone else's question) is shown only to the clicker.

Community: the servers in ``discord.guild_ids`` and every DM belong to ``discord.community_id``
(one bot, one community). An interaction from any other server the bot is in is answered with a
short note and goes no further: it neither joins anyone nor makes anyone an organizer, and
members leaving such a server are not members leaving the community.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from dataclasses import asdict
from typing import Any, ClassVar

import aiohttp
import discord

from adapters.discord import custom_ids, events
from adapters.discord.client import (
    MEMBERS_INTENT_FIX,
    TOKEN_FIX,
    TOKEN_REFUSED,
    UNREACHABLE_FIX,
    TandemClient,
    unreachable,
)
from adapters.discord.commands import SYNC_COMMAND, CommandSync, build_groups, is_organizer
from adapters.discord.components import answered_view, question_form, question_view
from adapters.discord.doctor import diagnose
from adapters.discord.interactions import ACKNOWLEDGE_AFTER_SECONDS, Reply
from adapters.discord.layout import ModalSpec, clip, question_layout
from adapters.discord.pair_spaces import DiscordPairSpaces
from adapters.discord.places import DmClosed, OwnerNeeds2FA, Places, message_nonce
from bot.adapter import Adapter, AdapterContext, EventSink, StartRefused, renders
from bot.capabilities import RICH, Capabilities
from bot.config import Settings
from bot.doctor import Finding
from bot.events import EventBase
from bot.i18n import choose_locale
from bot.intents import (
    Ask,
    AttachFile,
    ClosePairSpace,
    Delivery,
    ForgetMember,
    IntentBase,
    OpenPairSpace,
    RetireQuestion,
    Say,
)
from bot.messages import Msg, msg
from bot.places import MemberRef, Place, PlaceKind
from bot.render import split_text
from store.members import MemberRecord

log = logging.getLogger(__name__)

#: How long retiring a question waits for its record while it is still being posted.
POSTING_WAIT_SECONDS = 10.0

PLATFORM = events.PLATFORM
#: How many closed-DM notices are remembered (one per event) so a member is told only once.
_NOTICE_MEMORY = 1000
#: Questions remembered per place (their message, their form) until answered.
_QUESTIONS_KEPT = 5


def escape_member_text(text: str) -> str:
    """Text a member wrote, as Discord shows it literally: markdown escaped, ``@everyone`` and
    ``@here`` broken (``allowed_mentions`` already stops every ping; this keeps them from
    looking like one)."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def link_to_place(place: Place, name: str) -> str:
    """A place a message points to, as Discord links to it: a channel or thread mention
    (``<#id>``, https://discord.com/developers/docs/reference#message-formatting), which
    shows the channel's current name and opens it; else its name."""
    if place.platform == PLATFORM and place.channel_id and place.kind == PlaceKind.PAIR_SPACE:
        return f"<#{place.channel_id}>"
    return name


class DiscordStartError(StartRefused):
    """The bot could not connect to Discord; the message says what to check."""


def question_key(place: Place) -> str:
    """The ``adapter_state`` key of the latest questions posted to a place."""
    if place.kind == PlaceKind.DM:
        return f"question:dm:{place.user_id}"
    return f"question:channel:{place.channel_id}"


class DiscordAdapter(Adapter):
    platform = PLATFORM
    capabilities: ClassVar[Capabilities] = RICH
    #: Defer an interaction nothing answered after this long (Discord allows 3 s).
    acknowledge_after_seconds: ClassVar[float] = ACKNOWLEDGE_AFTER_SECONDS
    ready_timeout_seconds: ClassVar[float] = 60.0
    #: How long stopping waits for events still being handled.
    stop_grace_seconds: ClassVar[float] = 5.0

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        # Member-written text in a message shows as written: no bold, no links, no pings.
        # A pair space a message points to is a channel mention, which opens it.
        self.translator = context.translator.escaping(escape_member_text).linking(link_to_place)
        self.settings = context.settings.discord
        self.community_id = self.settings.community_id
        self.client = TandemClient(self, guild_ready_timeout=self.settings.guild_ready_timeout)
        self.places = Places(self.client, self.settings)
        self.pair_spaces = DiscordPairSpaces(
            self.client,
            self.settings,
            context.store.adapter_state,
            self.community_id,
            context.clock,
            topic=lambda tag: self._text(msg("pairspace.topic", tag=tag), None),
        )
        self.commands = CommandSync(self.client.tree, self._load_state, self._save_state)
        self.sink: EventSink | None = None
        self._replies: dict[str, Reply] = {}
        self._gateway: asyncio.Task[None] | None = None
        self._stopping = False
        self._notices: dict[str, None] = {}
        self._handling: set[asyncio.Task[Any]] = set()
        # Questions being posted, until where their components are is stored: a click can
        # arrive (and its answer retire the question) before that (see ``render_ask``).
        self._posting: dict[tuple[str, str], asyncio.Event] = {}
        # One change at a time to a place's record of its questions (read, then written).
        self._question_locks: dict[str, asyncio.Lock] = {}

    @classmethod
    async def diagnose(cls, settings: Settings) -> list[Finding]:
        return await diagnose(settings)

    # -- lifetime --------------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self.sink = sink
        if self.settings.token is None:
            raise DiscordStartError("discord.token is not set (env TANDEM_DISCORD__TOKEN)")
        try:
            await self.client.login(self.settings.token.get_secret_value())
        except discord.LoginFailure:
            raise DiscordStartError(f"{TOKEN_REFUSED}; {TOKEN_FIX}") from None
        except (OSError, TimeoutError, aiohttp.ClientError) as error:
            raise DiscordStartError(
                f"{unreachable(error)}. {UNREACHABLE_FIX}, then start Tandem again."
            ) from error
        self._gateway = self.context.tasks.spawn(self._run_gateway(), name="discord-gateway")
        ready = asyncio.ensure_future(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._gateway},
            timeout=self.ready_timeout_seconds,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            await self.client.close()
            if self._gateway in done and self._gateway.exception() is not None:
                raise DiscordStartError(_explain(self._gateway.exception())) from None
            raise DiscordStartError("Discord did not report ready in time")
        await self._sync_commands()
        log.info(
            "discord: connected as %s to %d guild(s)", self.client.user, len(self.client.guilds)
        )

    @property
    def connected(self) -> bool:
        """Logged in, ready and the gateway's websocket open (false while it reconnects)."""
        client = self.client
        if not client.is_ready() or client.is_closed():
            return False
        websocket = client.ws
        return websocket is not None and websocket.open

    async def _run_gateway(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        finally:
            if not self._stopping:
                log.error("discord: the gateway connection ended; stopping the bot")
                self.context.request_stop()

    async def stop(self) -> None:
        self._stopping = True
        # Events being handled finish first (their answers, their retired questions).
        current = asyncio.current_task()
        pending = {task for task in self._handling if task is not current}
        if pending:
            await asyncio.wait(pending, timeout=self.stop_grace_seconds)
        await self.client.close()
        if self._gateway is not None:
            await asyncio.wait({self._gateway}, timeout=5)
        self.sink = None

    def command_groups(self) -> list[discord.app_commands.Group]:
        return build_groups(
            self.context.commands(),
            self.translator,
            on_member_command=self.on_command,
            on_organizer_command=self.on_organizer_command,
        )

    async def _sync_commands(self) -> None:
        for guild_id in self.settings.guild_ids:
            if self.client.get_guild(guild_id) is None:
                log.warning(
                    "discord: the bot is not on server %s (discord.guild_ids); invite it there",
                    guild_id,
                )
                continue
            await self.sync_guild(guild_id)

    def serves(self, guild_id: int | None) -> bool:
        """Whether an event from ``guild_id`` (None: a DM) belongs to this community."""
        return guild_id is None or guild_id in self.settings.guild_ids

    async def sync_guild(self, guild_id: int, *, force: bool = False) -> bool:
        try:
            return await self.commands.sync_guild(guild_id, force=force)
        except discord.HTTPException as error:
            log.error(
                "discord: could not register commands on guild %s (%s); was the bot invited "
                "with the applications.commands scope?",
                guild_id,
                error,
            )
            return False

    # -- inbound ---------------------------------------------------------------------------

    async def _refused_elsewhere(self, interaction: discord.Interaction[Any]) -> bool:
        """Answer an interaction from a server outside the community with a note; True if so."""
        if self.serves(interaction.guild_id):
            return False
        log.info("discord: ignored an interaction from server %s", interaction.guild_id)
        locale = events.interaction_locale(interaction)
        await interaction.response.send_message(
            self._text(msg("discord.other_community"), locale),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return True

    def _is_organizer(self, interaction: discord.Interaction[Any]) -> bool:
        return is_organizer(interaction, self.settings.admin_role_ids, self.settings.guild_ids)

    async def on_command(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        args: tuple[str, ...] = (),
        *,
        organizer_command: bool = False,
    ) -> None:
        if await self._refused_elsewhere(interaction):
            return
        organizer = self._is_organizer(interaction)
        event = events.command_invoked(
            interaction,
            self.community_id,
            name,
            args,
            organizer=organizer,
            organizer_command=organizer_command,
        )
        await self._dispatch(event, interaction)

    async def on_organizer_command(
        self, interaction: discord.Interaction[Any], name: str, args: tuple[str, ...] = ()
    ) -> None:
        """``/tandem-admin <name>``: the kernel's organizer commands go to the router, which
        refuses them to non-organizers; only the adapter's own ``sync`` is checked here."""
        flows_own = {spec.name for spec in self.context.commands()}
        if name != SYNC_COMMAND or SYNC_COMMAND in flows_own:
            await self.on_command(interaction, name, args, organizer_command=True)
            return
        if await self._refused_elsewhere(interaction):
            return
        locale = events.interaction_locale(interaction)
        if not self._is_organizer(interaction):
            await interaction.response.send_message(
                self._text(msg("discord.organizer_only"), locale),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        await self.sync_guild(interaction.guild_id, force=True)
        # The "thinking" message is the answer: a follow-up straight after a deferral only
        # edits it by a deprecated quirk (receiving-and-responding.mdx, Create Followup).
        await interaction.edit_original_response(
            content=self._text(msg("discord.commands_synced"), locale),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def on_choice(
        self, interaction: discord.Interaction[Any], prompt: str, choice_ids: tuple[str, ...]
    ) -> None:
        if await self._refused_elsewhere(interaction):
            return
        event = events.choice_picked(interaction, self.community_id, prompt, choice_ids)
        await self._dispatch(event, interaction)

    async def on_form(self, interaction: discord.Interaction[Any], prompt: str) -> None:
        if await self._refused_elsewhere(interaction):
            return
        event = events.form_submitted(interaction, self.community_id, prompt)
        await self._dispatch(event, interaction)

    async def on_answer_button(self, interaction: discord.Interaction[Any], prompt: str) -> None:
        """Open the form of a free-text question at once (a form cannot be deferred); whether
        the question may still be answered is the router's decision when the form comes back."""
        if await self._refused_elsewhere(interaction):
            return
        place = events.interaction_place(interaction)
        stored = await self._recall_question(place, prompt)
        form = stored.get("form") if stored else None
        locale = events.interaction_locale(interaction) or self.context.settings.bot.default_locale
        spec = ModalSpec(**form) if form else self._plain_form(prompt, locale)
        await interaction.response.send_modal(question_form(spec))

    async def on_dm(self, message: discord.Message) -> None:
        event = events.dm_text(message, self.community_id)
        if event is not None:
            await self._dispatch(event)

    async def on_member_left(self, user: discord.abc.User, guild_id: int) -> None:
        if not self.serves(guild_id):
            return
        event = events.member_left(user, self.community_id)
        if event is not None:
            await self._dispatch(event)

    async def on_guild_join(self, guild_id: int) -> None:
        """Register the commands at once: a server that removed the bot dropped them, and
        whatever hash was stored from before says nothing about what the server has now."""
        if not self.serves(guild_id):
            log.info("discord: joined server %s, which is not in discord.guild_ids", guild_id)
            return
        await self.sync_guild(guild_id, force=True)

    async def _dispatch(
        self, event: EventBase, interaction: discord.Interaction[Any] | None = None
    ) -> None:
        """Hand one event to the app and answer its interaction in time."""
        sink = self.sink
        task = asyncio.current_task()
        if sink is None or self._stopping or task is None:
            return
        self._handling.add(task)
        try:
            await self._handle(sink, event, interaction)
        finally:
            self._handling.discard(task)

    async def _handle(
        self, sink: EventSink, event: EventBase, interaction: discord.Interaction[Any] | None
    ) -> None:
        reply: Reply | None = None
        watchdog: asyncio.Task[None] | None = None
        if interaction is not None:
            # The clock for Discord's 3 s starts now, before any database work.
            reply = Reply(interaction, acknowledge_after=self.acknowledge_after_seconds)
            self._replies[event.event_id] = reply
            watchdog = self.context.tasks.spawn(
                reply.acknowledge_later(), name=f"discord-ack-{interaction.id}"
            )
        try:
            await sink(event)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            try:
                if reply is not None:
                    locale = self._locale(await self._member(event.member), event.locale)
                    await reply.finish(
                        updated_view=reply.retired_view,
                        notice=self._text(msg("conversation.answered_in_dm"), locale),
                        received=self._text(msg("discord.answer_received"), locale),
                    )
            finally:
                self._replies.pop(event.event_id, None)

    # -- rendering -------------------------------------------------------------------------

    @renders(Say)
    async def render_say(self, intent: Say) -> Delivery:
        text = self._text(intent.text, intent.locale)
        sent = await self._post(intent, split_text(text, self.capabilities.max_message_length))
        return _delivery(sent)

    @renders(Ask)
    async def render_ask(self, intent: Ask) -> Delivery:
        layout = question_layout(intent, self.translator, self.capabilities)
        reply = self._reply_for(intent)
        if layout.modal is not None and reply is not None and reply.can_open_form:
            await reply.open_form(question_form(layout.modal))
        view = question_view(layout)
        # The member sees the question as soon as it is posted and may click at once, before
        # its record is stored; retiring it waits for the record (``render_retire_question``).
        posting = (question_key(intent.target), intent.prompt_id)
        self._posting[posting] = done = asyncio.Event()
        try:
            sent = await self._post(intent, layout.chunks, view=view)
            if sent is not None and view is not None and not sent.flags.ephemeral:
                await self._remember_question(
                    intent.target,
                    {
                        "prompt_id": intent.prompt_id,
                        "channel_id": str(sent.channel.id),
                        "message_id": str(sent.id),
                        "form": asdict(layout.modal) if layout.modal is not None else None,
                    },
                )
        finally:
            done.set()
            if self._posting.get(posting) is done:
                del self._posting[posting]
        return _delivery(sent)

    @renders(RetireQuestion)
    async def render_retire_question(self, intent: RetireQuestion) -> Delivery:
        """Disable the question's components; through the click's own response if it was the
        click that answered it (Discord then needs no other request)."""
        posting = self._posting.get((question_key(intent.target), intent.prompt_id))
        if posting is not None:  # answered while it was being posted: wait for its record
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(posting.wait(), timeout=POSTING_WAIT_SECONDS)
        stored = await self._recall_question(intent.target, intent.prompt_id, forget=True)
        if stored is None:
            return Delivery()  # it had no components, or it predates the records
        message_id = int(stored["message_id"])
        reply = self._replies.get(intent.in_reply_to or "")
        clicked = reply.interaction.message if reply is not None else None
        try:
            if reply is not None and clicked is not None and clicked.id == message_id:
                reply.retired_view = answered_view(clicked, [o.id for o in intent.picked])
            else:
                channel = self.client.get_partial_messageable(int(stored["channel_id"]))
                await channel.get_partial_message(message_id).edit(view=None)
        except discord.HTTPException as error:
            log.info("could not retire question message %s: %s", message_id, error)
        return Delivery(message_id=str(message_id))

    @renders(AttachFile)
    async def render_attach_file(self, intent: AttachFile) -> Delivery:
        caption = "" if intent.caption is None else self._text(intent.caption, intent.locale)
        file = discord.File(io.BytesIO(intent.content), filename=intent.filename)
        sent = await self._post(
            intent, split_text(caption, self.capabilities.max_message_length), file=file
        )
        return _delivery(sent)

    @renders(OpenPairSpace)
    async def render_open_pair_space(self, intent: OpenPairSpace) -> Delivery:
        name = self._text(intent.name, intent.locale)
        spaces = self.pair_spaces
        members = [member.user_id for member in intent.members]

        async def post_welcome(place: Place) -> None:
            assert intent.welcome is not None
            text = self._text(intent.welcome, intent.locale)
            for index, chunk in enumerate(split_text(text, self.capabilities.max_message_length)):
                nonce = message_nonce(intent.idempotency_key, index)
                await self.places.send(place, chunk, nonce=nonce)

        try:
            where = await spaces.where(intent.target)

            async def find(tag: str, thorough: bool) -> str | None:
                return await spaces.find(where, tag, thorough)

            async def create(tag: str | None) -> str:
                space_id = await spaces.create(where, name, intent.members, tag)
                await self._save_state(f"pair_space:{space_id}", spaces.record(members))
                return space_id

            async def finish(space_id: str) -> None:
                await spaces.finish(space_id, intent.members)
                await self._save_state(f"pair_space:{space_id}", spaces.record(members))

            opened, place = await self.space_ledger.open_intent(
                intent,
                find=find,
                create=create,
                finish=finish,
                post_welcome=post_welcome,
                posted_before=spaces.bot_posted_in,
            )
        except OwnerNeeds2FA:
            await self._tell_owner_needs_2fa(intent, room=intent.target)
            return Delivery()
        how = "opened" if opened.created else "found again"
        log.info("discord: %s pair space %s for %d members", how, opened.space_id, len(members))
        return Delivery(place=place)

    @renders(ClosePairSpace)
    async def render_close_pair_space(self, intent: ClosePairSpace) -> Delivery:
        if not intent.target.channel_id:
            return Delivery()
        if intent.farewell is not None:
            farewell = self._text(intent.farewell, intent.locale)
            chunks = split_text(farewell, self.capabilities.max_message_length)
            for index, chunk in enumerate(chunks):
                nonce = message_nonce(intent.idempotency_key, index)
                await self.places.send(intent.target, chunk, nonce=nonce)
        key = f"pair_space:{intent.target.channel_id}"
        try:
            await self.pair_spaces.close(
                int(intent.target.channel_id), await self._load_state(key), intent.removed
            )
        except OwnerNeeds2FA:
            await self._tell_owner_needs_2fa(intent, room=None)
        return Delivery()

    async def _tell_owner_needs_2fa(self, intent: IntentBase, *, room: Place | None) -> None:
        """Tell the organizers why Discord refused: privately to the organizer whose command
        this answers, else in the community room (when there is one to name)."""
        log.error(
            "discord: Discord refused %s with 60003: the server requires 2FA for moderation and "
            "the bot owner's account has none (see docs/discord.md)",
            type(intent).__name__,
        )
        text = self._text(msg("discord.owner_needs_2fa"), intent.locale)
        live = self._replies.get(intent.in_reply_to or "")
        if live is not None:
            await live.send(text, ephemeral=True)
        elif room is not None and room.channel_id:
            await self.places.send(room, text)

    @renders(ForgetMember)
    async def render_forget_member(self, intent: ForgetMember) -> Delivery:
        # The store has deleted the adapter's records; only the DM channel cache is left.
        if intent.target.user_id:
            self.places.forget_dm_channel(intent.target.user_id)
        return Delivery()

    def _reply_for(self, intent: IntentBase) -> Reply | None:
        reply = self._replies.get(intent.in_reply_to or "")
        return reply if reply is not None and reply.here(intent.target) else None

    async def _post(
        self,
        intent: IntentBase,
        chunks: list[str],
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> discord.Message | None:
        """Send ``chunks`` to the intent's target, in place when they answer a live interaction."""
        reply = self._reply_for(intent)
        ephemeral = reply is not None and reply.ephemeral_for(
            private=intent.private, transient=intent.transient
        )
        sent: discord.Message | None = None
        try:
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                extra: dict[str, Any] = {
                    "view": view if last else None,
                    "file": file if last else None,
                }
                if reply is not None and reply.form_sent and ephemeral:
                    log.warning("discord: dropped a private answer after a form was opened")
                    continue
                if (
                    reply is not None
                    and not reply.form_sent
                    and (ephemeral or reply.owes_first_answer)
                ):
                    sent = await reply.send(chunk, ephemeral=ephemeral, **extra)
                else:
                    nonce = message_nonce(intent.idempotency_key, index)
                    sent = await self.places.send(intent.target, chunk, nonce=nonce, **extra)
        except DmClosed:
            await self._tell_dm_closed(intent)
            return None
        return sent

    async def _tell_dm_closed(self, intent: IntentBase) -> None:
        """Say in the guild (once per event) that the member's DMs are closed."""
        user_id = intent.target.user_id or "?"
        notice_key = intent.in_reply_to or f"user:{user_id}"
        if notice_key in self._notices:
            return
        self._notices[notice_key] = None
        while len(self._notices) > _NOTICE_MEMORY:
            self._notices.pop(next(iter(self._notices)))
        log.info("discord: member %s does not accept direct messages", user_id)
        live = self._replies.get(intent.in_reply_to or "")
        if live is not None and not live.in_dm:
            await live.send(self._text(msg("discord.dm_closed"), intent.locale), ephemeral=True)
            return
        fallback = self.settings.dm_fallback_channel_id
        if fallback is None or not user_id.isdigit():
            log.warning("discord: no discord.dm_fallback_channel_id to tell %s", user_id)
            return
        await self.places.send(
            Place.room(PLATFORM, str(fallback)),
            self._text(msg("discord.dm_closed_public", mention=f"<@{user_id}>"), intent.locale),
            mention=discord.Object(id=int(user_id)),
        )

    # -- helpers ---------------------------------------------------------------------------

    def _text(self, message: Msg, locale: str | None) -> str:
        return self.translator.render(message, locale or self.context.settings.bot.default_locale)

    def _locale(self, record: MemberRecord | None, platform_locale: str | None) -> str:
        return choose_locale(
            record.locale if record else None,
            platform_locale or (record.platform_locale if record else None),
            self.context.settings.bot.default_locale,
        )

    def _plain_form(self, prompt: str, locale: str) -> ModalSpec:
        """A form for a question whose own form was not recorded (it predates this release)."""
        title = clip(self._text(msg("discord.modal_title"), locale), 45)
        return ModalSpec(
            custom_id=custom_ids.modal(prompt),
            title=title,
            label=title,
            placeholder=None,
            paragraph=True,
            max_length=4000,
            required=True,
        )

    async def _member(self, member: MemberRef) -> MemberRecord | None:
        return await self.context.store.members.find(
            self.community_id, member.platform, member.user_id
        )

    async def _remember_question(self, place: Place, record: dict[str, Any]) -> None:
        """Keep where a question's components are (the latest few per place)."""
        key = question_key(place)
        async with self._question_locks.setdefault(key, asyncio.Lock()):
            stored = await self._load_state(key)
            recent = [
                r
                for r in (stored or {}).get("recent", [])
                if r.get("prompt_id") != record["prompt_id"]
            ]
            recent = [*recent, record][-_QUESTIONS_KEPT:]
            await self._save_state(key, {"recent": recent}, platform_user_id=place.user_id)

    async def _recall_question(
        self, place: Place, prompt: str, *, forget: bool = False
    ) -> dict[str, Any] | None:
        key = question_key(place)
        async with self._question_locks.setdefault(key, asyncio.Lock()):
            stored = await self._load_state(key)
            recent: list[dict[str, Any]] = (stored or {}).get("recent", [])
            found = next((r for r in recent if r.get("prompt_id") == prompt), None)
            if found is not None and forget:
                rest = [r for r in recent if r is not found]
                await self._save_state(key, {"recent": rest}, platform_user_id=place.user_id)
            return found

    async def _load_state(self, key: str) -> Any:
        return await self.context.store.adapter_state.get(self.community_id, PLATFORM, key)

    async def _save_state(
        self, key: str, value: Any, *, platform_user_id: str | None = None
    ) -> None:
        await self.context.store.adapter_state.put(
            self.community_id,
            PLATFORM,
            key,
            value,
            now=self.context.clock.now(),
            platform_user_id=platform_user_id,
        )

    async def _delete_state(self, key: str) -> None:
        await self.context.store.adapter_state.delete(self.community_id, PLATFORM, key)


def _delivery(sent: discord.Message | None) -> Delivery:
    return Delivery(message_id=None if sent is None else str(sent.id))


def _explain(error: BaseException | None) -> str:
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return f"Discord refused the gateway intents: {MEMBERS_INTENT_FIX}"
    return f"the Discord connection failed: {error!r}"
