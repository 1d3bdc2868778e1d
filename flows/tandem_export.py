"""The member's tandems in their ``mydata`` export: the partner's name, the dates, the state and
the member's own answer and reason (never the partner's, which is theirs and the organizers').

:func:`with_partner_names` adds each partner's display name to the exported rows (the JSON and
the readable copy alike); :func:`tandem_lines` is the readable copy's section.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from bot.messages import msg, user_text
from store import Store
from store.members import MemberRecord


async def with_partner_names(store: Store, member: MemberRecord, data: dict[str, Any]) -> None:
    """Name each tandem's partner in the export (their display name, as the member saw it)."""
    for row in data.get("tandems", []):
        tandem = await store.tandems.get(int(row["id"]))
        partner = None if tandem is None else await store.members.get(tandem.partner_of(member.id))
        row["partner"] = (
            None if partner is None else (partner.display_name or partner.platform_user_id)
        )


def tandem_lines(data: dict[str, Any], locale: str) -> list[str]:
    """The readable section: a heading and one line per tandem (or a line saying none)."""
    render = Translator().render
    rows = data.get("tandems", [])
    lines = [render(msg("mydata.md.tandems"), locale)]
    if not rows:
        return [*lines, render(msg("mydata.md.no_tandems"), locale)]
    for row in rows:
        line = msg(
            "mydata.md.tandem",
            partner=user_text(row.get("partner") or "–"),
            state=row["state"],
            introduced=row.get("introduced_at") or "–",
            active=row.get("active_at") or "–",
            ended=row.get("ended_at") or "–",
            answer=row.get("my_answer") or "–",
            reason=user_text(row.get("my_reason") or "–"),
        )
        lines.append(render(line, locale))
    return lines
