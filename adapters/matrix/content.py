"""What the bot's Matrix messages contain: notices, numbered questions (HTML and plain), files.

Every message the bot sends is an ``m.notice`` (clients and other bots know not to answer it)
and carries an empty ``m.mentions``: with intentional mentions a client notifies nobody unless
the event names them, so a member's name or goal quoted back by the bot never pings anyone.
For older clients that still match ``@room`` in the body, :func:`defuse` puts a word joiner
after the ``@``. The HTML body is built from escaped text only, so text a member wrote is
shown as written and can never become markup, a link or a mention pill.

A question is a numbered list: ``body`` is :func:`bot.render.question_as_text`, the
``formatted_body`` the same as ``<ol>``. How the answer comes back (a number, a word, a
reaction) is the kernel's business (:mod:`bot.answers`). A question that is over is edited
(:func:`edit`, an ``m.replace``) into :func:`retired_question`: its text without the options,
and how it ended.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.i18n import Translator
from bot.intents import Ask, RetireQuestion
from bot.messages import msg
from bot.render import question_as_text

HTML_FORMAT = "org.matrix.custom.html"
NOTICE = "m.notice"
_ROOM_MENTION = re.compile(r"@(room)\b", re.IGNORECASE)
WORD_JOINER = "\u2060"


def defuse(text: str) -> str:
    """Text that looks the same but cannot trigger a room-wide ``@room`` notification."""
    return _ROOM_MENTION.sub(lambda match: f"@{WORD_JOINER}{match.group(1)}", text)


def to_html(text: str) -> str:
    """Plain text as inert HTML: escaped, line breaks kept."""
    return defuse(html.escape(text, quote=True)).replace("\n", "<br>")


def notice(text: str) -> dict[str, Any]:
    """A plain notice. No ``formatted_body``: clients show ``body`` as text, never as HTML."""
    return {"msgtype": NOTICE, "body": defuse(text), "m.mentions": {}}


def question(ask: Ask, translator: Translator) -> dict[str, Any]:
    """A question as a numbered list, plain and HTML."""
    locale = ask.locale
    parts = [f"<p>{to_html(translator.render(ask.question, locale))}</p>"]
    if ask.options:
        items = []
        for option in ask.options:
            label = to_html(translator.render(option.label, locale))
            emoji = f" {html.escape(option.emoji)}" if option.emoji else ""
            items.append(f"<li>{label}{emoji}</li>")
        parts.append(f"<ol>{''.join(items)}</ol>")
        hint = msg("ask.hint_many") if ask.kind == "many" else msg("ask.hint_one")
        parts.append(f"<p><em>{to_html(translator.render(hint, locale))}</em></p>")
    elif ask.optional:
        parts.append(
            f"<p><em>{to_html(translator.render(msg('ask.hint_optional'), locale))}</em></p>"
        )
    content = notice(question_as_text(ask, translator))
    content["format"] = HTML_FORMAT
    content["formatted_body"] = "".join(parts)
    return content


def retired_question(
    retired: RetireQuestion, translator: Translator, *, with_question: bool = True
) -> dict[str, Any]:
    """A question that can no longer be answered: its text, then what became of it (only
    that, ``with_question`` false)."""
    if retired.picked:
        outcome = msg("question.retired_picked", answer=tuple(o.label for o in retired.picked))
    elif retired.answered:
        outcome = msg("question.retired_answered")
    else:
        outcome = msg("question.retired_closed")
    status = translator.render(outcome, retired.locale)
    if not with_question:
        content = notice(status)
        content["format"] = HTML_FORMAT
        content["formatted_body"] = f"<p><em>{to_html(status)}</em></p>"
        return content
    question = translator.render(retired.question, retired.locale)
    content = notice(f"{question}\n\n{status}")
    content["format"] = HTML_FORMAT
    content["formatted_body"] = f"<p>{to_html(question)}</p><p><em>{to_html(status)}</em></p>"
    return content


def edit(event_id: str, new_content: dict[str, Any]) -> dict[str, Any]:
    """Replace the bot's own message ``event_id`` with ``new_content`` (``m.replace``).

    Clients that know edits show ``m.new_content`` in place of the original (Element marks it
    "(edited)"); the top-level ``body`` with its ``*`` is the fallback for those that don't.
    """
    fallback = {
        key: f"* {value}" if key in ("body", "formatted_body") else value
        for key, value in new_content.items()
    }
    return {
        **fallback,
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }


def as_reply(content: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The same message as a reply to ``event_id`` (no fallback quote, no mention)."""
    return {**content, "m.relates_to": {"m.in_reply_to": {"event_id": event_id}}}


def reaction(event_id: str, key: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def file_message(
    filename: str, mime_type: str, size: int, upload: dict[str, Any]
) -> dict[str, Any]:
    """An ``m.file``/``m.image`` message; ``upload`` is ``{"url": …}`` or ``{"file": …}``."""
    msgtype = "m.image" if mime_type.startswith("image/") else "m.file"
    return {
        "msgtype": msgtype,
        "body": defuse(filename),
        "filename": filename,
        "info": {"mimetype": mime_type, "size": size},
        "m.mentions": {},
        **upload,
    }
