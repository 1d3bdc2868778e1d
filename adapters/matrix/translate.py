"""Reading Matrix events: what a member did, before the adapter decides where it belongs.

Pure functions over matrix-nio event objects (no client, no store), so they are tested from
raw event dicts. :func:`read_message` turns a text message or a reaction into an
:class:`Incoming`; the adapter then adds the member, the place and the question it answers and
builds the neutral event. A malformed event raises :class:`MalformedEvent`, which the sync loop
logs and skips.

What counts:

* ``m.text`` messages from anyone but the bot; ``<prefix> <command> args…`` is a command
  (``!tandem`` alone means ``help``); a reply's fallback quote is dropped;
* ``m.reaction`` annotations (the key is the emoji);
* not: notices (bots), emotes, edits (``m.replace``: the first answer counts), redactions,
  state events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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


def parse_command(body: str, prefix: str) -> tuple[str, tuple[str, ...]] | None:
    """``"!tandem join now"`` → ``("join", ("now",))``; not a command → None."""
    words = body.strip().split()
    if not words or words[0].casefold() != prefix.casefold():
        return None
    if len(words) == 1:
        return "help", ()
    return words[1].casefold(), tuple(words[2:])


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
                kind="command", command=command[0], args=command[1], text=body, **common
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
