"""Who may invite the bot, who is an organizer, and how the bot's rooms are made."""

from __future__ import annotations

from nio import MatrixRoom, PowerLevels

from adapters.matrix.places import (
    is_organizer,
    may_invite_bot,
    pair_room_options,
    private_to,
)
from bot.config import MatrixSettings

BOT = "@tandem:example.org"
ORGA = "@orga:example.org"
ALICE = "@alice:example.org"
STRANGER = "@stranger:example.org"


def community(version: str = "10") -> MatrixRoom:
    room = MatrixRoom("!community:example.org", BOT)
    room.room_version = version
    for user in (BOT, ORGA, ALICE):
        room.add_member(user, None, None)
    room.power_levels = PowerLevels(users={ORGA: 50, ALICE: 0})
    return room


def settings(**values: object) -> MatrixSettings:
    return MatrixSettings(**values)  # type: ignore[arg-type]


def test_organizers_come_from_the_power_level_or_the_config_list() -> None:
    room = community()
    assert is_organizer(settings(), room, ORGA)
    assert not is_organizer(settings(), room, ALICE)
    assert not is_organizer(settings(admin_power_level=75), room, ORGA)
    assert is_organizer(settings(admin_user_ids=[STRANGER]), room, STRANGER)
    assert not is_organizer(settings(), None, ORGA)


def test_room_creators_are_organizers_from_room_version_12() -> None:
    assert is_organizer(settings(), community("12"), ALICE, frozenset({ALICE}))
    assert not is_organizer(settings(), community("10"), ALICE, frozenset({ALICE}))


def test_only_members_of_the_community_may_invite_the_bot() -> None:
    room = community()
    assert may_invite_bot(settings(), room.room_id, room, "!dm:example.org", ALICE)
    assert not may_invite_bot(settings(), room.room_id, room, "!dm:example.org", STRANGER)
    assert may_invite_bot(settings(), room.room_id, room, room.room_id, STRANGER)
    assert may_invite_bot(settings(admin_user_ids=[STRANGER]), room.room_id, room, "!x", STRANGER)
    assert may_invite_bot(settings(), None, None, "!dm:example.org", STRANGER)


def test_a_pair_room_is_private_encrypted_and_members_cannot_invite() -> None:
    options = pair_room_options("Tandem: A & O", encrypted=True, tag="k3f9a2c1bx")
    assert "invite" not in options  # invited one by one afterwards (adapters.matrix.pair_rooms)
    assert options["name"] == "Tandem: A & O"
    state_types = [event["type"] for event in options["initial_state"]]
    assert state_types[0] == "m.room.encryption"
    assert "m.room.guest_access" in state_types
    (tag,) = [e for e in options["initial_state"] if e["type"] == "org.tandem.pair"]
    assert (tag["state_key"], tag["content"]) == ("", {"tag": "k3f9a2c1bx"})
    levels = options["power_level_override"]
    assert "users" not in levels  # the server ranks the creator (the bot) itself
    assert levels["invite"] == levels["kick"] == levels["state_default"] == 100
    assert levels["users_default"] == levels["events_default"] == 0


def test_a_room_is_private_to_a_member_only_if_invite_only_encrypted_and_just_the_two() -> None:
    room = MatrixRoom("!dm:example.org", BOT)
    room.add_member(BOT, None, None)
    room.add_member(ALICE, None, None)
    room.join_rule = "invite"
    room.encrypted = True
    assert private_to(room, BOT, ALICE, encryption=True)
    room.encrypted = False
    assert not private_to(room, BOT, ALICE, encryption=True)
    assert private_to(room, BOT, ALICE, encryption=False)
    room.encrypted = True
    room.join_rule = "public"
    assert not private_to(room, BOT, ALICE, encryption=True)
    room.join_rule = "invite"
    room.add_member(ORGA, None, None)
    assert not private_to(room, BOT, ALICE, encryption=True)
