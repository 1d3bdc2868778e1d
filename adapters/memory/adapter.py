"""An adapter that lives in memory: tests push events and read what each member received.

Two capability profiles: :class:`MemoryAdapter` is rich like Discord (buttons, selects, forms),
:class:`TextMemoryAdapter` is text-only like Matrix (numbered lists, answers typed). Flow tests
run as transcripts under both::

    alex = memory.member("alex")
    await memory.command(alex, "join")
    await memory.pick(alex, "en")          # a click on the rich profile
    await memory.say(alex, "2")            # a typed answer, normalised by the kernel
    assert memory.last(alex).text.startswith("What should I call you")

Questions the kernel retires (answered, or their conversation ended) are not messages a member
reads: they are kept in :attr:`MemoryAdapter.retired`, in order, for transcripts to check.

Pair spaces live on :attr:`MemoryAdapter.world` (:mod:`.platform`), which a kill test keeps on
disk so that it outlives the bot's process; a space opened with a marker is found there again
rather than opened twice (:mod:`bot.pair_spaces`).

Who is an organizer is the test's word here (``memory.organizers``), as it is the platform's
elsewhere; ``memory.admin(alex, "status")`` runs an organizer command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from adapters.memory.platform import MemoryPlatform
from bot.adapter import Adapter, AdapterContext, EventSink, renders
from bot.capabilities import RICH, TEXT_ONLY, Capabilities
from bot.events import (
    ChoicePicked,
    CommandInvoked,
    EventBase,
    FormSubmitted,
    MemberLeft,
    MemberReturned,
    TextReplied,
)
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
from bot.places import MemberRef, Place
from bot.render import question_as_text


@dataclass
class Rendered:
    """One message as a member would see it on this profile."""

    place: Place
    text: str
    intent: IntentBase
    buttons: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    form_field: str | None = None


class MemoryAdapter(Adapter):
    platform = "memory"
    # Like Discord, but people are named by their user id as tests write it ("ben").
    capabilities: ClassVar[Capabilities] = RICH.model_copy(
        update={"member_id": TEXT_ONLY.member_id, "member_hint": TEXT_ONLY.member_hint}
    )
    remembers_sends = True

    def __init__(self, context: AdapterContext) -> None:
        super().__init__(context)
        self.community_id = "memory"
        self.sink: EventSink | None = None
        self.sent: list[Rendered] = []
        # What the "platform" holds: pair spaces (and, on disk, every message posted).
        self.world = MemoryPlatform()
        self.files: list[AttachFile] = []
        self.retired: list[RetireQuestion] = []
        # The DMs of members who were forgotten (``ForgetMember``).
        self.forgotten: list[Place] = []
        # Benchmarks switch this off: only the id of each member's latest question is kept (not
        # the question: thousands of them, kept alive, made the garbage collector's pauses the
        # benchmark's longest).
        self.keep_history = True
        # User ids this "platform" marks as organizers on their commands.
        self.organizers: set[str] = set()
        self._last_prompt: dict[str, str] = {}
        self._count = 0

    async def start(self, sink: EventSink) -> None:
        self.sink = sink

    async def stop(self) -> None:
        self.sink = None

    # -- driving it, as members would ------------------------------------------------------

    def member(self, user_id: str, locale: str | None = None) -> MemberRef:
        return MemberRef(platform=self.platform, user_id=user_id, display_name=user_id.title())

    def dm(self, member: MemberRef) -> Place:
        return Place.dm(member, channel_id=f"dm-{member.user_id}")

    async def push(self, event: EventBase) -> list[Rendered]:
        """Deliver an event and return what the bot sent in answer to it."""
        if self.sink is None:
            raise RuntimeError("the memory adapter is not started")
        before = len(self.sent)
        await self.sink(event)
        return self.sent[before:]

    def _common(self, member: MemberRef, place: Place | None, locale: str | None) -> dict:
        return {
            "community_id": self.community_id,
            "member": member,
            "place": place or self.dm(member),
            "locale": locale,
        }

    async def command(
        self,
        member: MemberRef,
        name: str,
        *args: str,
        place: Place | None = None,
        locale: str | None = None,
        organizer_command: bool = False,
    ) -> list[Rendered]:
        return await self.push(
            CommandInvoked(
                name=name,
                args=args,
                organizer=member.user_id in self.organizers,
                organizer_command=organizer_command,
                **self._common(member, place, locale),
            )
        )

    async def admin(
        self,
        member: MemberRef,
        name: str,
        *args: str,
        place: Place | None = None,
        locale: str | None = None,
    ) -> list[Rendered]:
        """An organizer command, as ``/tandem-admin <name>`` would give it."""
        return await self.command(
            member, name, *args, place=place, locale=locale, organizer_command=True
        )

    async def say(
        self, member: MemberRef, text: str, *, place: Place | None = None, locale: str | None = None
    ) -> list[Rendered]:
        return await self.push(TextReplied(text=text, **self._common(member, place, locale)))

    async def pick(
        self, member: MemberRef, *choice_ids: str, prompt_id: str | None = None
    ) -> list[Rendered]:
        """Click a button / choose in a select of the member's latest question (or a given one)."""
        prompt = prompt_id or self._latest_prompt(member)
        return await self.push(
            ChoicePicked(
                prompt_id=prompt, choice_ids=choice_ids, **self._common(member, None, None)
            )
        )

    async def submit(
        self, member: MemberRef, text: str, *, prompt_id: str | None = None
    ) -> list[Rendered]:
        """Fill in the form field of the member's latest question."""
        return await self.push(
            FormSubmitted(
                prompt_id=prompt_id or self._latest_prompt(member),
                values={"answer": text},
                **self._common(member, None, None),
            )
        )

    async def answer(self, member: MemberRef, *choice_or_text: str) -> list[Rendered]:
        """Answer the latest question the way this profile's members would."""
        ask = self.last_ask(member)
        if ask.kind == "text":
            if self.capabilities.modals:
                return await self.submit(member, choice_or_text[0])
            return await self.say(member, choice_or_text[0])
        if self.capabilities.buttons:
            return await self.pick(member, *choice_or_text)
        numbers = [
            str(next(i for i, o in enumerate(ask.options, 1) if o.id == choice))
            for choice in choice_or_text
        ]
        return await self.say(member, " ".join(numbers))

    async def leave(self, member: MemberRef) -> list[Rendered]:
        return await self.push(MemberLeft(**self._common(member, None, None)))

    async def come_back(self, member: MemberRef) -> list[Rendered]:
        return await self.push(MemberReturned(**self._common(member, None, None)))

    # -- reading what members saw ----------------------------------------------------------

    def received(self, member: MemberRef) -> list[Rendered]:
        return [r for r in self.sent if r.place.user_id == member.user_id]

    def last(self, member: MemberRef) -> Rendered:
        return self.received(member)[-1]

    def last_ask(self, member: MemberRef) -> Ask:
        if not self.keep_history:
            raise RuntimeError("the history is off: only the latest question's id is kept")
        for rendered in reversed(self.received(member)):
            if isinstance(rendered.intent, Ask):
                return rendered.intent
        raise AssertionError(f"{member.user_id} was never asked anything")

    def _latest_prompt(self, member: MemberRef) -> str:
        if self.keep_history:
            return self.last_ask(member).prompt_id
        return self._last_prompt[member.user_id]

    def texts(self, member: MemberRef) -> list[str]:
        return [r.text for r in self.received(member)]

    # -- rendering -------------------------------------------------------------------------

    def _render(self, intent: IntentBase, text: str, **extra: object) -> Delivery:
        if not self.world.post(intent.target, text, intent.idempotency_key):
            return Delivery()  # the platform dropped a repeat
        rendered = Rendered(place=intent.target, text=text, intent=intent, **extra)  # type: ignore[arg-type]
        if self.keep_history:
            self.sent.append(rendered)
        elif isinstance(intent, Ask) and intent.target.user_id:
            self._last_prompt[intent.target.user_id] = intent.prompt_id
        self._count += 1
        return Delivery(message_id=f"m{self._count}")

    @renders(Say)
    async def render_say(self, intent: Say) -> Delivery:
        return self._render(intent, self.translator.render(intent.text, intent.locale))

    @renders(Ask)
    async def render_ask(self, intent: Ask) -> Delivery:
        caps = self.capabilities
        labels = [self.translator.render(o.label, intent.locale) for o in intent.options]
        question = self.translator.render(intent.question, intent.locale)
        if intent.kind == "text" and caps.modals:
            label = self.translator.render(intent.field_label or intent.question, intent.locale)
            return self._render(intent, question, form_field=label)
        if intent.kind == "one" and caps.buttons and len(labels) <= caps.max_buttons:
            return self._render(intent, question, buttons=labels)
        if intent.options and caps.selects and len(labels) <= caps.max_select_options:
            return self._render(intent, question, select=labels)
        return self._render(intent, question_as_text(intent, self.translator))

    @renders(RetireQuestion)
    async def render_retire_question(self, intent: RetireQuestion) -> Delivery:
        if self.keep_history:
            self.retired.append(intent)
        return Delivery()

    def retired_for(self, member: MemberRef) -> list[RetireQuestion]:
        return [r for r in self.retired if r.target.user_id == member.user_id]

    @renders(OpenPairSpace)
    async def render_open_pair_space(self, intent: OpenPairSpace) -> Delivery:
        members = [member.user_id for member in intent.members]
        name = self.translator.render(intent.name, intent.locale)

        async def find(tag: str, thorough: bool) -> str | None:
            space = self.world.find_space(tag)
            return None if space is None else space.id

        async def create(tag: str | None) -> str:
            return self.world.open_space(members, name, tag).id

        async def post_welcome(place: Place) -> None:
            assert intent.welcome is not None
            here = intent.model_copy(update={"target": place})
            self._render(here, self.translator.render(intent.welcome, intent.locale))

        async def posted_before(space_id: str) -> bool:
            here = [r for r in self.sent if r.place.channel_id == space_id]
            return bool(here or self.world.posts_in(space_id))

        _, place = await self.space_ledger.open_intent(
            intent,
            find=find,
            create=create,
            post_welcome=post_welcome,
            posted_before=posted_before,
        )
        return Delivery(place=place)

    @renders(ClosePairSpace)
    async def render_close_pair_space(self, intent: ClosePairSpace) -> Delivery:
        space_id = intent.target.channel_id
        if space_id is None:
            return Delivery()
        if intent.farewell is not None:
            self._render(intent, self.translator.render(intent.farewell, intent.locale))
        self.world.close_space(space_id, [member.user_id for member in intent.removed])
        return Delivery()

    @property
    def pair_spaces(self) -> dict[str, tuple[MemberRef, ...]]:
        """Every pair space the platform holds (closed ones too), with who is in it."""
        return {
            space.id: tuple(self.member(user_id) for user_id in space.members)
            for space in self.world.spaces.values()
        }

    def spaces_of(self, member: MemberRef) -> list[str]:
        """The ids of the open pair spaces ``member`` is in."""
        return [
            s.id for s in self.world.spaces.values() if member.user_id in s.members and not s.closed
        ]

    @renders(AttachFile)
    async def render_attach_file(self, intent: AttachFile) -> Delivery:
        self.files.append(intent)
        caption = (
            "" if intent.caption is None else self.translator.render(intent.caption, intent.locale)
        )
        return self._render(intent, f"{caption} [{intent.filename}]".strip())

    @renders(ForgetMember)
    async def render_forget_member(self, intent: ForgetMember) -> Delivery:
        self.forgotten.append(intent.target)
        self._last_prompt.pop(intent.target.user_id or "", None)
        return Delivery()


class TextMemoryAdapter(MemoryAdapter):
    """The same, with a text-only profile like Matrix: numbered lists, answers typed."""

    capabilities: ClassVar[Capabilities] = TEXT_ONLY
