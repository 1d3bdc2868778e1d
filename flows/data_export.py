"""``mydata``'s Markdown file: everything held about a member, written for a person.

The JSON file beside it holds every row as stored; this one says the same in the member's
language: field names translated, times in their time zone without seconds, statuses in words,
the profile as they answered it, and only the sections that have something in them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.flow import ActionContext
from bot.i18n import Translator
from bot.messages import Msg, msg
from flows.badges import badge_lines
from flows.meeting_view import meeting_lines
from flows.profile_view import STATUS_LABELS, profile_lines
from flows.questionnaire import LANGUAGE_NAMES
from flows.reflection_export import reflection_sections
from flows.safety_export import safety_sections
from flows.tandem_export import tandem_lines
from flows.timezones import zone_title

_ACCOUNT_FIELDS = (
    ("platform", "mydata.md.field.platform"),
    ("platform_user_id", "mydata.md.field.user_id"),
    ("display_name", "mydata.md.field.display_name"),
    ("locale", "mydata.md.field.locale"),
    ("timezone", "mydata.md.field.timezone"),
    ("paused_until", "mydata.md.field.paused_until"),
    ("left_at", "mydata.md.field.left_at"),
    ("created_at", "mydata.md.field.created_at"),
)
_WORDS_FOR = {
    "conversation": ("active", "done", "cancelled", "expired", "replaced", "suspended", "retired"),
    "due": ("pending", "claimed", "done", "cancelled", "failed"),
}


def export_markdown(data: dict[str, Any], context: ActionContext) -> str:
    """A readable copy of ``data`` (what :meth:`store.privacy.PrivacyRepository.export` gives)."""
    render = Translator().render
    locale = context.locale
    member = data["member"]
    zone = member.get("timezone") or "UTC"

    def when(value: Any) -> str:
        return _local(value, zone, locale)

    def line(message: Msg) -> str:
        return "- " + render(message, locale).removeprefix("• ")

    sections: list[tuple[str, list[str]]] = []
    account = []
    for key, message_id in _ACCOUNT_FIELDS:
        value = member.get(key)
        if value in (None, ""):
            continue
        shown: Any = value
        if key == "locale":
            shown = LANGUAGE_NAMES.get(value, value)
        elif key == "timezone":
            shown = msg("profile.timezone", zone=zone_title(value), name=value)
        elif key in {"paused_until", "left_at", "created_at"}:
            shown = when(value)
        elif key == "platform":
            shown = msg(f"mydata.md.platform.{value}") if value in _PLATFORMS else value
        account.append(line(msg("mydata.md.field", label=msg(message_id), value=shown)))
    status = STATUS_LABELS.get(member.get("status", ""), member.get("status", ""))
    account.append(line(msg("mydata.md.field", label=msg("mydata.md.field.status"), value=status)))
    sections.append((render(msg("mydata.md.account"), locale), account))
    answers = {row["question_id"]: row["value"] for row in data["profile_answers"]}
    if answers:
        profile = [line(item) for item in profile_lines(answers, context.program)]
        sections.append((render(msg("mydata.md.profile"), locale), profile))
    consents = [
        line(msg("mydata.md.consent", version=row["notice_version"], when=when(row["given_at"])))
        for row in data["consents"]
    ]
    sections.append((render(msg("mydata.md.consents"), locale), consents))
    conversations = [
        line(
            msg(
                "mydata.md.conversation",
                command=context.spell(row["flow_id"]),
                status=_in_words("conversation", row["status"]),
                when=when(row["created_at"]),
            )
        )
        for row in data["conversations"]
    ]
    sections.append((render(msg("mydata.md.conversations"), locale), conversations))
    if data.get("tandems"):
        heading, *tandems = tandem_lines(data, locale, when)
        sections.append((heading, [f"- {text.removeprefix('- ')}" for text in tandems]))
    agreements = [
        line(
            msg(
                "mydata.md.agreement",
                number=row["tandem_id"],
                version=row["version"],
                state=row["state"],
            )
        )
        for row in data.get("agreements", [])
    ]
    sections.append((render(msg("mydata.md.agreements"), locale), agreements))
    sections.append((render(msg("mydata.md.meetings"), locale), meeting_lines(data, when, line)))
    sections += safety_sections(data, locale, when)
    sections += reflection_sections(data, locale, when)
    sections.append((render(msg("mydata.md.badges"), locale), badge_lines(data, when, line)))
    notes = [line(msg("mydata.md.note", key=row["key"])) for row in data["adapter_state"]]
    sections.append((render(msg("mydata.md.platform"), locale), notes))
    scheduled = [
        line(
            msg(
                "mydata.md.scheduled_item",
                kind=row["kind"],
                state=_in_words("due", row["state"]),
                when=when(row["due_at"]),
            )
        )
        for row in data["due_items"]
    ]
    sections.append((render(msg("mydata.md.scheduled"), locale), scheduled))
    generated = msg("mydata.md.generated", when=_local(context.now, zone, locale))
    parts = [render(msg("mydata.md.title"), locale), "", render(generated, locale)]
    for heading, lines in sections:
        if lines:
            parts += ["", heading, "", *lines]
    parts += ["", render(msg("mydata.md.json_note"), locale)]
    return "\n".join(parts) + "\n"


_PLATFORMS = ("discord", "matrix", "console", "memory")


def _in_words(kind: str, value: str) -> Msg | str:
    return msg(f"mydata.md.{kind}.{value}") if value in _WORDS_FOR[kind] else value


def _local(value: Any, zone: str, locale: str) -> str:
    """ "5 January 2026, 10:00" in the member's zone: no seconds, no offsets."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(zone))
    return f"{format_date(local.date(), format='long', locale=locale)}, {local:%H:%M}"
