"""The flow engine: runs a :class:`~bot.flow.Flow` as a persisted state machine.

The conversation's state (step, answers, trail for ``back``) is a row in the store, saved after
every step, so a restart, another process or a week-old button all continue from the same
place. Global controls in every flow: ``cancel``, ``back``, ``help``. Every answer is checked;
a bad one gets a translated message saying what to do, and the question again.

Prompt ids are ``"<conversation id>.<step_seq>"``: an answer carrying an older prompt id is
stale and changes nothing.

Exactly once: every change an event causes is stored together with the event's platform id
(:class:`store.conversations.AppliedEvent`), so a redelivered event raises
:class:`store.conversations.AlreadyApplied` instead of answering the next question (the router
handles it). When a question can no longer be answered (answered, cancelled, expired, replaced,
gone back from), the engine says so with a :class:`~bot.intents.RetireQuestion` before anything
else, and each adapter updates the question on its platform.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.answers import Control, is_skip, is_yes, read_choices
from bot.capabilities import Platforms
from bot.clock import Clock
from bot.config import Settings
from bot.events import ChoicePicked, CommandInvoked, EventBase, FormSubmitted, TextReplied
from bot.flow import (
    END,
    ChoiceQuestion,
    Flow,
    FlowContext,
    Invalid,
    Send,
    Step,
    TextQuestion,
    Understood,
    cannot_send,
)
from bot.i18n import Translator, choose_locale
from bot.intents import Ask, Intent, Option, RetireQuestion, Say
from bot.messages import Msg, msg, user_text
from bot.places import MemberRef, Place
from bot.prompts import make_prompt_id
from bot.registry import FlowRegistry
from bot.text import excerpt
from store import Store
from store.conversations import (
    AlreadyApplied,
    AppliedEvent,
    AppliedRecord,
    ConversationRecord,
)
from store.members import MemberRecord
from store.precompiled import Writes

log = logging.getLogger(__name__)

# No answer given: the question was closed rather than answered.
_UNANSWERED: Any = object()


def prompt_id(conversation: ConversationRecord) -> str:
    return make_prompt_id(conversation.id, conversation.step_seq)


def applied_event(event: EventBase) -> AppliedEvent:
    """How the store records ``event`` with the change it causes."""
    return AppliedEvent(platform=event.member.platform, event_id=event.event_id)


@dataclass
class _Turn:
    """The conversation, member and event one call of the engine works on."""

    flow: Flow
    conversation: ConversationRecord
    member: MemberRecord
    event: EventBase
    # Contexts built for this turn, by the answers they were built for (an answer asks for
    # one several times: to parse, to go on, to retire the question, to say and ask).
    contexts: dict[int, FlowContext] = field(default_factory=dict)
    place: Place | None = None

    @property
    def step(self) -> Step:
        return self.flow.step(self.conversation.step_id)


class FlowEngine:
    def __init__(
        self,
        registry: FlowRegistry,
        store: Store,
        clock: Clock,
        translator: Translator,
        settings: Settings,
        platforms: Platforms,
        *,
        send: Send = cannot_send,
    ) -> None:
        self.platforms = platforms
        # Given to flow steps (``FlowContext.send``): the app's delivery, which logs failures.
        self.send = send
        self.registry = registry
        self.store = store
        self.clock = clock
        self.translator = translator
        self.settings = settings
        self.default_locale = settings.bot.default_locale

    # -- entry points used by the router -------------------------------------------------

    async def start(
        self,
        flow: Flow,
        member: MemberRecord,
        event: EventBase,
        place: Place,
        *,
        replacing: ConversationRecord | None = None,
        suspend: bool = False,
    ) -> list[Intent]:
        """Begin ``flow``; ``replacing``, a conversation running already, ends (its question
        retired), or with ``suspend`` waits until this one ends. A command's argument answers
        the first question (``pause 24.12.``), for a flow that takes one."""
        now = self.clock.now()
        try:
            answers = {} if flow.prefill is None else await flow.prefill(member, self.store)
        except Invalid as refusal:  # what the flow needs is not there: nothing is started
            refused: list[Intent] = [self._plain_say(member, event, refusal.message)]
            if replacing is not None and suspend:  # back to the question still running
                refused += await self.ask_again(replacing, member, event)
            return refused
        by_argument = flow.argument is not None and isinstance(event, CommandInvoked) and event.args
        first = flow.entry_step(answers)
        if by_argument and flow.argument_step is not None:
            first = flow.step(flow.argument_step)
        put_aside: list[Intent] = []
        if replacing is not None:
            put_aside += self.retire_current(replacing, member, event)
            held = self.registry.get(replacing.flow_id)
            if suspend and held is not None:
                spell = self.speller(event.member.platform)
                running = held.description if held.asked_only else spell(held.command)
                on_hold = msg("conversation.on_hold", running=running)
                put_aside.append(self._plain_say(member, event, on_hold))
        conversation = await self.store.conversations.start(
            community_id=event.community_id,
            member_id=member.id,
            flow_id=flow.id,
            flow_version=flow.version,
            step_id=first.id,
            place=place.model_dump(mode="json", exclude_none=True),
            answers=answers,
            expires_at=now + flow.timeout,
            now=now,
            cause=applied_event(event),
            suspend_active=suspend,
        )
        turn = _Turn(flow, conversation, member, event)
        intents: list[Intent] = put_aside
        if flow.intro is not None:
            intro = flow.intro
            intents.append(
                self._say(turn, intro(self._context(turn)) if callable(intro) else intro)
            )
        if by_argument:
            # The argument is the answer; recorded under an id of its own, since the command's
            # id already stands for starting the conversation.
            answering = event.model_copy(update={"event_id": f"{event.event_id}:argument"})
            return intents + await self.receive(conversation, member, answering)
        intents += self._enter(turn)
        return intents

    async def start_on_behalf(self, flow_id: str, member: MemberRecord, cause: str) -> list[Intent]:
        """Start ``flow_id`` for ``member`` in their DM as if they had typed its command, for
        the bot's own schedule (see :attr:`bot.due.DueRun.start_flow`). ``cause`` stands for the
        event: the start is recorded under it, so a second start with the same cause (a due
        item run again after a crash) starts nothing and repeats the question if the
        conversation still stands where that start left it."""
        flow = self.registry.get(flow_id)
        if flow is None:
            raise LookupError(f"no flow {flow_id!r}")
        ref = MemberRef(
            platform=member.platform,
            user_id=member.platform_user_id,
            display_name=member.display_name,
        )
        place = Place.model_validate(member.dm_place) if member.dm_place else Place.dm(ref)
        event = CommandInvoked(
            event_id=cause,
            community_id=member.community_id,
            member=ref,
            place=place,
            name=flow.command,
        )
        try:
            return await self.start(flow, member, event, place)
        except AlreadyApplied:
            applied = await self.store.conversations.applied(
                member.community_id, applied_event(event)
            )
            active = await self.store.conversations.active_for(member.id)
            return await self.replayed(event, member, active, applied)

    async def replayed(
        self,
        event: EventBase,
        member: MemberRecord | None,
        active: ConversationRecord | None,
        applied: AppliedRecord | None,
    ) -> list[Intent]:
        """What an event applied before gets: the current question once more if the
        conversation still stands where that event left it (the crash may have come before
        the question was sent), else nothing."""
        log.info("event %s was applied before; not applying it again", event.event_id)
        if (
            applied is None
            or member is None
            or active is None
            or (active.id, active.step_seq) != (applied.conversation_id, applied.step_seq)
        ):
            return []  # the conversation went on (or ended) since: nothing to repeat
        return await self.ask_again(active, member, event)

    async def settle(
        self, conversation: ConversationRecord, member: MemberRecord, event: EventBase
    ) -> tuple[ConversationRecord | None, list[Intent] | None]:
        """The conversation if it can go on; else it is ended, with what to tell the member.

        A conversation of a flow version (or step) this release no longer has is ended as
        ``retired``; one left alone past ``expires_at`` as ``expired``.
        """
        now = self.clock.now()
        turn = self._turn(conversation, member, event)
        if turn is None:
            await self.store.conversations.end(conversation, status="retired", now=now)
            return None, [self._plain_say(member, event, msg("conversation.gone"))]
        if now >= conversation.expires_at:
            _, taken = await self.store.conversations.end_and_take_up(
                conversation, status="expired", now=now
            )
            expired = (
                msg("conversation.expired_asked")
                if turn.flow.asked_only
                else msg("conversation.expired", command=self._spell(turn))
            )
            notice = self._say(turn, expired)
            return None, [self._retire(turn), notice, *await self._go_on(taken, member, event)]
        return conversation, None

    async def resume(
        self, conversation: ConversationRecord, member: MemberRecord, event: EventBase
    ) -> list[Intent]:
        """The member came back, or asked for the flow they are already in: where they are
        and the current question again."""
        turn = self._turn(conversation, member, event)
        if turn is None:
            return []
        if isinstance(event, CommandInvoked):
            where = msg(
                "conversation.still_running",
                command=self._spell(turn),
                number=len(conversation.trail) + 1,
            )
            return [self._say(turn, where), self.ask(turn)]
        return [self._say(turn, msg("conversation.resumed")), self.ask(turn)]

    async def _go_on(
        self, conversation: ConversationRecord | None, member: MemberRecord, event: EventBase
    ) -> list[Intent]:
        """After a conversation ended: the one it put on hold, taken up again in the same
        write (:meth:`~store.conversations.ConversationRepository.end_and_take_up`), at the
        question it was at; or nothing, if none waited, it expired meanwhile, or its flow no
        longer lets the member in (e.g. ``edit`` on hold while they left)."""
        if conversation is None:
            return []
        now = self.clock.now()
        fresh = await self.store.members.get(member.id) or member
        turn = self._turn(conversation, fresh, event)
        if turn is None:
            await self.store.conversations.end(conversation, status="retired", now=now)
            return []
        guard = turn.flow.guard
        refused = guard is not None and guard(fresh, self.speller(event.member.platform))
        if now >= conversation.expires_at or refused:
            await self.store.conversations.end(conversation, status="cancelled", now=now)
            return []
        back = msg(
            "conversation.back_to", command=self._spell(turn), number=len(conversation.trail) + 1
        )
        return [self._say(turn, back), self.ask(turn)]

    async def ask_again(
        self, conversation: ConversationRecord, member: MemberRecord, event: EventBase
    ) -> list[Intent]:
        """The current question once more, and nothing else (after a redelivered event)."""
        turn = self._turn(conversation, member, event)
        return [] if turn is None else [self.ask(turn)]

    def retire_current(
        self, conversation: ConversationRecord, member: MemberRecord, event: EventBase
    ) -> list[Intent]:
        """The question of a conversation that is being ended from outside (replaced, left)."""
        turn = self._turn(conversation, member, event)
        return [] if turn is None else [self._retire(turn)]

    async def receive(
        self, conversation: ConversationRecord, member: MemberRecord, event: EventBase
    ) -> list[Intent]:
        """An answer (text, choice or form) for the member's active conversation."""
        turn = self._turn(conversation, member, event)
        if turn is None:
            return [self._plain_say(member, event, msg("conversation.gone"))]
        answered = _answered_prompt(event)
        if answered is not None and answered != prompt_id(conversation):
            return [self._stale(turn)]
        try:
            answer = self._parse(turn, event)
        except PartlyUnderstood as partly:
            return await self._keep_part(turn, partly)
        except Invalid as problem:
            return [self._say(turn, problem.message), self.ask(turn, again=True)]
        if isinstance(answer, Understood):
            return await self._advance(turn, answer.value, said=answer.said)
        return await self._advance(turn, answer)

    async def control(
        self,
        conversation: ConversationRecord,
        member: MemberRecord,
        event: EventBase,
        control: Control,
    ) -> list[Intent]:
        turn = self._turn(conversation, member, event)
        if turn is None:
            return [self._plain_say(member, event, msg("conversation.gone"))]
        now = self.clock.now()
        if control is Control.CANCEL:
            ended, taken = await self.store.conversations.end_and_take_up(
                conversation, status="cancelled", now=now, cause=applied_event(event)
            )
            if ended is None:
                return [self._stale(turn)]
            cancelled = (
                msg("conversation.cancelled_asked")
                if turn.flow.asked_only
                else msg("conversation.cancelled", command=self._spell(turn))
            )
            taken_up = await self._go_on(taken, member, event)
            return [self._retire(turn), self._say(turn, cancelled), *taken_up]
        if control is Control.HELP:
            return [self._say(turn, msg("conversation.help")), self.ask(turn)]
        if not conversation.trail:
            return [self._say(turn, msg("conversation.back_at_start")), self.ask(turn)]
        previous = conversation.trail[-1]
        moved = await self.store.conversations.advance(
            conversation,
            step_id=previous,
            answers=_without_kept(conversation.answers),
            trail=conversation.trail[:-1],
            expires_at=now + turn.flow.timeout,
            now=now,
            cause=applied_event(event),
        )
        if moved is None:
            return [self._stale(turn)]
        retired = self._retire(turn)
        turn.conversation = moved
        return [retired, *self._enter(turn)]

    # -- asking ---------------------------------------------------------------------------

    def _enter(self, turn: _Turn) -> list[Intent]:
        """Arriving at a step: what it says first, then its question."""
        before = turn.step.before
        if before is None:
            return [self.ask(turn)]
        lead = before(self._context(turn)) if callable(before) else before
        return [self._say(turn, lead), self.ask(turn)]

    def ask(self, turn: _Turn, *, again: bool = False) -> Ask:
        """The step's question; ``again`` after an answer that was not understood (a choice
        question then asks its short form, if it has one)."""
        context = self._context(turn)
        question = turn.step.question
        prompt = self._question_text(question, context)
        if again and isinstance(question, ChoiceQuestion) and question.again is not None:
            shorter = question.again
            prompt = shorter(context) if callable(shorter) else shorter
        common: dict[str, Any] = {
            "target": self._place(turn),
            "locale": context.locale,
            "in_reply_to": turn.event.event_id,
            "prompt_id": prompt_id(turn.conversation),
            "question": prompt,
            "repeated": again,
        }
        if isinstance(question, TextQuestion):
            return Ask(
                kind="text",
                max_length=question.max_length,
                field_label=question.label,
                optional=question.optional,
                **common,
            )
        options = self._options(question, context)
        return Ask(
            optional=question.min_choices == 0,
            kind="many" if question.multiple else "one",
            options=options,
            min_choices=question.min_choices,
            max_choices=(question.max_choices or len(options)) if question.multiple else 1,
            **common,
        )

    # -- answering ------------------------------------------------------------------------

    def _parse(self, turn: _Turn, event: EventBase) -> Any:
        question = turn.step.question
        context = self._context(turn)
        if isinstance(question, TextQuestion):
            return self._parse_text(question, _text_of(event, turn.step.id), context)
        options = self._options(question, context)
        optional = question.min_choices == 0
        kept = tuple(turn.conversation.answers.get(kept_key(turn.step.id)) or ())
        chosen: tuple[str, ...] | None
        if isinstance(event, ChoicePicked):
            chosen = event.choice_ids
        else:
            text = _text_of(event, turn.step.id)
            if kept and is_yes(text, self.translator):
                chosen = ()  # "ok": what was understood before is enough
            elif optional and (not text.strip() or is_skip(text, self.translator)):
                chosen = ()
            else:
                reading = read_choices(
                    text,
                    options,
                    self.translator,
                    multiple=question.multiple,
                    read_part=question.read_part,
                )
                if question.multiple and reading.chosen and not reading.complete:
                    raise PartlyUnderstood(_merged(kept, reading.chosen), reading.unclear)
                chosen = reading.chosen if reading.complete and reading.chosen else None
        if chosen is not None and kept:
            chosen = _merged(kept, chosen)
        known = {option.id for option in options}
        empty_refused = not chosen and not question.multiple and not optional
        if chosen is None or not set(chosen) <= known or empty_refused:
            if len(options) > 2:
                raise Invalid(msg("answer.choice_not_understood", last=len(options)))
            raise Invalid(msg("answer.choice_not_understood_two"))
        if not question.multiple:
            if len(chosen) > 1:
                raise Invalid(msg("answer.choose_one"))
            return chosen[0] if chosen else None
        most = question.max_choices or len(options)
        if len(chosen) < question.min_choices:
            raise Invalid(
                question.too_few or msg("answer.too_few_choices", count=question.min_choices)
            )
        if len(chosen) > most:
            raise Invalid(msg("answer.too_many_choices", count=most))
        return list(chosen)

    async def _keep_part(self, turn: _Turn, partly: PartlyUnderstood) -> list[Intent]:
        """Some parts of a several-of answer named options, others nothing: keep the first
        and ask for the rest (the next answer adds to them; "ok" goes on with them)."""
        conversation = turn.conversation
        question = turn.step.question
        assert isinstance(question, ChoiceQuestion)
        context = self._context(turn)
        labels = {option.id: option.label for option in self._options(question, context)}
        understood = tuple(labels[choice] for choice in partly.chosen if choice in labels)
        moved = await self.store.conversations.advance(
            conversation,
            step_id=conversation.step_id,
            answers={**conversation.answers, kept_key(conversation.step_id): list(partly.chosen)},
            trail=conversation.trail,
            expires_at=self.clock.now() + turn.flow.timeout,
            now=self.clock.now(),
            cause=applied_event(turn.event),
        )
        if moved is None:
            return [self._stale(turn)]
        retired = self._retire(turn)
        turn.conversation = moved
        unclear = tuple(user_text(excerpt(part, 40)) for part in partly.unclear)
        kept = msg("answer.partly_understood", understood=understood, unclear=unclear)
        return [retired, self._say(turn, kept), self.ask(turn, again=True)]

    def _parse_text(self, question: TextQuestion, text: str, context: FlowContext) -> Any:
        text = text.strip()
        if question.optional and (not text or is_skip(text, self.translator)):
            return None
        if not text:
            raise Invalid(msg("answer.empty"))
        if len(text) > question.max_length:
            raise Invalid(msg("answer.too_long", limit=question.max_length, length=len(text)))
        if len(text) < question.min_length:
            raise Invalid(msg("answer.too_short", limit=question.min_length))
        return question.check(text, context) if question.check else text

    async def _advance(self, turn: _Turn, answer: Any, said: Msg | None = None) -> list[Intent]:
        """Store ``answer`` and go on; ``said`` (what it was understood as) comes first."""
        conversation = turn.conversation
        answers = {**_without_kept(conversation.answers), turn.step.id: answer}
        context = self._context(turn, answers)
        writes: Writes = ()
        if turn.step.on_answer is not None:
            writes = await turn.step.on_answer(answer, context) or ()
        now = self.clock.now()
        next_id = turn.flow.next_step_id(turn.step, answer, context)
        understood = [] if said is None else [self._say(turn, said, answers)]
        if next_id == END:
            return await self._finish(turn, answers, understood, writes)
        moved = await self.store.conversations.advance(
            conversation,
            step_id=next_id,
            answers=answers,
            trail=[*conversation.trail, conversation.step_id],
            expires_at=now + turn.flow.timeout,
            now=now,
            cause=applied_event(turn.event),
            writes=writes,
        )
        if moved is None:
            return [self._stale(turn)]
        retired = self._retire(turn, answers, answer=answer)
        turn.conversation = moved
        return [retired, *understood, *self._enter(turn)]

    async def _finish(
        self,
        turn: _Turn,
        answers: dict[str, Any],
        understood: list[Intent] | None = None,
        writes: Writes = (),
    ) -> list[Intent]:
        # The last answer first claims the step (recording its event), then the flow finishes:
        # of two answers that would both finish it (a double click, two processes) only the
        # one that claimed it saves anything; the other is told its question was over. The
        # answers stay in the conversation until it ends, so a crash before the end loses
        # nothing: the member is asked the last question again.
        now = self.clock.now()
        retired = self._retire(turn, answers, answer=answers.get(turn.step.id))
        claimed = await self.store.conversations.advance(
            turn.conversation,
            step_id=turn.conversation.step_id,
            answers=answers,
            trail=turn.conversation.trail,
            expires_at=now + turn.flow.timeout,
            now=now,
            cause=applied_event(turn.event),
            writes=writes,
        )
        if claimed is None:
            return [self._stale(turn)]
        try:
            closing = await turn.flow.finish(self._context(turn, answers))
        except Exception:
            # The step is claimed but nothing was finished: the last question is asked again
            # (under its new id; the old one is over), so the member can simply answer again.
            log.exception("finishing %s failed; its last question is asked again", turn.flow.id)
            turn.conversation = claimed
            return [self._say(turn, msg("errors.internal")), self.ask(turn)]
        done = AppliedEvent(turn.event.member.platform, f"{turn.event.event_id}:done")
        ended, taken = await self.store.conversations.end_and_take_up(
            claimed, status="done", now=self.clock.now(), cause=done
        )
        said = [*(understood or [])] + [
            self._say(turn, item, answers) if isinstance(item, Msg) else item for item in closing
        ]
        if ended is None:
            return said  # the flow's own finish ended it (e.g. forget deleted everything)
        return [retired, *said, *await self._go_on(taken, turn.member, turn.event)]

    # -- helpers --------------------------------------------------------------------------

    def _turn(
        self, conversation: ConversationRecord, member: MemberRecord, event: EventBase
    ) -> _Turn | None:
        flow = self.registry.get(conversation.flow_id)
        known = flow is not None and flow.version == conversation.flow_version
        if flow is None or not known or not flow.has_step(conversation.step_id):
            # A newer release (or new organizer questions) changed this flow; its old state
            # cannot be trusted.
            log.info("conversation %s is of a retired flow version", conversation.id)
            return None
        return _Turn(flow, conversation, member, event)

    def locale(
        self, member: MemberRecord | None, event: EventBase, chosen: str | None = None
    ) -> str:
        """The member's language: chosen in this flow, else saved, else platform, else default."""
        return choose_locale(
            chosen or (member.locale if member else None),
            event.locale or (member.platform_locale if member else None),
            self.default_locale,
        )

    def _context(self, turn: _Turn, answers: dict[str, Any] | None = None) -> FlowContext:
        answers = turn.conversation.answers if answers is None else answers
        # The context holds ``answers``, so its id stays theirs while it is kept here.
        if (known := turn.contexts.get(id(answers))) is not None:
            return known
        context = turn.contexts[id(answers)] = self._new_context(turn, answers)
        return context

    def _new_context(self, turn: _Turn, answers: dict[str, Any]) -> FlowContext:
        chosen = answers.get(turn.flow.locale_step) if turn.flow.locale_step else None
        return FlowContext(
            member=turn.member,
            community_id=turn.conversation.community_id,
            answers=answers,
            locale=self.locale(turn.member, turn.event, chosen),
            now=self.clock.now(),
            store=self.store,
            program=self.settings.program_for(turn.conversation.community_id),
            place=self._place(turn),
            spell=self.speller(turn.event.member.platform),
            locale_known=bool(
                chosen or turn.member.locale or turn.event.locale or turn.member.platform_locale
            ),
            send=self.send,
            organizers_reachable=self.settings.has_organizer_place(turn.event.member.platform),
        )

    def _question_text(self, question: TextQuestion | ChoiceQuestion, context: FlowContext) -> Msg:
        return question.prompt(context) if callable(question.prompt) else question.prompt

    def _retire(
        self, turn: _Turn, answers: dict[str, Any] | None = None, *, answer: Any = _UNANSWERED
    ) -> RetireQuestion:
        """The current question of ``turn`` is over: answered with ``answer``, or closed."""
        context = self._context(turn, answers)
        question = turn.step.question
        picked: tuple[Option, ...] = ()
        if answer is not _UNANSWERED and isinstance(question, ChoiceQuestion):
            chosen = set(answer) if isinstance(answer, list) else {answer}
            picked = tuple(o for o in self._options(question, context) if o.id in chosen)
        return RetireQuestion(
            target=self._place(turn),
            locale=context.locale,
            in_reply_to=turn.event.event_id,
            prompt_id=prompt_id(turn.conversation),
            # As it was asked: before this answer (which may have chosen the language).
            question=self._question_text(question, self._context(turn)),
            answered=answer is not _UNANSWERED,
            picked=picked,
        )

    def _stale(self, turn: _Turn) -> Say:
        """The answer was for a question that is over; only the member is told."""
        return self._say(turn, msg("prompt.stale")).model_copy(update={"transient": True})

    def _options(self, question: ChoiceQuestion, context: FlowContext) -> tuple[Option, ...]:
        return question.options(context) if callable(question.options) else question.options

    def speller(self, platform: str) -> Callable[[str], str]:
        """Spells a command the way ``platform`` does; organizer commands in their group."""

        def spell(name: str) -> str:
            organizer = self.registry.is_organizer_command(name)
            return self.platforms.spell(platform, name, organizer=organizer)

        return spell

    def _spell(self, turn: _Turn) -> str | Msg:
        """The command of the turn's flow as the member's platform spells it; what the flow
        is about for one only the bot starts."""
        if turn.flow.asked_only:
            return turn.flow.description
        return self.speller(turn.event.member.platform)(turn.flow.command)

    def _place(self, turn: _Turn) -> Place:
        if turn.place is None:  # a conversation's place never changes
            turn.place = Place.model_validate(turn.conversation.place)
        return turn.place

    def _say(self, turn: _Turn, text: Msg, answers: dict[str, Any] | None = None) -> Say:
        return Say(
            target=self._place(turn),
            locale=self._context(turn, answers).locale,
            in_reply_to=turn.event.event_id,
            text=text,
        )

    def _plain_say(self, member: MemberRecord, event: EventBase, text: Msg) -> Say:
        return Say(
            target=event.place,
            locale=self.locale(member, event),
            in_reply_to=event.event_id,
            text=text,
        )


class PartlyUnderstood(Exception):
    """A several-of answer of which some parts named options (``chosen``, with those kept
    from before) and others nothing (``unclear``)."""

    def __init__(self, chosen: tuple[str, ...], unclear: tuple[str, ...]) -> None:
        super().__init__("partly understood")
        self.chosen = chosen
        self.unclear = unclear


def kept_key(step_id: str) -> str:
    """Where the understood part of a partly understood answer waits in the conversation's
    answers (no step id has a dot, so it never meets one)."""
    return f"{step_id}.kept"


def _without_kept(answers: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if not key.endswith(".kept")}


def _merged(first: tuple[str, ...], then: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(choice for choice in then if choice not in first)


def _answered_prompt(event: EventBase) -> str | None:
    if isinstance(event, ChoicePicked | FormSubmitted | TextReplied):
        return event.prompt_id
    return None


def _text_of(event: EventBase, step_id: str) -> str:
    if isinstance(event, TextReplied):
        return event.text
    if isinstance(event, FormSubmitted):
        return event.values.get(step_id) or next(iter(event.values.values()), "")
    if isinstance(event, CommandInvoked):
        return " ".join(event.args)
    return ""
