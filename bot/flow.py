"""How a flow is written: steps with questions, what comes next, and what happens at the end.

A flow is data plus small functions, checked when it is built (unknown step ids, duplicate ids,
duplicate options fail at import, not in front of a member). Example::

    FLOW = Flow(
        id="join", version=1, command="join", description=msg("join.description"),
        steps=(
            Step("name", TextQuestion(prompt=msg("join.ask_name"), max_length=64)),
            Step("days", ChoiceQuestion(prompt=msg("join.ask_days"), options=DAYS, multiple=True)),
        ),
        finish=save_profile,
    )

A step's answer is stored under its id: text as ``str``, one-of as the option id, several-of as
a list of option ids. ``next`` is a step id, :data:`END`, or a function of (answer, context).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.capabilities import Capabilities
from bot.commands import CommandArgument
from bot.events import CommandInvoked
from bot.intents import Delivery, Intent, IntentBase, Option, Say
from bot.messages import Msg
from bot.places import Place, PlaceKind

if TYPE_CHECKING:
    from bot.config import ProgramSettings
    from store import Store
    from store.conversations import ConversationRecord
    from store.members import MemberRecord
    from store.precompiled import Writes

END = "__end__"
FOLLOWING = "__following__"
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class FlowDefinitionError(Exception):
    """A flow is built wrong; raised when it is defined."""


class Invalid(Exception):
    """An answer was not accepted; ``message`` tells the member why and what to do."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.id)
        self.message = message


#: Sends one intent at once and returns what the adapter reports (see ``FlowContext.send``).
Send = Callable[[IntentBase], Awaitable[Delivery | None]]


async def cannot_send(_intent: IntentBase) -> Delivery | None:
    raise RuntimeError("nothing can be sent ahead of the answer here")


@dataclass(frozen=True)
class FlowContext:
    """What a step's functions may read: the member, the answers so far, the locale, the time."""

    member: MemberRecord
    community_id: str
    answers: Mapping[str, Any]
    locale: str
    now: datetime
    store: Store
    program: ProgramSettings
    # Where the conversation takes place (the member's DM).
    place: Place
    # A command as the member's platform spells it ("/tandem profile", "!tandem profile").
    spell: Callable[[str], str]
    # Whether ``locale`` is the member's (chosen, or their platform's) rather than the
    # community's default: a greeting before that is better said in every language.
    locale_known: bool = True
    # Sends an intent now, before what the step returns, for what must reach the platform before
    # the store changes (``forget`` closes the pair space while the member is still known). A
    # failure is logged by the app, not raised: the step goes on.
    send: Send = cannot_send
    # Whether what is meant for the organizers can be posted on the member's platform (an
    # organizer channel or room is configured): a report says honestly when it cannot.
    organizers_reachable: bool = True


Prompt = Msg | Callable[[FlowContext], Msg]


@dataclass(frozen=True)
class Understood:
    """What a text question's ``check`` may return instead of the bare value: the ``value`` to
    store, and what to tell the member it was understood as (said before the next question,
    so a wrong guess is seen at once: "Munich — Central European Time, now 14:05")."""

    value: Any
    said: Msg


@dataclass(frozen=True)
class TextQuestion:
    prompt: Prompt
    label: Msg | None = None
    min_length: int = 1
    max_length: int = 500
    optional: bool = False
    check: Callable[[str, FlowContext], Any] | None = None


@dataclass(frozen=True)
class ChoiceQuestion:
    prompt: Prompt
    options: tuple[Option, ...] | Callable[[FlowContext], tuple[Option, ...]]
    multiple: bool = False
    min_choices: int = 1
    max_choices: int | None = None
    # Said instead of the generic "choose at least N" when too few are chosen.
    too_few: Msg | None = None
    # The question asked again after an answer that was not understood, when the prompt is
    # long (the privacy notice): only the short question, not the whole text before it.
    again: Prompt | None = None
    # Reads a part of a typed answer that is no option's number or word, for what only the
    # flow knows how to read ("wed evening" for a weekly slot): the option ids, or None.
    read_part: Callable[[str], tuple[str, ...] | None] | None = None


Question = TextQuestion | ChoiceQuestion
NextStep = str | Callable[[Any, FlowContext], str]


@dataclass(frozen=True)
class Step:
    """One question. ``when`` skips the step when false; ``before`` is said before asking."""

    id: str
    question: Question
    next: NextStep = FOLLOWING
    when: Callable[[FlowContext], bool] | None = None
    before: Prompt | None = None
    # Runs when the answer is accepted, before moving on. What it returns (a repository's
    # writes, e.g. a consent) is written in the same transaction as the move to the next step,
    # and only if the step moves: the answer and what it records stand or fall together.
    on_answer: Callable[[Any, FlowContext], Awaitable[Writes | None]] | None = None


# What a flow does at its end; returns messages for the conversation's place, or intents.
Finish = Callable[[FlowContext], Awaitable[list["Msg | Intent"]]]


@dataclass(frozen=True)
class Flow:
    id: str
    version: int
    command: str
    description: Msg
    steps: tuple[Step, ...]
    finish: Finish
    intro: Prompt | None = None
    # The step whose answer is the member's language; later questions follow it at once.
    locale_step: str | None = None
    timeout: timedelta = timedelta(days=7)
    # Whether this member may start the flow now: None, or the message saying why not. It gets
    # the member (None for someone the bot has no record of) and a function that spells a
    # command the way their platform does. It runs before any record is created.
    guard: Callable[[MemberRecord | None, Callable[[str], str]], Msg | None] | None = None
    # Answers known before the first question (e.g. the saved profile, for ``edit``). It may
    # raise :class:`Invalid` to refuse the start with its message, when what the flow is about
    # is not in the store (``guard`` cannot look there); nothing is stored then.
    prefill: Callable[[MemberRecord, Store], Awaitable[dict[str, Any]]] | None = None
    # Only organizers may start it (the router refuses everyone else); it is spelled in the
    # organizer group (``/tandem-admin <command>``).
    organizer_only: bool = False
    # Runs even while the member's gate is due (see :class:`Gate`): data rights never wait.
    exempt_from_gate: bool = False
    # A command argument that answers the first question at once (``pause 24.12.``); without
    # one, the question is asked.
    argument: CommandArgument | None = None
    # The step a given argument answers (``note <text>`` writes the note at once, while plain
    # ``note`` starts at the first step, the list); None: the first step.
    argument_step: str | None = None
    # Only the bot starts it (a question it asks first: :attr:`bot.due.DueRun.start_flow`):
    # no command members can type, not in help, not registered on any platform (Discord's
    # slash commands are nearly all taken). ``command`` then only names it in the store, and
    # messages about the conversation name its ``description`` instead of a command.
    asked_only: bool = False
    # The step to begin with, from the answers known before it (the prefill): ``pause`` asks a
    # quiet tandem's question first, and only then. None: the first step.
    begin_at: Callable[[Mapping[str, Any]], str] | None = None
    _by_id: dict[str, Step] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise FlowDefinitionError(f"flow {self.id!r}: " + "; ".join(problems))
        object.__setattr__(self, "_by_id", {step.id: step for step in self.steps})

    def _problems(self) -> list[str]:
        problems = []
        if not _ID.match(self.id):
            problems.append("id must be lower_snake_case")
        if self.version < 1:
            problems.append("version must be ≥ 1")
        if not self.steps:
            problems.append("has no steps")
        ids = [step.id for step in self.steps]
        for step_id in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"step id {step_id!r} is used twice")
        for step in self.steps:
            if not _ID.match(step.id):
                problems.append(f"step id {step.id!r} must be lower_snake_case")
            if isinstance(step.next, str) and step.next not in {END, FOLLOWING, *ids}:
                problems.append(f"step {step.id!r} goes to unknown step {step.next!r}")
            question = step.question
            if isinstance(question, ChoiceQuestion) and isinstance(question.options, tuple):
                option_ids = [option.id for option in question.options]
                if len(set(option_ids)) != len(option_ids):
                    problems.append(f"step {step.id!r} has duplicate option ids")
                if not option_ids:
                    problems.append(f"step {step.id!r} offers no options")
            if isinstance(question, TextQuestion) and question.min_length > question.max_length:
                problems.append(f"step {step.id!r} has min_length > max_length")
        if self.argument_step is not None and self.argument_step not in ids:
            problems.append(f"argument_step {self.argument_step!r} is not a step")
        if self.locale_step is not None and self.locale_step not in ids:
            problems.append(f"locale_step {self.locale_step!r} is not a step")
        return problems

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    def entry_step(self, answers: Mapping[str, Any]) -> Step:
        """The step a new conversation begins at (see ``begin_at``)."""
        return self.first_step if self.begin_at is None else self.step(self.begin_at(answers))

    def has_step(self, step_id: str) -> bool:
        return step_id in self._by_id

    def step(self, step_id: str) -> Step:
        try:
            return self._by_id[step_id]
        except KeyError:
            raise FlowDefinitionError(f"flow {self.id!r} has no step {step_id!r}") from None

    def next_step_id(self, step: Step, answer: Any, context: FlowContext) -> str:
        """Where the flow goes after ``step`` was answered, skipping steps whose ``when`` fails."""
        target = self._target(step, answer, context)
        while target != END:
            candidate = self.step(target)  # unknown ids fail loudly
            if candidate.when is None or candidate.when(context):
                return target
            target = self._target(candidate, context.answers.get(candidate.id), context)
        return END

    def _target(self, step: Step, answer: Any, context: FlowContext) -> str:
        target = step.next(answer, context) if callable(step.next) else step.next
        if target == FOLLOWING:
            index = self.steps.index(step)
            return self.steps[index + 1].id if index + 1 < len(self.steps) else END
        return target


@dataclass(frozen=True)
class ActionContext:
    """What a one-shot command sees: the event, the member (if known) and the services."""

    event: CommandInvoked
    member: MemberRecord | None
    locale: str
    now: datetime
    store: Store
    program: ProgramSettings
    spell: Callable[[str], str]
    # Where only the member sees an answer: where the command was given if that is the DM or
    # the platform can whisper there (Discord's ephemeral replies), else the member's DM.
    private_place: Place
    # The conversation the member is in the middle of, if any (the action runs beside it, and
    # its question is asked again after the action's answer).
    running: ConversationRecord | None = None
    # What the member's platform can do, and how it names people (a command naming someone).
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def argument(self) -> str:
        return " ".join(self.event.args).strip()

    def reply(self, text: Msg) -> Say:
        """An answer only the member sees (see ``private_place``)."""
        return Say(
            target=self.private_place,
            locale=self.locale,
            in_reply_to=self.event.event_id,
            text=text,
        )

    def dm_place(self) -> Place:
        if self.event.place.kind == PlaceKind.DM:
            return self.event.place
        return Place.dm(self.event.member)


@dataclass(frozen=True)
class Action:
    """A one-shot command (``profile``, ``pause``): no conversation, just an answer."""

    command: str
    description: Msg
    run: Callable[[ActionContext], Awaitable[list[Intent]]]
    argument: CommandArgument | None = None
    # As for :class:`Flow`.
    organizer_only: bool = False
    exempt_from_gate: bool = False


@dataclass(frozen=True)
class Gate:
    """A flow a member goes through before anything else while ``due`` says so.

    The journey registers one (consent to a raised privacy notice version): while it is due,
    any command or answer of the member starts the gate's flow instead (or repeats its
    question), except commands marked ``exempt_from_gate``. ``due`` gets the member's record and
    their community's program settings.
    """

    flow: Flow
    due: Callable[[MemberRecord, ProgramSettings], bool]


#: What the journey does when a member leaves the community: gets the member (already marked
#: as left), the store and the time; returns what to send.
MemberLeftHook = Callable[["MemberRecord", "Store", datetime], Awaitable[list[Intent]]]
