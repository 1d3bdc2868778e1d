"""The router: every inbound event goes to exactly one place.

* a command starts its flow (or says where the member is, if they are already in it), or is a
  control
  (``help``/``cancel``/``back``) for the running conversation; an organizer command (one whose
  spec is ``organizer_only``, or any given in the organizer group) from someone the adapter did
  not mark as organizer is refused here, for every adapter, before anything is stored; given
  in the middle of another conversation, an action answers and the pending question follows,
  and a flow puts that conversation on hold until it ends (nothing is thrown away);
* while the member's gate is due (consent to a raised privacy notice version), any command or
  answer starts the gate's flow first (data-rights commands excepted);
* a reply, choice or form goes to the member's active conversation, after checking that the
  question it answers is the current one and belongs to this member;
* anything else gets help.

Conversations run in the member's DM: a command given in a community room is answered there
privately with a pointer to the DM. Events of one member are handled one at a time.

Before any of that, every event's member-written text is cleaned (:func:`bot.text.clean_event`)
and the member's rate is checked (:mod:`bot.ratelimit`): an event over the limit is dropped, and
the first one dropped in a burst is answered with a note to slow down and send it again.

Exactly once: an event whose platform id is already recorded with a change it caused (a Matrix
event redelivered after a crash) is not routed again. If its conversation still stands where
that event left it, the current question is asked again (the crash may have come before it
was sent); otherwise nothing is said. The store's unique key decides when two processes race.
"""

from __future__ import annotations

import asyncio
import logging
from weakref import WeakValueDictionary

from bot.answers import Control, control_word
from bot.commands import CommandSpec
from bot.engine import FlowEngine, applied_event
from bot.events import (
    ChoicePicked,
    CommandInvoked,
    EventBase,
    FormSubmitted,
    MemberLeft,
    MemberReturned,
    TextReplied,
)
from bot.flow import Action, ActionContext, Flow
from bot.intents import Intent, RetireQuestion, Say
from bot.messages import Msg, msg, user_text
from bot.metrics import NO_METRICS, ORGANIZER_ONLY, RATE_LIMITED, Metrics
from bot.places import Place, PlaceKind
from bot.prompts import parse_prompt_id
from bot.ratelimit import RateLimiter, Verdict
from bot.text import clean_event, excerpt
from store.conversations import AlreadyApplied, ConversationRecord
from store.members import MemberRecord, MemberStatus

log = logging.getLogger(__name__)


class Router:
    """Routes events; the services it shares with the flow engine are the engine's."""

    def __init__(self, engine: FlowEngine, *, metrics: Metrics = NO_METRICS) -> None:
        self.engine = engine
        self.metrics = metrics
        self.registry = engine.registry
        self.store = engine.store
        self.clock = engine.clock
        self.translator = engine.translator
        self.platforms = engine.platforms
        self.settings = engine.settings
        self._locks: WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = WeakValueDictionary()
        self.rate_limiter = RateLimiter(self.settings.bot.rate_limit)

    def commands(self) -> list[CommandSpec]:
        """Every member command: flows and actions, then the built-in controls."""
        return self.registry.commands()

    async def handle(self, event: EventBase) -> list[Intent]:
        event = clean_event(event)
        key = (event.community_id, *event.member.key)
        if _counts_towards_rate(event):
            verdict = self.rate_limiter.check(key)
            if verdict is not Verdict.ALLOWED:
                self.metrics.event_refused(event.member.platform, RATE_LIMITED)
            if verdict is Verdict.DROPPED and not self._must_answer(event):
                return []
            if verdict is not Verdict.ALLOWED:
                log.info("member event dropped: over the rate limit (%s)", event.member.platform)
                member, _active = await self._find_with_conversation(event)
                return [self._say(member, event, msg("rate.slow_down"))]
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            return await self._route(event)

    def _must_answer(self, event: EventBase) -> bool:
        """Whether even a dropped event gets the note to slow down: a command or form on a
        platform that answers each one privately (a Discord interaction must be answered, and
        only the member sees it), where silence would be taken for "done"."""
        whispered = self.platforms.whispers(event.member.platform)
        return whispered and isinstance(event, CommandInvoked | FormSubmitted)

    async def _route(self, event: EventBase) -> list[Intent]:
        if isinstance(event, MemberLeft):
            return await self._member_left(event)
        if isinstance(event, MemberReturned):
            return await self._member_returned(event)
        if (
            isinstance(event, CommandInvoked)
            and (refused := self._organizer_only(event)) is not None
        ):
            # Decided here, for every adapter, before anything is looked up or stored.
            return [await self._refuse_organizer_command(event, refused)]
        cause = applied_event(event)
        # One read: who the member is, where they are, and whether this event was applied.
        found = await self.store.conversations.lookup(
            event.community_id, event.member.platform, event.member.user_id, cause
        )
        try:
            if found.applied is not None:
                return await self.engine.replayed(event, found.member, found.active, found.applied)
            if isinstance(event, CommandInvoked):
                return await self._command(event, found.member, found.active)
            return await self._answer(event, found.member, found.active)
        except AlreadyApplied:  # another process applied it between the check and the write
            again = await self.store.conversations.lookup(
                event.community_id, event.member.platform, event.member.user_id, cause
            )
            return await self.engine.replayed(event, again.member, again.active, again.applied)

    def _organizer_only(self, event: CommandInvoked) -> str | None:
        """The command's name if it is an organizer's and the member is not one."""
        name = event.name.casefold()
        owner = self.registry.for_command(name, organizer=event.organizer_command)
        organizers_only = event.organizer_command or (owner is not None and owner.organizer_only)
        if organizers_only and not event.organizer:
            self.metrics.event_refused(event.member.platform, ORGANIZER_ONLY)
            return name
        return None

    async def _command(
        self,
        event: CommandInvoked,
        member: MemberRecord | None,
        conversation: ConversationRecord | None,
    ) -> list[Intent]:
        active, ended = await self._live(event, member, conversation)
        # A conversation that just expired: its question is over, whatever the command does.
        retired = [intent for intent in ended or () if isinstance(intent, RetireQuestion)]
        return retired + await self._run_command(event, member, active)

    async def _run_command(
        self,
        event: CommandInvoked,
        member: MemberRecord | None,
        active: ConversationRecord | None,
    ) -> list[Intent]:
        name = event.name.casefold()
        owner = self.registry.for_command(name, organizer=event.organizer_command)
        is_control = not event.organizer_command and name in {c.value for c in Control}
        if (gated := await self._gate(member, active, event, owner, is_control)) is not None:
            return gated
        if is_control:
            if member is not None and active is not None:
                return await self.engine.control(active, member, event, Control(name))
            if name == Control.HELP:
                return [self._help(member, event)]
            return [self._say(member, event, msg("conversation.none_active"))]
        if event.organizer_command and name == Control.HELP:
            return [self._help(member, event)]
        if owner is None or owner.organizer_only != event.organizer_command:
            # One message, quoting no more than a short excerpt of what was typed.
            unknown = msg("command.unknown", command=user_text(excerpt(event.name)))
            return [self._help(member, event, lead=unknown)]
        if isinstance(owner, Action):
            answer = await self._run_action(owner, member, event, active)
            if member is not None and active is not None:
                # The action ran beside the conversation: back to its question.
                answer += await self.engine.ask_again(active, member, event)
            return answer
        if member is not None and active is not None and active.flow_id == owner.id:
            return await self.engine.resume(active, member, event)
        spell = self.engine.speller(event.member.platform)
        if owner.guard is not None and (refusal := owner.guard(member, spell)) is not None:
            refused = [self._say(member, event, refusal)]
            if member is not None and active is not None:
                refused += await self.engine.ask_again(active, member, event)
            return refused
        # Another conversation waits, answers and all, until this one ends.
        return await self._start(owner, member, event, active, suspend=active is not None)

    async def _start(
        self,
        flow: Flow,
        member: MemberRecord | None,
        event: EventBase,
        active: ConversationRecord | None,
        *,
        suspend: bool = False,
    ) -> list[Intent]:
        """Start ``flow`` in the member's DM (saying so where the event came from, if not
        there); ``active``, the conversation it replaces (or with ``suspend`` puts on hold),
        has its question retired."""
        member = member or await self.store.members.ensure(
            event.community_id,
            event.member.platform,
            event.member.user_id,
            now=self.clock.now(),
            platform_locale=event.locale,
            display_name=event.member.display_name,
        )
        intents: list[Intent] = []
        place = event.place
        if place.kind != PlaceKind.DM:
            intents.append(self._say(member, event, msg("conversation.moved_to_dm")))
            place = Place.dm(event.member)
        intents += await self.engine.start(
            flow, member, event, place, replacing=active, suspend=suspend
        )
        return intents

    async def _refuse_organizer_command(self, event: CommandInvoked, name: str) -> Say:
        """The translated refusal; read-only, so the refused command leaves nothing behind."""
        member = await self.store.members.find(
            event.community_id, event.member.platform, event.member.user_id
        )
        # The name may be anything a forged or mistyped command carried: a short excerpt.
        command = self.platforms.spell(event.member.platform, excerpt(name), organizer=True)
        return self._say(member, event, msg("command.organizer_only", command=user_text(command)))

    async def _gate(
        self,
        member: MemberRecord | None,
        active: ConversationRecord | None,
        event: EventBase,
        owner: Flow | Action | None = None,
        is_control: bool = False,
    ) -> list[Intent] | None:
        """While the member's gate is due (consent to a new privacy notice), it comes first.

        Returns what to send instead of handling ``event``, or None to handle it as usual:
        when nothing is due, for commands exempt from the gate (data rights) and answers in
        their conversations, and for answers and controls of the gate's own conversation. Any
        other command or answer starts the gate's flow (replacing a running conversation) or
        repeats its question.
        """
        gate = self.registry.gate
        if gate is None or member is None:
            return None
        if not gate.due(member, self.settings.program_for(member.community_id)):
            return None
        running = None if active is None else self.registry.get(active.flow_id)
        if owner is None and running is not None and running.exempt_from_gate:
            return None  # an answer in a data-rights conversation (forget's confirmation)
        if owner is not None and owner.exempt_from_gate:
            return None
        if active is not None and active.flow_id == gate.flow.id:
            if isinstance(event, CommandInvoked | MemberReturned) and not is_control:
                return await self.engine.resume(active, member, event)
            return None
        return await self._start(gate.flow, member, event, active)

    async def _find_with_conversation(
        self, event: EventBase
    ) -> tuple[MemberRecord | None, ConversationRecord | None]:
        return await self.store.conversations.member_and_active(
            event.community_id, event.member.platform, event.member.user_id
        )

    async def _live(
        self, event: EventBase, member: MemberRecord | None, active: ConversationRecord | None
    ) -> tuple[ConversationRecord | None, list[Intent] | None]:
        """The member's conversation if it can go on, and a notice if it just ended."""
        if member is None or active is None:
            return None, None
        return await self.engine.settle(active, member, event)

    async def _find_live(
        self, event: EventBase
    ) -> tuple[MemberRecord | None, ConversationRecord | None, list[Intent] | None]:
        """The member, their conversation if it can go on, and a notice if it just ended."""
        member, active = await self._find_with_conversation(event)
        live, notice = await self._live(event, member, active)
        return member, live, notice

    async def _run_action(
        self,
        action: Action,
        member: MemberRecord | None,
        event: CommandInvoked,
        running: ConversationRecord | None = None,
    ) -> list[Intent]:
        place = event.place
        whispered = place.kind == PlaceKind.DM or self.platforms.whispers(place.platform)
        context = ActionContext(
            event=event,
            member=member,
            locale=self.engine.locale(member, event),
            now=self.clock.now(),
            store=self.store,
            program=self.settings.program_for(event.community_id),
            spell=self.engine.speller(event.member.platform),
            private_place=place if whispered else Place.dm(event.member),
            running=running,
            capabilities=self.platforms.of(event.member.platform),
        )
        intents = await action.run(context)
        if not whispered and not any(intent.target == place for intent in intents):
            # The answer went to the DM; say so where the command was given.
            intents.insert(0, self._say(member, event, msg("conversation.answered_in_dm")))
        return intents

    async def _answer(
        self,
        event: EventBase,
        member: MemberRecord | None,
        conversation: ConversationRecord | None,
    ) -> list[Intent]:
        prompt = getattr(event, "prompt_id", None)
        if prompt is not None and (
            refused := await self._refuse_foreign(member, conversation, event, prompt)
        ):
            return [refused]
        active = None
        if member is not None and conversation is not None:
            active, ended = await self.engine.settle(conversation, member, event)
            if ended is not None:
                return ended
        if member is None or active is None:
            if isinstance(event, ChoicePicked | FormSubmitted):
                return [self._say(member, event, msg("prompt.stale"), transient=True)]
            if event.place.kind == PlaceKind.DM:
                if (gated := await self._gate(member, None, event)) is not None:
                    return gated
                return [self._help(member, event, lead=msg("router.no_conversation"))]
            return []  # chatter in a community room is not for us
        if (gated := await self._gate(member, active, event)) is not None:
            return gated
        if isinstance(event, TextReplied) and (
            control := control_word(event.text, self.translator)
        ):
            return await self.engine.control(active, member, event, control)
        return await self.engine.receive(active, member, event)

    async def _refuse_foreign(
        self,
        member: MemberRecord | None,
        active: ConversationRecord | None,
        event: EventBase,
        prompt: str,
    ) -> Say | None:
        """A click on someone else's question, or on one that no longer exists."""
        parsed = parse_prompt_id(prompt)
        if parsed is not None and active is not None and parsed[0] == active.id:
            return None  # the member's own running conversation (its step is checked later)
        conversation = None if parsed is None else await self.store.conversations.get(parsed[0])
        if conversation is None:
            return self._say(member, event, msg("prompt.stale"), transient=True)
        if member is None or conversation.member_id != member.id:
            return self._say(member, event, msg("prompt.not_yours"), transient=True)
        return None

    async def _member_returned(self, event: MemberReturned) -> list[Intent]:
        member, active, ended = await self._find_live(event)
        if ended is None and (gated := await self._gate(member, active, event)) is not None:
            return gated
        if member is None or active is None:
            return ended or []
        return await self.engine.resume(active, member, event)

    async def _member_left(self, event: MemberLeft) -> list[Intent]:
        member, active = await self._find_with_conversation(event)
        if member is None:
            return []
        now = self.clock.now()
        retired: list[Intent] = []
        if active is not None and await self.store.conversations.end(
            active, status="cancelled", now=now
        ):
            retired = self.engine.retire_current(active, member, event)
        await self.store.members.update(member.id, now=now, status=MemberStatus.LEFT, left_at=now)
        log.info("member %s left community %s", member.id, event.community_id)
        hook = self.registry.on_member_left
        if hook is not None:
            left = await self.store.members.get(member.id)
            if left is not None:
                retired += await hook(left, self.store, now)
        return retired

    def _help(self, member: MemberRecord | None, event: EventBase, lead: Msg | None = None) -> Say:
        # Organizer commands are listed only to organizers, spelled in their group.
        lines = [
            msg(
                "help.line",
                command=self.platforms.spell(
                    event.member.platform, spec.name, organizer=spec.organizer_only
                ),
                description=spec.description,
            )
            for spec in self.commands()
            if not spec.organizer_only or getattr(event, "organizer", False)
        ]
        return self._say(
            member, event, msg("help.text", lead=lead or msg("help.lead"), commands=lines)
        )

    def _say(
        self, member: MemberRecord | None, event: EventBase, text: Msg, *, transient: bool = False
    ) -> Say:
        locale = self.engine.locale(member, event)
        return Say(
            target=event.place,
            locale=locale,
            in_reply_to=event.event_id,
            text=text,
            transient=transient,
        )


def _counts_towards_rate(event: EventBase) -> bool:
    """Whether an event is the member talking to the bot (platform notices are not; nor is
    chatter in a shared room, which the bot does not answer and must never answer with a note)."""
    if isinstance(event, MemberLeft | MemberReturned):
        return False
    if isinstance(event, TextReplied) and event.prompt_id is None:
        return event.place.kind == PlaceKind.DM
    return True
