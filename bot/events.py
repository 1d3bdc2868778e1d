"""Inbound events: what a member did, in platform-neutral terms.

Adapters build these from platform payloads; the router (:mod:`bot.router`) is their only
consumer. Every event says which community, which member, where it happened and the member's
platform locale when the platform knows it. A button, a select, a reaction or a typed number
all end up as a :class:`ChoicePicked` or a :class:`TextReplied` that the kernel normalises
against the persisted question, so a flow never sees how an answer arrived.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Annotated, Literal

from pydantic import Field

from bot.places import Frozen, MemberRef, Place

#: This process's events are numbered after a random prefix: unique across processes and
#: restarts (applied events are kept under their ids), without a random draw per event.
_PROCESS = uuid.uuid4().hex
_NUMBERS = itertools.count(1)


def new_event_id() -> str:
    """A unique id for an event of a platform that names none (the console, the memory one)."""
    return f"ev-{_PROCESS}-{next(_NUMBERS)}"


class EventBase(Frozen):
    # The platform's own id of the event where it has one (a Matrix event id, a Discord
    # interaction or message id): intents say what they answer with it, and the kernel records
    # it with the change it causes, so a redelivered event is never applied twice.
    event_id: str = Field(default_factory=new_event_id)
    community_id: str
    member: MemberRef
    place: Place
    locale: str | None = None


class CommandInvoked(EventBase):
    """A member ran a bot command (``/tandem join``, ``!tandem join``, ``/join``)."""

    type: Literal["command"] = "command"
    name: str
    args: tuple[str, ...] = ()
    # The platform says this member may run organizer commands (Discord permissions, Matrix
    # power level or the config's organizer list). Only the adapter sets it, from what the
    # platform says server-side; the router refuses organizer commands without it.
    organizer: bool = False
    # The command was given in the organizer group (``/tandem-admin``, ``!tandem admin``,
    # ``/admin``), which is how organizer commands are spelled.
    organizer_command: bool = False


class TextReplied(EventBase):
    """Free text from a member; ``prompt_id`` is set when the platform knows what it answers."""

    type: Literal["text"] = "text"
    text: str
    prompt_id: str | None = None


class ChoicePicked(EventBase):
    """A member picked one or more options of a question (button, select, reaction)."""

    type: Literal["choice"] = "choice"
    prompt_id: str
    choice_ids: tuple[str, ...]


class FormSubmitted(EventBase):
    """A form (e.g. a Discord modal) came back with its fields by field id."""

    type: Literal["form"] = "form"
    prompt_id: str
    values: dict[str, str]


class MemberLeft(EventBase):
    """The member left the community (left the guild / the community room)."""

    type: Literal["member_left"] = "member_left"


class MemberReturned(EventBase):
    """The member opened the chat again (e.g. the console started): repeat a pending question."""

    type: Literal["member_returned"] = "member_returned"


Event = Annotated[
    CommandInvoked | TextReplied | ChoicePicked | FormSubmitted | MemberLeft | MemberReturned,
    Field(discriminator="type"),
]
