"""The rounds that introduced the member, the blocks and reports they made, as ``mydata`` shows
them: the stored rows (:meth:`store.privacy.PrivacyRepository.export`) with the names of the
people they concern, where those still have a record, and their readable lines (the tandems
themselves: :mod:`flows.tandem_export`).

What is the other person's own is left out: a partner's answer and private reason after the
first call, whom else a round proposed, and a report made about the member (a report is its
author's; docs/privacy.md says why).
"""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from bot.messages import msg
from store import Store


async def _name(store: Store, member_id: int | None) -> str | None:
    other = None if member_id is None else await store.members.get(member_id)
    return None if other is None else other.display_name or other.platform_user_id


async def name_whom_reports_concern(store: Store, data: dict[str, Any]) -> None:
    """Add to the export whom each report was about (tandem partners are named by
    :func:`flows.tandem_export.with_partner_names`)."""
    for report in data["reports"]:
        report["about"] = await _name(store, report.get("about_id"))


def history_lines(data: dict[str, Any], locale: str) -> list[str]:
    """The Markdown sections of the export for rounds, blocks and reports."""
    render = Translator().render
    someone = render(msg("mydata.md.no_record"), locale)
    return [
        render(msg("mydata.md.rounds"), locale),
        *(f"- {row['id']}: {row['week_start']} ({row['run_at'] or '–'})" for row in data["rounds"]),
        "",
        render(msg("mydata.md.blocks"), locale),
        *(f"- {row['created_at']}: {row['person'] or someone}" for row in data["blocks"]),
        "",
        render(msg("mydata.md.reports"), locale),
        *(f"- {row['created_at']}: {row['text']}" for row in data["reports"]),
        "",
    ]
