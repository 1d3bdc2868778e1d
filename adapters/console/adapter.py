"""A terminal chat with the bot: you speak as one or more members and see what each receives.

Lines you type:

* ``/join``, ``/help``, ``/cancel`` … — bot commands, as ``/tandem join`` would be on Discord;
* ``/admin status`` … — organizer commands, as ``/tandem-admin status`` would be on Discord;
  the names in ``console.organizers`` are organizers, everyone else is refused by the kernel;
* ``/as Sam`` — speak as another member from now on, named as typed (``/as sam`` is the same
  member; ``/who`` lists who has spoken); the console starts as whoever spoke last;
* ``/advance 3d`` (or ``2h``, ``30m``, ``1w``) — move the bot's clock forward and run at once
  what falls due meanwhile (the end of a pause, reminders), to try them without waiting; the
  clock never runs backwards, not across a restart either (the console notes how far it went);
* ``/quit`` (or end of input) — stop the bot;
* anything else — your answer; pick options by number ("2", "1 3") or by word ("Deutsch").

Everything the bot sends is printed with the member it is for. On start the current member is
told where a conversation left off, so a restart continues at the same step.

A line of any length is read (a pasted book does not stop the console): one longer than
:data:`MAX_LINE` characters is not used, and the member is told so; a shorter one that is too
long for the question gets the kernel's "too long" answer.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, TextIO
from urllib.parse import quote

from bot.adapter import Adapter, AdapterContext, EventSink, renders
from bot.capabilities import TEXT_ONLY, Capabilities
from bot.commands import split_group
from bot.events import CommandInvoked, EventBase, MemberReturned, TextReplied
from bot.files import data_dir, remove_tree, write_private
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
from bot.messages import msg
from bot.places import MemberRef, Place, PlaceKind
from bot.render import question_as_text

# More than any question allows: a longer line is refused here, a shorter one by the question.
MAX_LINE = 16_000
_CHUNK = 64 * 1024

#: The folder in ``bot.data_dir`` where files sent to members are saved, one folder per member.
EXPORTS = "console-files"
# What the console remembers across restarts (adapter_state): how far /advance moved the clock,
# and who spoke last (an entry about that member, so forget takes it along).
CLOCK_KEY = "clock"
SPEAKER_KEY = "speaker"
FIRST_MEMBER = "alex"
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta | None:
    match = _DURATION.match(text.strip().lower())
    if match is None:
        return None
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class ConsoleAdapter(Adapter):
    platform = "console"
    capabilities: ClassVar[Capabilities] = TEXT_ONLY.model_copy(
        update={
            "command_format": "/{name}",
            "organizer_format": "/admin {name}",
            "reactions": False,
        }
    )
    remembers_sends = True

    def __init__(
        self,
        context: AdapterContext,
        *,
        lines: asyncio.StreamReader | None = None,
        output: TextIO | None = None,
    ) -> None:
        super().__init__(context)
        settings = context.settings.console
        self.community_id = settings.community_id
        self._first_member_chosen = settings.first_member is not None
        self.current = self._member(settings.first_member or FIRST_MEMBER)
        self.known: dict[str, MemberRef] = {self.current.user_id: self.current}
        self._lines = lines
        self._output = output or sys.stdout
        self._spaces_opened = 0
        self._sink: EventSink | None = None
        self._reader: asyncio.Task[None] | None = None
        # Console names are lower-cased (see ``_member``), so the organizer list is too.
        self._organizers = {name.lower() for name in settings.organizers}

    @property
    def locale(self) -> str:
        return self.context.settings.bot.default_locale

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        await self._restore()
        if self._lines is None:
            self._lines = await _stdin_reader()
        self._print(self.translator.render(msg("console.banner", member=self._name()), self.locale))
        await sink(self._event(MemberReturned))
        self._reader = self.context.tasks.spawn(self._read_loop(), name="console-input")

    async def stop(self) -> None:
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()

    async def _read_loop(self) -> None:
        while (read := await self._read_line()) is not None:
            line, length = read
            if length > MAX_LINE:
                self._print(self._t("console.line_too_long", length=length, limit=MAX_LINE))
                continue
            line = line.strip()
            if not line:
                continue
            if not await self._handle_line(line):
                break
        self.context.request_stop()

    async def _read_line(self) -> tuple[str, int] | None:
        """The next line (no more than MAX_LINE + 1 characters of it kept) and its length in
        characters; None at the end of input. ``readline`` would fail on a line longer than
        the stream's buffer limit and end the console."""
        assert self._lines is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        kept: list[str] = []
        length = 0
        while True:
            try:
                raw = await self._lines.readuntil(b"\n")
                end = True
            except asyncio.LimitOverrunError as overrun:
                raw = await self._lines.read(max(overrun.consumed, 1))
                end = False
            except asyncio.IncompleteReadError as incomplete:
                raw = incomplete.partial
                end = True
                if not raw and not kept:
                    return None
            text = decoder.decode(raw, final=end).removesuffix("\n") if end else decoder.decode(raw)
            length += len(text)
            if sum(map(len, kept)) <= MAX_LINE:
                kept.append(text[: MAX_LINE + 1])
            if end:
                return "".join(kept)[: MAX_LINE + 1], length

    async def _handle_line(self, line: str) -> bool:
        """One typed line; False when the member asked to quit."""
        assert self._sink is not None
        if not line.startswith("/"):
            await self._sink(self._event(TextReplied, text=line))
            return True
        name, _, rest = line[1:].partition(" ")
        name = name.lower()
        if name in {"quit", "exit"}:
            return False
        if name == "as" and rest.strip():
            typed = " ".join(rest.split())
            self.current = self.known.setdefault(typed.lower(), self._member(typed))
            await self._remember(SPEAKER_KEY, {"name": self._name()}, self.current.user_id)
            self._print(self._t("console.now_speaking_as", member=self._name()))
            await self._sink(self._event(MemberReturned))
        elif name == "who":
            names = tuple(sorted(ref.display_name or ref.user_id for ref in self.known.values()))
            self._print(self._t("console.members", members=names))
        elif name == "advance":
            if await self._may_move_time() and self._advance(rest):
                now = self.context.clock.now().isoformat()
                await self._remember(CLOCK_KEY, {"now": now})
                await self.context.run_due()  # whatever fell due in the skipped time, now
        else:
            command, args, organizer_command = split_group(name, tuple(rest.split()))
            organizer = self.current.user_id in self._organizers
            await self._sink(
                self._event(
                    CommandInvoked,
                    name=command,
                    args=args,
                    organizer=organizer,
                    organizer_command=organizer_command,
                )
            )
        return True

    async def _may_move_time(self) -> bool:
        """Moving the clock runs what falls due (purges, the end of pauses): only on a database
        of console members, never on a real community's (a tandem.toml in the folder)."""
        others = await self.context.store.members.platforms() - {self.platform}
        if others:
            self._print(self._t("console.advance_refused", platforms=", ".join(sorted(others))))
        return not others

    def _advance(self, text: str) -> bool:
        """Move the clock; False (with the usage) when ``text`` is not a duration."""
        delta = parse_duration(text)
        advance = getattr(self.context.clock, "advance", None)
        if delta is None or advance is None:
            self._print(self._t("console.advance_usage"))
            return False
        advance(delta)
        self._print(
            self._t("console.advanced", now=self.context.clock.now().strftime("%Y-%m-%d %H:%M UTC"))
        )
        return True

    async def _restore(self) -> None:
        """The clock where ``/advance`` left it (never before), and whoever spoke last (unless
        ``--as`` or ``console.first_member`` names someone)."""
        state = self.context.store.adapter_state
        clock = await state.get(self.community_id, self.platform, CLOCK_KEY)
        advance = getattr(self.context.clock, "advance", None)
        if clock and advance is not None:
            ahead = datetime.fromisoformat(clock["now"]) - self.context.clock.now()
            if ahead > timedelta(0):
                advance(ahead)
        speaker = await state.get(self.community_id, self.platform, SPEAKER_KEY)
        if speaker and not self._first_member_chosen:
            self.current = self._member(speaker["name"])
            self.known = {self.current.user_id: self.current}

    async def _remember(self, key: str, value: dict[str, str], about: str | None = None) -> None:
        await self.context.store.adapter_state.put(
            self.community_id,
            self.platform,
            key,
            value,
            now=self.context.clock.now(),
            platform_user_id=about,
        )

    def _name(self) -> str:
        return self.current.display_name or self.current.user_id

    # -- events and output -----------------------------------------------------------------

    def _member(self, name: str) -> MemberRef:
        """A console member: ``Sam`` and ``sam`` are the same one, shown as first typed."""
        return MemberRef(platform=self.platform, user_id=name.lower(), display_name=name)

    def _event(self, kind: type[EventBase], **fields: object) -> EventBase:
        return kind(
            community_id=self.community_id,
            member=self.current,
            place=Place.dm(self.current, channel_id=f"console-{self.current.user_id}"),
            **fields,
        )

    def _t(self, message_id: str, **params: object) -> str:
        return self.translator.render(msg(message_id, **params), self.locale)

    def _print(self, text: str) -> None:
        self._output.write(text + "\n")
        self._output.flush()

    def _show(self, intent: IntentBase, text: str) -> Delivery:
        target = intent.target
        if target.kind == PlaceKind.PAIR_SPACE:
            header = self.translator.render(
                msg("console.to_space", space=target.channel_id or "?"), intent.locale
            )
        elif target.kind == PlaceKind.ORGANIZERS:
            header = self.translator.render(msg("console.to_organizers"), intent.locale)
        elif target.kind == PlaceKind.CELEBRATION:
            header = self.translator.render(msg("console.to_community"), intent.locale)
        else:
            header = self.translator.render(
                msg("console.to_member", member=target.user_id or "?"), intent.locale
            )
        body = "\n".join(f"  {line}" if line else "" for line in text.splitlines())
        self._print(f"{header}\n{body}\n")
        return Delivery()

    @renders(Say)
    async def render_say(self, intent: Say) -> Delivery:
        return self._show(intent, self.translator.render(intent.text, intent.locale))

    @renders(Ask)
    async def render_ask(self, intent: Ask) -> Delivery:
        return self._show(intent, question_as_text(intent, self.translator))

    @renders(RetireQuestion)
    async def render_retire_question(self, intent: RetireQuestion) -> Delivery:
        """Lines already printed stay as they are: a terminal has nothing to update."""
        return Delivery()

    @renders(OpenPairSpace)
    async def render_open_pair_space(self, intent: OpenPairSpace) -> Delivery:
        """A pair space is a heading in the terminal. One opened with a marker is named after
        the marker's tag, so that opening it again after a restart names the same space."""
        names = tuple(member.user_id for member in intent.members)

        async def nowhere(tag: str, thorough: bool) -> str | None:
            return None  # the terminal keeps nothing: the ledger's record is all there is

        async def create(tag: str | None) -> str:
            self._spaces_opened += 1
            space_id = f"pair-{tag}" if tag else f"pair-{self._spaces_opened}"
            self._print(self._t("console.space_opened", space=space_id, members=names))
            return space_id

        async def post_welcome(place: Place) -> None:
            assert intent.welcome is not None
            here = intent.model_copy(update={"target": place})
            self._show(here, self.translator.render(intent.welcome, intent.locale))

        _, place = await self.space_ledger.open_intent(
            intent, find=nowhere, create=create, post_welcome=post_welcome
        )
        return Delivery(place=place)

    @renders(ClosePairSpace)
    async def render_close_pair_space(self, intent: ClosePairSpace) -> Delivery:
        if intent.farewell is not None:
            self._show(intent, self.translator.render(intent.farewell, intent.locale))
        self._print(self._t("console.space_closed", space=intent.target.channel_id or "?"))
        return Delivery()

    def _files_of(self, user_id: str) -> Path:
        """Where the files sent to one member are saved: a folder of their own, so that one
        member's export never lands beside (or over) another's, and ``forget`` can remove it."""
        return Path(self.context.settings.bot.data_dir) / EXPORTS / f"member-{quote(user_id, '')}"

    @renders(AttachFile)
    async def render_attach_file(self, intent: AttachFile) -> Delivery:
        member_folder = self._files_of(intent.target.user_id or "shared")
        folder = data_dir(self.context.settings.bot.data_dir, EXPORTS, member_folder.name)
        path = folder / Path(intent.filename).name
        write_private(path, intent.content)
        caption = (
            "" if intent.caption is None else self.translator.render(intent.caption, intent.locale)
        )
        return self._show(
            intent, f"{caption}\n{self._t('console.file_saved', path=str(path))}".strip()
        )

    @renders(ForgetMember)
    async def render_forget_member(self, intent: ForgetMember) -> Delivery:
        if intent.target.user_id:
            remove_tree(self._files_of(intent.target.user_id))
        return Delivery()


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader
