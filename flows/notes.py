"""Learning notes (the seed's notebook): ``note <text>`` keeps a private note at once; plain
``note`` lists the member's notes and offers to write or delete one.

::

    note:         list ─┬ write ─▶ text ─▶ END (saved)
                        ├ delete ─▶ which ─▶ END (deleted)
                        └ done ─▶ END
    note <text>:  text (answered by the argument) ─▶ END (saved)

Notes are the member's alone: never shown to a partner, in ``mydata``, gone with ``forget``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.commands import CommandArgument
from bot.flow import END, ChoiceQuestion, Flow, FlowContext, Step, TextQuestion
from bot.intents import Intent, Option
from bot.messages import Msg, msg, user_text
from bot.text import excerpt
from flows.profile import must_have_joined
from store import Store
from store.members import MemberRecord

COMMAND = "note"
# How many notes the list shows (and offers to delete): a Discord menu holds 25.
SHOWN = 20
MAX_LENGTH = 2000


async def load_notes(member: MemberRecord, store: Store) -> dict[str, Any]:
    notes = await store.notes.of(member.id)
    return {
        "notes": [
            {"id": note.id, "text": note.text, "at": note.created_at.isoformat()}
            for note in notes[:SHOWN]
        ],
        "count": len(notes),
    }


def _day(context: FlowContext, note: dict[str, Any]) -> str:
    zone = ZoneInfo(context.member.timezone or "UTC")
    when = datetime.fromisoformat(note["at"]).astimezone(zone)
    return format_date(when.date(), format="medium", locale=context.locale)


def _line(context: FlowContext, index: int, note: dict[str, Any]) -> Msg:
    return msg(
        "note.line",
        number=index + 1,
        day=_day(context, note),
        text=user_text(excerpt(note["text"], 200)),
    )


def list_prompt(context: FlowContext) -> Msg:
    notes = context.answers["notes"]
    if not notes:
        return msg("note.none_yet", note=context.spell(COMMAND))
    lines = [_line(context, index, note) for index, note in enumerate(notes)]
    return msg("note.list", total=context.answers["count"], notes=lines)


WRITE = Option(id="write", label=msg("note.write"), emoji="✏️")
DELETE = Option(id="delete", label=msg("note.delete"), emoji="🗑️")
DONE = Option(id="done", label=msg("note.done"), emoji="👍")


def list_options(context: FlowContext) -> tuple[Option, ...]:
    return (WRITE, DELETE, DONE) if context.answers["notes"] else (WRITE, DONE)


def after_list(answer: Any, _context: FlowContext) -> str:
    return {"write": "text", "delete": "which"}.get(str(answer), END)


def which_options(context: FlowContext) -> tuple[Option, ...]:
    return tuple(
        Option(
            id=str(note["id"]),
            label=msg(
                "note.option", day=_day(context, note), text=user_text(excerpt(note["text"], 60))
            ),
        )
        for note in context.answers["notes"]
    )


async def finish_note(context: FlowContext) -> list[Msg | Intent]:
    answers = context.answers
    if answers.get("text"):
        await context.store.notes.add(context.member, str(answers["text"]), now=context.now)
        return [msg("note.saved", note=context.spell(COMMAND))]
    if answers.get("which"):
        deleted = await context.store.notes.delete(context.member.id, int(answers["which"]))
        return [msg("note.deleted") if deleted else msg("note.gone")]
    return [msg("note.kept_private")]


NOTE = Flow(
    id="note",
    version=1,
    command=COMMAND,
    description=msg("command.note"),
    guard=must_have_joined,
    prefill=load_notes,
    argument=CommandArgument("text", msg("command.note.text")),
    argument_step="text",
    steps=(
        Step("list", ChoiceQuestion(prompt=list_prompt, options=list_options), next=after_list),
        Step(
            "text",
            TextQuestion(
                prompt=msg("note.ask_text"),
                label=msg("note.text_label"),
                max_length=MAX_LENGTH,
            ),
            next=END,
        ),
        Step("which", ChoiceQuestion(prompt=msg("note.ask_which"), options=which_options)),
    ),
    finish=finish_note,
)
