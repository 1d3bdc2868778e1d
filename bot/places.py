"""Who and where: platform identities and serialisable send targets.

A :class:`MemberRef` names a person on one platform; a :class:`Place` names somewhere the bot
can post (a DM, a community room, a pair space). Both are plain values: they are stored in the
database (as JSON) so that a reminder can be sent after a restart, from any process.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base of every neutral value: immutable, hashable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberRef(Frozen):
    """A member's identity on one platform (opaque ids, never SDK objects)."""

    platform: str
    user_id: str
    display_name: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the person (the display name may change)."""
        return (self.platform, self.user_id)


class PlaceKind(StrEnum):
    DM = "dm"
    ROOM = "room"
    PAIR_SPACE = "pair_space"
    # The community's organizer channel or room, wherever the adapter is configured to have it
    # (``discord.organizer_channel_id``, ``matrix.organizer_room``): match previews, reports.
    ORGANIZERS = "organizers"
    # The community's celebration channel or room (``discord.celebration_channel_id``,
    # ``matrix.celebration_room``): shout-outs both partners of a tandem opted in to.
    CELEBRATION = "celebration"


class Place(Frozen):
    """Where a message goes or came from.

    ``channel_id`` is the platform's room/channel/thread id when known; a DM may be addressed by
    ``user_id`` alone, the adapter opens or finds the DM channel.
    """

    platform: str
    kind: PlaceKind
    channel_id: str | None = None
    user_id: str | None = None

    @classmethod
    def dm(cls, member: MemberRef, channel_id: str | None = None) -> Place:
        return cls(
            platform=member.platform,
            kind=PlaceKind.DM,
            user_id=member.user_id,
            channel_id=channel_id,
        )

    @classmethod
    def room(cls, platform: str, channel_id: str) -> Place:
        return cls(platform=platform, kind=PlaceKind.ROOM, channel_id=channel_id)

    @classmethod
    def organizers(cls, platform: str) -> Place:
        """The organizers' channel or room of the community on ``platform``."""
        return cls(platform=platform, kind=PlaceKind.ORGANIZERS)

    @classmethod
    def celebration(cls, platform: str) -> Place:
        """The community's celebration channel or room on ``platform``."""
        return cls(platform=platform, kind=PlaceKind.CELEBRATION)
