"""The readable copy of ``mydata`` for notes, reflections, milestones, shout-out choices and
the choices at the end of a program:
(heading, lines) sections, times in the member's own zone. The JSON copy holds the same rows
as they are (a reflection with all its answers and what was shared)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import Translator
from bot.messages import Msg, msg, user_text


def reflection_sections(
    data: dict[str, Any], locale: str, when: Callable[[Any], str]
) -> list[tuple[str, list[str]]]:
    render = Translator().render

    def line(message: Msg) -> str:
        return "- " + render(message, locale)

    notes = [
        line(msg("mydata.md.note_row", when=when(row["created_at"]), text=user_text(row["text"])))
        for row in data.get("notes", [])
    ]
    reflections = []
    for row in data.get("reflections", []):
        parts = [render(msg(f"reflect.share.{part}"), locale) for part in row["shared"]]
        shared = ", ".join(parts) or render(msg("mydata.md.nothing_shared"), locale)
        reflections.append(
            line(
                msg(
                    "mydata.md.reflection_row",
                    number=row["number"],
                    tandem=row["tandem_id"],
                    when=when(row["created_at"]),
                    shared=shared,
                )
            )
        )
        answers = row["answers"]
        for goal in answers.get("goals", []):
            reflections.append(f"  - {goal['goal']}: {goal['progress']}/5 {goal.get('note') or ''}")
        for part in ("helped", "change", "focus"):
            if answers.get(part):
                label = render(msg(f"reflect.share.{part}"), locale)
                reflections.append(f"  - {label}: {answers[part]}")
    milestones = [
        line(
            msg(
                "mydata.md.milestone_row",
                when=when(row["reached_at"]),
                text=user_text(row["text"]),
                tandem=row["tandem_id"],
            )
        )
        for row in data.get("milestones", [])
    ]
    shoutouts = [
        line(
            msg(
                "mydata.md.shoutout_row",
                tandem=row["tandem_id"],
                choice=msg("mydata.md.yes") if row["opted_in"] else msg("mydata.md.no"),
            )
        )
        for row in data.get("shoutouts", [])
    ]
    endings = []
    for row in data.get("program_ends", []):
        where = {"tandem": row["tandem_id"], "round": row["round"]}
        when_done = when(row["completed_at"])
        if row["my_choice"]:
            choice = msg(f"program_end.choice.{row['my_choice']}")
            said = msg("mydata.md.program_end_row", **where, when=when_done, choice=choice)
        else:
            said = msg("mydata.md.program_end_row_unanswered", **where, when=when_done)
        endings.append(line(said))
    return [
        (render(msg("mydata.md.notes"), locale), notes),
        (render(msg("mydata.md.reflections"), locale), reflections),
        (render(msg("mydata.md.milestones"), locale), milestones),
        (render(msg("mydata.md.shoutouts"), locale), shoutouts),
        (render(msg("mydata.md.program_ends"), locale), endings),
    ]
