"""Outbound intents: what the bot wants a member or a room to see, in platform-neutral terms.

Flows return intents; the kernel sends each one to the adapter of its target's platform, which
renders it with what the platform does best (see :mod:`bot.adapter`). Text is always a
:class:`~bot.messages.Msg`, translated at render time in ``locale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.messages import Msg
from bot.places import Frozen, MemberRef, Place


class IntentBase(Frozen):
    target: Place
    locale: str
    # The event this answers: an adapter may answer in place (e.g. a Discord interaction).
    in_reply_to: str | None = None
    # Only the addressed member should see it when the target is shared (ephemeral on Discord).
    private: bool = True
    # It answers something that changed nothing (a click on an old or someone else's question):
    # shown only to that member and not kept where the platform can (ephemeral on Discord).
    transient: bool = False
    # Set on what the bot sends on its own schedule (see bot.due): the same key on a resend
    # after a crash, so the platform (Matrix transaction id, Discord nonce) or the adapter drops
    # the second copy.
    idempotency_key: str | None = None


class Say(IntentBase):
    """Post a message."""

    text: Msg


class Option(Frozen):
    """One answer of a choice question; ``id`` is what the flow receives."""

    id: str
    label: Msg
    emoji: str | None = None
    # Other words that pick this option when typed, each a catalog entry of comma-separated
    # words (every language is accepted): "yes, ok" for an "I agree".
    words: tuple[Msg, ...] = ()


class Ask(IntentBase):
    """Ask one question. ``prompt_id`` ties the answer back to the persisted conversation step.

    ``repeated``: the same question asked again after an answer that was not understood (its
    text may be a shorter form of the first asking)."""

    prompt_id: str
    question: Msg
    repeated: bool = False
    kind: Literal["text", "one", "many"]
    options: tuple[Option, ...] = ()
    min_choices: int = 1
    max_choices: int = 1
    max_length: int | None = None
    # A short label for a form field (Discord modal inputs allow 45 characters).
    field_label: Msg | None = None
    optional: bool = False


class RetireQuestion(IntentBase):
    """An earlier question (``prompt_id``, asked in ``target``) can no longer be answered.

    The kernel sends it when the question was answered (``answered``, with the options
    ``picked`` for a choice) or when its conversation ended (cancelled, expired, replaced,
    gone back). Each adapter updates the question where its platform can: Discord disables
    its components and highlights the pick, Matrix edits the question to say how it ended,
    the console shows nothing. ``question`` is the question's text, for platforms that
    redraw it.
    """

    prompt_id: str
    question: Msg
    answered: bool
    picked: tuple[Option, ...] = ()


class OpenPairSpace(IntentBase):
    """Open a private space for exactly ``members`` and the bot; ``target`` is the community room.

    The adapter returns the new space's :class:`Place` in its :class:`Delivery`. Making a thread
    or a room is not idempotent on any platform, so ``marker`` (the same on every retry, e.g.
    derived from the tandem's id) is put on the space the adapter makes; asked again with the
    same marker, the adapter returns the space that already carries it instead of making
    another — after a crash too, when nothing but the platform remembers it.
    """

    community_id: str
    members: tuple[MemberRef, ...]
    name: Msg
    welcome: Msg | None = None
    marker: str | None = None


class ClosePairSpace(IntentBase):
    """Close a pair space (``target``) that is no longer used: post ``farewell`` (a neutral word
    for whoever is still there), then archive it, make it read-only or leave it, as the
    platform allows.

    ``removed`` are members who must lose the space at once (they used ``forget``, left or were
    removed): the adapter takes them out of it (their Discord overwrite or thread membership
    goes, a Matrix room kicks them) while the others keep reading it. Send it before the
    member's data is deleted, so the farewell reaches the partner first.
    """

    farewell: Msg | None = None
    removed: tuple[MemberRef, ...] = ()


class AttachFile(IntentBase):
    """Send a file (a calendar .ics, a chart PNG, a data export) with a caption."""

    filename: str
    content: bytes
    mime_type: str
    caption: Msg | None = None


class ForgetMember(IntentBase):
    """The member in ``target`` (their DM) was forgotten (``forget``, or purged by the
    maintenance job): erase what the platform lets the bot erase of its conversations with them
    (on Matrix: redact them, leave and forget the DM, drop its room keys) and drop what the adapter
    keeps about them outside the store (files it wrote, caches). Sent after the last message to
    them. Platforms where the bot can erase nothing more do nothing (``docs/privacy.md`` says what
    each platform keeps)."""


Intent = Say | Ask | OpenPairSpace | ClosePairSpace | AttachFile | RetireQuestion | ForgetMember
ALL_INTENT_TYPES: tuple[type[IntentBase], ...] = (
    Say,
    Ask,
    OpenPairSpace,
    ClosePairSpace,
    AttachFile,
    RetireQuestion,
    ForgetMember,
)


@dataclass(frozen=True)
class Delivery:
    """What an adapter reports back after rendering an intent."""

    message_id: str | None = None
    place: Place | None = None
