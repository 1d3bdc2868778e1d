"""The member's tandems in their ``mydata`` export: the partner's name, the dates, the state and
the member's own answer and reason (never the partner's, which is theirs and the organizers').

:func:`with_partner_names` adds each partner's display name to the exported rows (the JSON and
the readable copy alike); :func:`tandem_lines` is the readable copy's section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import Translator
from bot.messages import Msg, msg, user_text
from store import Store
from store.members import MemberRecord

#: Tandem states and ways a tandem ended, each with words in the catalog.
STATES = ("introducing", "introduced", "active", "declined", "lapsed")
END_REASONS = ("rematch", "left", "removed", "forgotten", "organizer", "completed")


async def with_partner_names(store: Store, member: MemberRecord, data: dict[str, Any]) -> None:
    """Name each tandem's partner in the export (their display name, as the member saw it)."""
    for row in data.get("tandems", []):
        tandem = await store.tandems.get(int(row["id"]))
        partner = None if tandem is None else await store.members.get(tandem.partner_of(member.id))
        row["partner"] = (
            None if partner is None else (partner.display_name or partner.platform_user_id)
        )


def _state(row: dict[str, Any], when: Callable[[Any], str]) -> Msg:
    """The tandem's state in words: who paused it and until when, how it ended."""
    state = row["state"]
    if state == "paused":
        until = when(row["paused_until"]) if row.get("paused_until") else msg("mydata.md.no_date")
        # None: the bot paused it after a quiet while (flows/quiet_pairs.py).
        by = {"me": "me", None: "bot"}.get(row.get("paused_by"), "partner")
        return msg(f"mydata.md.tandem_state.paused_by_{by}", until=until)
    if state == "ended":
        reason = row.get("end_reason")
        how = msg(f"mydata.md.end_reason.{reason}") if reason in END_REASONS else "–"
        return msg("mydata.md.tandem_state.ended", how=how)
    if state in STATES:
        return msg(f"mydata.md.tandem_state.{state}")
    return msg("mydata.md.tandem_state.other", state=state)


def tandem_lines(data: dict[str, Any], locale: str, when: Callable[[Any], str]) -> list[str]:
    """The readable section: a heading and one line per tandem (or a line saying none), in the
    member's language, times shown by ``when`` (their own time zone)."""
    render = Translator().render
    rows = data.get("tandems", [])
    lines = [render(msg("mydata.md.tandems"), locale)]
    if not rows:
        return [*lines, render(msg("mydata.md.no_tandems"), locale)]
    for row in rows:
        answer = row.get("my_answer")
        line = msg(
            "mydata.md.tandem",
            partner=user_text(row.get("partner") or "–"),
            state=_state(row, when),
            introduced=when(row["introduced_at"]) if row.get("introduced_at") else "–",
            active=when(row["active_at"]) if row.get("active_at") else "–",
            ended=when(row["ended_at"]) if row.get("ended_at") else "–",
            answer=msg(f"mydata.md.answer.{answer}") if answer in ("yes", "no") else "–",
            reason=user_text(row.get("my_reason") or "–"),
        )
        lines.append(render(line, locale))
    return lines
