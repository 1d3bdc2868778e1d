"""Reading Matrix events: what a member did, before the adapter decides where it belongs.

Pure functions over matrix-nio event objects (no client, no store), so they are tested from
raw event dicts. :func:`read_message` turns a text message or a reaction into an
:class:`Incoming`; the adapter then adds the member, the place and the question it answers and
builds the neutral event. A malformed event raises :class:`MalformedEvent`, which the sync loop
logs and skips.

What counts:

* ``m.text`` messages from anyone but the bot; ``<prefix> <command> args…`` is a command
  (``!tandem`` alone means ``help``); a reply's fallback quote is dropped; the people a
  command mentions (pills: ``m.mentions`` and ``matrix.to`` links) are kept, since a pill's
  text is a display name, not the user id;
* ``m.reaction`` annotations (the key is the emoji);
* not: notices (bots), emotes, edits (``m.replace``: the first answer counts), redactions,
  state events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from nio import BadEvent, ReactionEvent, RoomMemberEvent, RoomMessageText, UnknownBadEvent

VARIATION_SELECTOR = "\ufe0f"
KEYCAP = "\u20e3"
KEYCAP_TEN = "🔟"


class MalformedEvent(Exception):
    """An event that does not have the shape its type promises."""


@dataclass(frozen=True)
class Incoming:
    """A member's message or reaction in one room, as far as the event alone tells."""

    kind: Literal["command", "text", "reaction"]
    room_id: str
    sender: str
    event_id: str
    text: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    # The bot message this answers: the reacted-to or replied-to event.
    relates_to: str | None = None
    # The user ids a command mentions, in order, without the bot.
    mentions: tuple[str, ...] = ()


def parse_command(body: str, prefix: str) -> tuple[str, tuple[str, ...]] | None:
    """``"!tandem join now"`` → ``("join", ("now",))``; not a command → None."""
    words = body.strip().split()
    if not words or words[0].casefold() != prefix.casefold():
        return None
    if len(words) == 1:
        return "help", ()
    return words[1].casefold(), tuple(words[2:])


_REPLY_FALLBACK = re.compile(r"<mx-reply>.*?</mx-reply>", re.DOTALL)
_MATRIX_TO_USER = re.compile(r"""href=["']https://matrix\.to/#/((?:@|%40)[^"'?/]+)""")


def mentioned_users(source: dict[str, Any], own_user_id: str) -> tuple[str, ...]:
    """Who a message mentions: ``m.mentions.user_ids`` (what current clients send with a pill)
    and the users linked in its HTML (older clients' pills), in order, each once, not the bot.
    A reply's mention of the replied-to sender is in ``m.mentions`` too: replying to someone's
    message with a command names them."""
    content = source.get("content", {})
    found: list[str] = []
    declared = content.get("m.mentions")
    if isinstance(declared, dict) and isinstance(declared.get("user_ids"), list):
        found += [user for user in declared["user_ids"] if isinstance(user, str)]
    html = content.get("formatted_body")
    if isinstance(html, str):
        # A reply's quoted fallback links its sender too; that is no pill the member wrote.
        html = _REPLY_FALLBACK.sub("", html)
        found += [unquote(user) for user in _MATRIX_TO_USER.findall(html)]
    return tuple(user for user in dict.fromkeys(found) if user != own_user_id and ":" in user)


def named_member(args: tuple[str, ...], mentions: tuple[str, ...]) -> tuple[str, ...]:
    """Whom a command that names a person (``block``) means: a user id typed after it wins (a
    reply also mentions whoever it replies to); else the first user mentioned (a pill shows a
    display name, the person is the user it links to); else what was typed, which the kernel
    refuses when it is no user id (a display name alone names nobody for sure)."""
    typed = args[0].strip() if args else ""
    if typed.startswith("@") and ":" in typed:
        return (typed.lower(),)
    if mentions:
        return mentions[:1]
    return args


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> <@who> quoted`` lines a client puts before the text of a reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def _relation(source: dict[str, Any]) -> dict[str, Any]:
    relates = source.get("content", {}).get("m.relates_to")
    return relates if isinstance(relates, dict) else {}


def read_message(event: object, room_id: str, *, own_user_id: str, prefix: str) -> Incoming | None:
    """The member action in ``event``, or None when it is nothing for the bot."""
    if isinstance(event, BadEvent | UnknownBadEvent):
        kind = getattr(event, "type", None) or event.source.get("type", "?")
        raise MalformedEvent(f"malformed {kind} event {event.source.get('event_id', '?')}")
    if isinstance(event, RoomMessageText):
        if event.sender == own_user_id:
            return None
        if not isinstance(event.body, str):
            raise MalformedEvent(f"message {event.event_id} has no text body")
        relation = _relation(event.source)
        if relation.get("rel_type") == "m.replace":
            return None
        reply = relation.get("m.in_reply_to")
        reply_to = reply.get("event_id") if isinstance(reply, dict) else None
        body = strip_reply_fallback(event.body) if reply_to else event.body
        common = {"room_id": room_id, "sender": event.sender, "event_id": event.event_id}
        command = parse_command(body, prefix)
        if command is not None:
            return Incoming(
                kind="command",
                command=command[0],
                args=command[1],
                text=body,
                mentions=mentioned_users(event.source, own_user_id),
                **common,
            )
        return Incoming(kind="text", text=body, relates_to=reply_to, **common)
    if isinstance(event, ReactionEvent):
        if event.sender == own_user_id:
            return None
        return Incoming(
            kind="reaction",
            room_id=room_id,
            sender=event.sender,
            event_id=event.event_id,
            text=event.key,
            relates_to=event.reacts_to,
        )
    return None


def reaction_choice(key: str, emojis: list[str | None]) -> str | None:
    """The option number (as typed text) a reaction picks: an option's emoji or a keycap."""
    bare = key.replace(VARIATION_SELECTOR, "")
    for number, emoji in enumerate(emojis, start=1):
        if emoji and emoji.replace(VARIATION_SELECTOR, "") == bare:
            return str(number)
    if bare == KEYCAP_TEN:
        number = 10
    elif len(bare) == 2 and bare[0].isdigit() and bare[1] == KEYCAP:
        number = int(bare[0])
    else:
        return None
    return str(number) if 1 <= number <= len(emojis) else None


def membership_change(event: object) -> tuple[str, str | None, str] | None:
    """``(user_id, before, after)`` when a member event changes membership (not a rename)."""
    if not isinstance(event, RoomMemberEvent):
        return None
    if event.prev_membership == event.membership:
        return None
    return event.state_key, event.prev_membership, event.membership
