"""A whole tandem of twelve weeks, played week by week the same way on every adapter.

Ana (German) and Ben (English) have made their agreement; from then on :func:`play_week` plays
one week of their tandem through a :class:`Journey`: the two reminders before the meeting and
"did you meet?" after it (both met, so the streak grows and the pair never becomes quiet); in
week 2 Ana reaches a milestone (only she said yes to shout-outs: none in the celebration
place), in week 6 Ben reaches one and says yes too (exactly one shout-out, naming only the
two); after weeks 4, 8 and 12 the streak's badge; in weeks 4, 8 and 12 the bot asks both to
reflect, and each shares what the week's :class:`Reflection` says (what one keeps private never
reaches the pair space). Then :func:`complete_and_go_on`: the completion's summary in the pair
space, each one's progress and chart (a PNG, decoded) in their DM, and both continue together.

Each adapter's transcript subclasses :class:`Journey` with how its people type and read (the
memory adapter's option ids, the console's and Matrix's typed numbers, Discord's buttons and
forms); the weeks themselves, and what Ana and Ben must see in them, live only here.
"""

from __future__ import annotations

import io
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image

from bot.i18n import Translator
from bot.messages import msg
from store import Store
from store.tandems import TandemRecord, due_prefix
from tests.test_stats import png_size

WEEK = timedelta(days=7)
#: The configured reminder leads (``program.meetings.reminder_leads``, by default).
LEADS = (timedelta(hours=24), timedelta(minutes=15))
MEETING = timedelta(hours=1)  # the agreed length (60 minutes)
#: A streak of this many meetings held in a row (and each multiple) earns the pair a badge.
STREAK_BADGE_EVERY = 4
#: Reflections come every four weeks; the one of week 12 is the final one.
REFLECTION_WEEKS = (4, 8, 12)
SHOUTOUT = "🎉 Ana and Ben reached a milestone together in their tandem!"
#: The progress chart each partner gets at the end (flows/program_chart.py), in pixels.
CHART_SIZE = (800, 450)
LOCALES = {"ana": "de", "ben": "en"}
#: The places a Journey reads: each member's DM, their pair space, the celebration place.
SPACE, CELEBRATION = "space", "celebration"
PARTS = ("progress", "notes", "helped", "change", "focus")


@dataclass(frozen=True)
class Reflection:
    """One member's answers to one reflection, and what they share of it."""

    progress: str  # 1–5, the same for each goal
    note: str  # the note on each goal
    helped: str
    change: str
    focus: str
    share: tuple[str, ...]  # parts (PARTS), or ("nothing",)

    def written(self) -> dict[str, str]:
        return {
            "notes": self.note,
            "helped": self.helped,
            "change": self.change,
            "focus": self.focus,
        }

    def shared_texts(self) -> list[str]:
        return [text for part, text in self.written().items() if part in self.share]

    def private_texts(self) -> list[str]:
        return [text for part, text in self.written().items() if part not in self.share]

    def answer(self, message_id: str) -> str | tuple[str, ...]:
        """The answer to the reflection's question ``message_id``: option ids or a text
        (``()`` for the milestones: none reached)."""
        return {
            "reflect.ask_progress": self.progress,
            "reflect.ask_note": self.note,
            "reflect.ask_helped": self.helped,
            "reflect.ask_change": self.change,
            "reflect.ask_focus": self.focus,
            "reflect.ask_milestones": (),
            "reflect.ask_share": self.share,
        }[message_id]

    def by_step(self, step_id: str) -> str | tuple[str, ...]:
        """The same by the reflection's step id (``progress_2``, ``note_1``, ``share`` …)."""
        kind = step_id.split("_")[0]
        return self.answer(f"reflect.ask_{'note' if kind == 'note' else kind}")


#: What each reflects in weeks 4, 8 and 12: different sharing choices each time.
REFLECTIONS = {
    "ana": (
        Reflection("3", "Folien sind fertig", "Bens Rückfragen", "Ben redet zu schnell",
                   "Probevortrag halten", ("progress", "focus")),
        Reflection("4", "Probevortrag lief gut", "Die Montagsroutine", "Öfter mit Kamera",
                   "Vor dem Team sprechen", ("progress", "notes", "helped", "focus")),
        Reflection("5", "Zehn Minuten geschafft", "Bens Geduld", "Mehr Pausen einplanen",
                   "Weiter frei sprechen", PARTS),
    ),
    "ben": (
        Reflection("2", "Still nervous", "Ana's questions", "Too little time", "One meetup",
                   ("nothing",)),
        Reflection("3", "Asked a question at last", "Practising aloud", "Shorter meetings",
                   "A lightning talk", ("progress", "helped")),
        Reflection("4", "Gave my five minutes", "Ana's feedback", "Meet every other week",
                   "Keep speaking up", ("focus",)),
    ),
}  # fmt: skip

_TRANSLATOR = Translator()


def opening(message_id: str, locale: str) -> str:
    """How a message begins on screen (up to its first placeholder, first line only)."""
    return _TRANSLATOR.render(msg(message_id), locale).split("{")[0].splitlines()[0]


def label(message_id: str, locale: str) -> str:
    return _TRANSLATOR.render(msg(message_id), locale)


_QUESTIONS = (
    "reflect.ask_note",
    "reflect.ask_helped",
    "reflect.ask_change",
    "reflect.ask_focus",
    "reflect.ask_milestones",
    "reflect.ask_share",
    "reflect.ask_progress",
)


def reflection_question(text: str, locale: str) -> str | None:
    """Which of the reflection's questions ``text`` (as shown) asks, if any."""
    return next((q for q in _QUESTIONS if text.startswith(opening(q, locale))), None)


def typed_reflection_answer(question: str, locale: str, reflection: Reflection) -> str:
    """What a member on a text platform (console, Matrix) types to the reflection's question
    ``question`` (as shown): a number from the scale, a text, "-" for no milestone, or the
    numbers of the parts they share, found by their labels in the listed options."""
    message_id = reflection_question(question, locale)
    assert message_id is not None, f"not a reflection question: {question!r}"
    wanted = reflection.answer(message_id)
    if message_id == "reflect.ask_milestones":
        return "-"
    if message_id != "reflect.ask_share":
        assert isinstance(wanted, str)
        return wanted
    numbers = []
    for part in wanted:
        text = label(f"reflect.share.{part}", locale)
        (line,) = [line for line in question.splitlines() if text in line]
        numbers.append(line.strip().split(".")[0])
    return " ".join(numbers)


def found_in_order(texts: Sequence[str], start: int, beginnings: Sequence[str]) -> int | None:
    """Where reading may go on once each of ``beginnings`` was found among ``texts[start:]``
    (in any order, each a different message), or None while one is missing."""
    end = start
    taken: set[int] = set()
    for beginning in beginnings:
        index = next(
            (
                i
                for i in range(start, len(texts))
                if i not in taken and texts[i].replace("\u202f", " ").startswith(beginning)
            ),
            None,
        )
        if index is None:
            return None
        taken.add(index)
        end = max(end, index + 1)
    return end


class Journey(ABC):
    """One adapter's way of living the twelve weeks: moving its clock, reading what each place
    shows, and answering as Ana and Ben do there."""

    def __init__(self) -> None:
        self.read: dict[str, int] = defaultdict(int)

    # -- the clock -----------------------------------------------------------------------

    @abstractmethod
    async def now(self) -> datetime: ...

    @abstractmethod
    async def advance(self, delta: timedelta) -> None:
        """Move the clock on by ``delta`` and run what fell due."""

    async def advance_to(self, moment: datetime) -> None:
        now = await self.now()
        assert moment > now, (moment, now)
        await self.advance(moment - now)

    @abstractmethod
    async def tandem(self) -> tuple[Store, TandemRecord]:
        """The bot's store, and Ana and Ben's tandem as it holds it now."""

    async def next_meeting(self) -> datetime:
        """The start (UTC) of the pair's next meeting."""
        store, tandem = await self.tandem()
        meeting = await store.meetings.next_for(tandem.id, await self.now())
        assert meeting is not None
        return meeting.starts_at

    # -- reading -------------------------------------------------------------------------

    @abstractmethod
    async def texts(self, place: str) -> list[str]:
        """Everything the bot has shown in ``place`` ("ana", "ben", SPACE, CELEBRATION)."""

    #: How long a place may take to show what is expected (0: everything is there at once).
    patience = 0.0

    @abstractmethod
    async def wait(self, place: str) -> None:
        """Let the adapter's people receive more, briefly."""

    async def sees(self, place: str, *beginnings: str) -> list[str]:
        """The messages ``place`` showed since last read, up to the last of ``beginnings``
        (each one a message beginning so, in any order)."""
        deadline = time.monotonic() + self.patience
        while True:
            texts = await self.texts(place)
            end = found_in_order(texts, self.read[place], beginnings)
            if end is not None:
                seen, self.read[place] = texts[self.read[place] : end], end
                return seen
            if time.monotonic() >= deadline:
                raise AssertionError(f"{place} never saw {beginnings}: {texts[self.read[place] :]}")
            await self.wait(place)

    async def next_message(self, place: str) -> str:
        """The one message ``place`` shows after what was read (waiting for it)."""
        deadline = time.monotonic() + self.patience
        while len(texts := await self.texts(place)) <= self.read[place]:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{place}: nothing more after {texts[-1:]}")
            await self.wait(place)
        self.read[place] += 1
        return texts[self.read[place] - 1]

    # -- answering -----------------------------------------------------------------------

    @abstractmethod
    async def check_in(self, member: str) -> None:
        """Answer the open "did you meet?" with "yes, we met"."""

    @abstractmethod
    async def mark_milestone(self, member: str) -> None:
        """``milestone``: the member's first open milestone, and yes to shout-outs."""

    @abstractmethod
    async def congratulate(self, member: str) -> None:
        """Answer the bot's "would you like to congratulate?" with the ready-made cheer."""

    @abstractmethod
    async def reflect(self, member: str, reflection: Reflection) -> None:
        """Answer the reflection the bot started, question by question, to its end."""

    @abstractmethod
    async def continue_together(self, member: str) -> None:
        """Answer "how would you like to go on?" with "continue together"."""

    @abstractmethod
    async def chart(self, member: str) -> bytes:
        """The progress chart the bot sent to ``member`` (a PNG, as they download it)."""


class TypedJourney(Journey):
    """A text platform (the console, Matrix): members type commands, numbers and texts."""

    #: What a member types for a command (``/milestone``, ``!tandem milestone``).
    @abstractmethod
    def command(self, name: str) -> str: ...

    @abstractmethod
    async def type(self, member: str, text: str) -> None:
        """``member`` types ``text`` where the bot talks with them."""

    async def check_in(self, member: str) -> None:
        await self.type(member, "1")  # 1. Yes, we met

    async def mark_milestone(self, member: str) -> None:
        locale = LOCALES[member]
        await self.type(member, self.command("milestone"))
        await self.sees(member, opening("milestone.ask_which", locale))
        await self.type(member, "1")  # the first open milestone
        await self.sees(member, opening("milestone.ask_shoutout", locale)[:12])
        await self.type(member, "1")  # yes, gladly
        await self.sees(member, "🎉 ")

    async def congratulate(self, member: str) -> None:
        await self.type(member, "1")  # 🎉 Congratulations!
        await self.sees(member, "🥳 ")

    async def continue_together(self, member: str) -> None:
        await self.type(member, "1")  # 1. Continue together

    async def speak_as(self, member: str) -> None:
        """Be ``member`` at the keyboard, with whatever the bot says to that reaching them."""

    async def reflect(self, member: str, reflection: Reflection) -> None:
        """Answer the latest question, each time: what came before it (a greeting, the same
        question shown again) is read past."""
        locale = LOCALES[member]
        thanks = opening("reflect.saved_first", locale).split("!")[0]
        await self.speak_as(member)
        for _ in range(20):
            question = None
            deadline = time.monotonic() + self.patience
            while question is None:
                texts = await self.texts(member)
                new = texts[self.read[member] :]
                if any(text.startswith(thanks) for text in new):
                    self.read[member] = len(texts)
                    return
                asked = [text for text in new if reflection_question(text, locale)]
                if asked:
                    question, self.read[member] = asked[-1], len(texts)
                elif time.monotonic() >= deadline:
                    raise AssertionError(f"{member} was asked nothing more: {new}")
                else:
                    await self.wait(member)
            await self.type(member, typed_reflection_answer(question, locale, reflection))
        raise AssertionError("the reflection did not end")


async def play_meeting(journey: Journey, week: int) -> datetime:
    """Both reminders before the week's meeting, then "did you meet?": both met."""
    start = await journey.next_meeting()
    for lead in LEADS:
        if start - lead > await journey.now():  # a lead already past when planned is not booked
            await journey.advance_to(start - lead)
            await journey.sees("ana", "⏰ Dein Tandem-Treffen mit Ben ist in ")
            await journey.sees("ben", "⏰ Your tandem meeting with Ana is in ")
    await journey.advance_to(start + MEETING)
    await journey.sees("ana", "👋 Hat euer Treffen mit Ben stattgefunden")
    await journey.sees("ben", "👋 Did your meeting with Ana happen")
    await journey.check_in("ana")
    await journey.sees("ana", f"🎉 Danke! Treffen in Folge: {week}.")
    await journey.check_in("ben")
    await journey.sees("ben", f"🎉 Thanks! Meetings held in a row: {week}.")
    if week % STREAK_BADGE_EVERY == 0:
        await journey.advance(timedelta(minutes=1))
        await journey.sees(
            SPACE,
            f"🔥 {week} Treffen in Folge, Ana und Ben!",
            f"🔥 {week} meetings in a row, Ana and Ben!",
        )
    return start


async def celebrate(journey: Journey, member: str, partner: str, *, first: bool) -> None:
    """``member`` reaches a milestone: the pair space celebrates it (the pair's ``first``
    with its badge), the partner is asked privately and congratulates."""
    await journey.mark_milestone(member)
    await journey.advance(timedelta(minutes=1))
    name, other = member.title(), partner.title()
    shown = "\n".join(
        await journey.sees(
            SPACE, f"🎉 {name} hat einen Meilenstein erreicht", f"🎉 {name} reached a milestone"
        )
    )
    for badge in ("🏅 Euer erster gemeinsamer Meilenstein!", "🏅 Your first milestone together!"):
        assert (badge in shown) == first, (badge, shown)
    asked = (
        f"🎉 {name} hat einen Meilenstein erreicht"
        if LOCALES[partner] == "de"
        else f"🎉 {name} reached a milestone"
    )
    await journey.sees(partner, asked)
    await journey.congratulate(partner)
    await journey.sees(SPACE, f"🥳 {other} congratulates {name}", f"🥳 {other} gratuliert {name}")


async def reflect_together(journey: Journey, number: int, start: datetime) -> None:
    """The bot asks both to reflect (three days after the week's meeting, the reflection is
    due); each answers and shares their choice; the pair space shows the shared parts."""
    await journey.advance_to(start + timedelta(days=3))
    final = number == len(REFLECTION_WEEKS)
    if final:
        await journey.sees("ana", "🏁 Euer Programm geht zu Ende")
        await journey.sees("ben", "🏁 Your program with Ana is coming to an end")
    else:
        await journey.sees("ana", f"🪞 Zeit zum Reflektieren (Reflexion {number} mit Ben)")
        await journey.sees("ben", f"🪞 Time to reflect (reflection {number} with Ana)")
    for member in ("ana", "ben"):
        await journey.reflect(member, REFLECTIONS[member][number - 1])
    await journey.advance(timedelta(minutes=1))
    german, english = (
        ("🏁 Die letzte Reflexion von Ana und Ben", "🏁 The final reflection of Ana and Ben")
        if final
        else (f"🪞 Reflexion {number} von Ana und Ben", f"🪞 Reflection {number} of Ana and Ben")
    )
    shown = "\n".join(await journey.sees(SPACE, german, english))
    ana, ben = REFLECTIONS["ana"][number - 1], REFLECTIONS["ben"][number - 1]
    for text in ana.shared_texts() + ben.shared_texts():
        assert text in shown, (number, text)
    if ben.share == ("nothing",):
        assert "Ben keeps this reflection private." in shown
    if final:  # how they go on is asked next, not by changing the agreement
        assert "The summary of your program follows right here." in shown
    await kept_private(journey, number)


async def kept_private(journey: Journey, reflections: int) -> None:
    """Nothing either kept private in their first ``reflections`` reflections was ever
    shown in the pair space."""
    everything = "\n".join(await journey.texts(SPACE))
    for member in ("ana", "ben"):
        for reflection in REFLECTIONS[member][:reflections]:
            for private in reflection.private_texts():
                assert private not in everything, (member, private)


async def play_week(journey: Journey, week: int) -> None:
    """One week of the twelve, as Ana and Ben live it."""
    start = await play_meeting(journey, week)
    if week == 2:  # Ana's milestone: only she said yes to shout-outs, so none
        await celebrate(journey, "ana", "ben", first=True)
        assert await journey.texts(CELEBRATION) == []
    if week == 6:  # Ben's, and his yes: exactly one shout-out, with no details
        await celebrate(journey, "ben", "ana", first=False)
        assert await journey.texts(CELEBRATION) == [SHOUTOUT]
    if week in REFLECTION_WEEKS:
        await reflect_together(journey, REFLECTION_WEEKS.index(week) + 1, start)


def decoded_size(png: bytes) -> tuple[int, int]:
    """The size of a PNG decoded pixel by pixel (as its header says it is)."""
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        image.load()
        assert image.size == png_size(png)
        return image.size


async def complete_and_go_on(journey: Journey) -> None:
    """Right after the final reflection's side by side: the pair space shows the summary (Ana's
    progress, shared in her first and last reflection; Ben's kept private), each gets their own
    progress and their chart in their DM and is asked how to go on; both continue, and the
    tandem's next round begins (its reflections booked anew)."""
    seen = await journey.sees(
        SPACE,
        "🎓 Ana und Ben, ihr habt euer Programm zusammen geschafft – 12 Wochen!",
        "🎓 Ana and Ben, you've completed your program together – 12 weeks!",
    )
    (english,) = [text for text in seen if text.startswith("🎓 Ana and Ben")]
    first, last = REFLECTIONS["ana"][0], REFLECTIONS["ana"][-1]
    for line in (
        "• Meetings held: 12",
        "• Longest streak of meetings in a row: 12",
        "   ◦ Ben: Give a five-minute talk",
        f": {first.progress}/5 → {last.progress}/5",
        "   Ben keeps their progress private.",
    ):
        assert line in english, (line, english)
    assert "   ◦ Ana: " in english
    ben_first, ben_last = REFLECTIONS["ben"][0], REFLECTIONS["ben"][-1]
    assert f"{ben_first.progress}/5 → {ben_last.progress}/5" not in english
    for member, done, caption, ask, thanks in (
        (
            "ana",
            "🎓 Dein Programm ist geschafft",
            "📈 Dein Fortschritt",
            "🧭 Wie möchtest du",
            "Danke, ich habe mir deine Antwort notiert!",  # Ben has not answered yet
        ),
        (
            "ben",
            "🎓 Your program is complete",
            "📈 Your progress",
            "🧭 How would you like",
            "Thank you, you've both answered!",
        ),
    ):
        await journey.sees(member, done, caption, ask)
        assert decoded_size(await journey.chart(member)) == CHART_SIZE
        await journey.continue_together(member)
        await journey.sees(member, thanks)
    await journey.advance(timedelta(minutes=1))
    await journey.sees("ana", "🔁 Du und Ben wollt beide weitermachen")
    await journey.sees("ben", "🔁 You and Ana both want to go on – wonderful! A new round of 12")
    store, tandem = await journey.tandem()
    assert (tandem.state, tandem.program_round) == ("active", 2)
    assert tandem.round_started_at is not None
    booked = await store.due.get(tandem.community_id, due_prefix(tandem.id) + "reflect:2-1")
    assert booked is not None
    assert (booked.state, booked.due_at) == ("pending", tandem.round_started_at + 4 * WEEK)


async def play_twelve_weeks(journey: Journey) -> None:
    """From the agreement both confirmed to the end of the twelfth week."""
    await journey.sees(
        SPACE, "📝 Eure Tandem-Vereinbarung (Version 1)", "📝 Your tandem agreement (version 1)"
    )
    await journey.sees(
        SPACE,
        "✅ Ana und Ben haben eure Vereinbarung beide bestätigt.",
        "✅ Ana and Ben have both confirmed your agreement.",
    )
    for week in range(1, 13):
        await play_week(journey, week)
    await complete_and_go_on(journey)
    assert await journey.texts(CELEBRATION) == [SHOUTOUT]
    await kept_private(journey, len(REFLECTION_WEEKS))
