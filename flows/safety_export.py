"""The rounds that introduced the member, the blocks and reports they made, as ``mydata`` shows
them: the stored rows (:meth:`store.privacy.PrivacyRepository.export`) with the names of the
people they concern, where those still have a record, and their readable lines (the tandems
themselves: :mod:`flows.tandem_export`).

What is the other person's own is left out: a partner's answer and private reason after the
first call, whom else a round proposed, and a report made about the member (a report is its
author's; docs/privacy.md says why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import Translator
from bot.messages import Msg, msg, user_text
from store import Store


async def _name(store: Store, member_id: int | None) -> str | None:
    other = None if member_id is None else await store.members.get(member_id)
    return None if other is None else other.display_name or other.platform_user_id


async def name_whom_reports_concern(store: Store, data: dict[str, Any]) -> None:
    """Add to the export whom each report was about (tandem partners are named by
    :func:`flows.tandem_export.with_partner_names`)."""
    for report in data["reports"]:
        report["about"] = await _name(store, report.get("about_id"))


def safety_sections(
    data: dict[str, Any], locale: str, when: Callable[[Any], str]
) -> list[tuple[str, list[str]]]:
    """The readable copy's sections for rounds, blocks and reports: (heading, lines), times
    shown by ``when`` (the member's own time zone)."""
    render = Translator().render

    def line(message: Msg) -> str:
        return "- " + render(message, locale)

    rounds = [
        line(
            msg(
                "mydata.md.round",
                number=row["id"],
                week=row["week_start"],
                when=when(row["run_at"]) if row.get("run_at") else "–",
            )
        )
        for row in data["rounds"]
    ]
    someone = msg("mydata.md.no_record")
    blocks = [
        line(
            msg(
                "mydata.md.block",
                when=when(row["created_at"]),
                person=user_text(row["person"]) if row["person"] else someone,
            )
        )
        for row in data["blocks"]
    ]
    reports = [
        line(msg("mydata.md.report", when=when(row["created_at"]), text=user_text(row["text"])))
        for row in data["reports"]
    ]
    return [
        (render(msg("mydata.md.rounds"), locale), rounds),
        (render(msg("mydata.md.blocks"), locale), blocks),
        (render(msg("mydata.md.reports"), locale), reports),
    ]
