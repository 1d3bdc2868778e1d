"""Rooms the bot opens, joins and leaves: DMs, pair rooms, invites, and who may do what.

* **DMs.** The bot keeps its own record of each member's DM room
  (:mod:`adapters.matrix.records`), written only when the member invites it with ``is_direct``
  or when the bot opens the DM itself. ``m.direct`` is not read: clients write it
  inconsistently and a room created with ``is_direct`` does not even set it for the creator.
  A recorded room counts as the DM only while it is private to the member (:func:`private_to`):
  a room someone else opened, made public and left is never one, however few people remain.
* **Invites** are accepted from members of the community room (joined members), from the
  organizers listed in ``matrix.admin_user_ids``, and to the community room itself; without a
  community room every invite is accepted. Others are rejected with a short reason.
* **Pair rooms** are invite-only, end-to-end encrypted, closed to guests, named from the flow,
  and carry the tag they are found again by (:mod:`.pair_rooms`). The bot holds power level
  100; members hold 0 with the right to talk but not to invite, kick or change the room, so the
  room stays private to the pair and the bot.
* **Organizers** are those in ``matrix.admin_user_ids`` or with at least
  ``matrix.admin_power_level`` in the community room (or its creators, in room versions 12 and
  later where creators stand above power levels).
"""

from __future__ import annotations

from typing import Any

from nio import MatrixRoom, RoomPreset

from bot.config import MatrixSettings

ENCRYPTION_STATE: dict[str, Any] = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
NO_GUESTS: dict[str, Any] = {
    "type": "m.room.guest_access",
    "state_key": "",
    "content": {"guest_access": "forbidden"},
}
# Members see what was said since they were invited, not before.
HISTORY_SINCE_INVITE: dict[str, Any] = {
    "type": "m.room.history_visibility",
    "state_key": "",
    "content": {"history_visibility": "invited"},
}
BOT_POWER = 100


def joined(room: MatrixRoom | None, user_id: str) -> bool:
    return room is not None and user_id in room.users and user_id not in room.invited_users


def present(room: MatrixRoom | None, user_id: str) -> bool:
    """Joined or invited: the bot can still reach the person there."""
    return room is not None and user_id in room.users


def creators_outrank_power_levels(room_version: str) -> bool:
    """From room version 12 on, a room's creators stand above every power level."""
    return not room_version.isdigit() or int(room_version) >= 12


def is_organizer(
    matrix: MatrixSettings,
    community: MatrixRoom | None,
    user_id: str,
    creators: frozenset[str] = frozenset(),
) -> bool:
    if user_id in matrix.admin_user_ids:
        return True
    if community is None or not joined(community, user_id):
        return False
    if user_id in creators and creators_outrank_power_levels(community.room_version):
        return True
    return community.power_levels.get_user_level(user_id) >= matrix.admin_power_level


def may_invite_bot(
    matrix: MatrixSettings,
    community_room_id: str | None,
    community: MatrixRoom | None,
    room_id: str,
    inviter: str,
) -> bool:
    if community_room_id is None or room_id == community_room_id:
        return True
    return inviter in matrix.admin_user_ids or joined(community, inviter)


def private_to(room: MatrixRoom | None, own_user_id: str, member: str, *, encryption: bool) -> bool:
    """Whether ``room`` is private to the bot and ``member``: exactly the two of them (joined or
    invited), invite-only (nobody else may walk in and read), and end-to-end encrypted when
    encryption is on. Whether it is *their DM* also needs the bot's record of who made it one
    (:meth:`MatrixAdapter._private_dm`)."""
    return (
        room is not None
        and set(room.users) == {own_user_id, member}
        and room.join_rule == "invite"
        and (room.encrypted or not encryption)
    )


def dm_room_options(user_id: str, encrypted: bool) -> dict[str, Any]:
    return {
        "is_direct": True,
        "preset": RoomPreset.trusted_private_chat,
        "invite": [user_id],
        "initial_state": [ENCRYPTION_STATE] if encrypted else [],
    }


def pair_room_options(name: str, encrypted: bool, tag: str | None) -> dict[str, Any]:
    """How a pair room is made; its members are invited afterwards (see :mod:`.pair_rooms`),
    and ``tag`` (the marker's, :mod:`bot.pair_spaces`) is in its state from the start."""
    state = [NO_GUESTS, HISTORY_SINCE_INVITE]
    if encrypted:
        state.insert(0, ENCRYPTION_STATE)
    if tag is not None:
        state.append({"type": "org.tandem.pair", "state_key": "", "content": {"tag": tag}})
    return {
        "name": name,
        "preset": RoomPreset.private_chat,
        "initial_state": state,
        # No "users" entry: the server gives the creator (the bot) full power itself, as 100 in
        # older room versions and as a creator in v12+, where listing it is an error.
        "power_level_override": {
            "users_default": 0,
            "events_default": 0,
            "state_default": BOT_POWER,
            "invite": BOT_POWER,
            "kick": BOT_POWER,
            "ban": BOT_POWER,
            "redact": BOT_POWER,
        },
    }
