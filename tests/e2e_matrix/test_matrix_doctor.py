"""``tandem doctor`` on a real Synapse (issue 15): all well with Discord (the loopback) and
Matrix enabled at once; a wrong password or access token, a room where the bot may not post,
and a device without keys on the homeserver, each said with its fix and an exit status that
is not 0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nio import RoomCreateResponse, RoomPreset

from bot.doctor import EXIT_UNWELL
from tests.support.discord_loopback import LoopbackDiscord
from tests.support.discord_loopback.fixtures import loopback_discord  # noqa: F401
from tests.support.doctor import discord_server, run_doctor
from tests.support.synapse.bot import TandemBot, open_community
from tests.support.synapse.fixtures import MatrixTestUser, MatrixUserFactory
from tests.support.synapse.homeserver import Homeserver

pytestmark = [pytest.mark.e2e_matrix, pytest.mark.e2e_discord, pytest.mark.timeout(120)]


def sections(bot: TandemBot, **matrix: Any) -> dict[str, dict[str, Any]]:
    """The config the bot ran with (its database, data directory and account), as a file."""
    overrides = bot.settings_overrides()
    return {
        "database": overrides["database"],
        "bot": overrides["bot"],
        "matrix": {**overrides["matrix"], **matrix},
    }


async def a_bot_that_ran_once(
    bot: TandemBot, organizer: MatrixTestUser, organizer_room: dict[str, Any] | None = None
) -> tuple[str, str | None]:
    """The bot, started once in a community (so its device, keys and rooms exist) and invited
    by the organizer to a room made with ``organizer_room`` (``room_create``'s arguments) as
    its organizer room, then stopped; the ids of both rooms."""
    community = await open_community(organizer, bot, [])
    await bot.start()
    await organizer.wait_for_join(community, bot.user_id)
    room_id = None
    if organizer_room is not None:
        created = await organizer.client.room_create(
            name="Organizers",
            preset=RoomPreset.private_chat,
            invite=[bot.user_id],
            **organizer_room,
        )
        assert isinstance(created, RoomCreateResponse)
        room_id = created.room_id
        await organizer.wait_for_join(room_id, bot.user_id)
        bot.matrix["organizer_room"] = room_id
    await bot.stop()
    return community, room_id


async def test_all_is_well_with_discord_and_matrix_and_a_migrated_database(
    tandem_bot: TandemBot,
    matrix_user_factory: MatrixUserFactory,
    loopback_discord: LoopbackDiscord,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    organizer = await matrix_user_factory("organizer")
    community, room = await a_bot_that_ran_once(tandem_bot, organizer, {})
    world = discord_server(loopback_discord)
    config = {**sections(tandem_bot), "discord": world.settings(loopback_discord)}

    said = await run_doctor(capsys, tmp_path, config)

    assert said.status == 0, said.out
    (login,) = said.lines("ok    matrix: logged in as")
    assert login.endswith("(the bot's saved session)")
    assert said.lines("ok    matrix: the bot is") == [
        f"ok    matrix: the bot is in {community} (matrix.community_room)",
        f"ok    matrix: the bot is in {room} (matrix.organizer_room) and may post there",
    ]
    assert len(said.lines("ok    matrix: the homeserver has the encryption keys of device")) == 1
    assert len(said.lines("ok    discord:")) == 6
    assert len(said.lines("ok    database:")) == 3
    assert said.lines("FAIL") == []
    assert said.lines("warn") == []
    assert said.out.rstrip().endswith("All is well.")


async def test_a_wrong_password_is_refused_with_the_key_to_correct(
    tandem_bot: TandemBot,
    matrix_user_factory: MatrixUserFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await tandem_bot.start()
    await tandem_bot.stop()
    wrong = "not-the-bots-password-4711"
    config = sections(tandem_bot, password=wrong)
    config["bot"]["data_dir"] = str(tmp_path / "never-ran")  # no saved session: the password

    said = await run_doctor(capsys, tmp_path, config)

    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  matrix: the homeserver {tandem_bot.homeserver.url} refused to log in "
        f"{tandem_bot.user_id} (LoginError: M_FORBIDDEN Invalid username or password)"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "check matrix.password (TANDEM_MATRIX__PASSWORD) and matrix.user_id"
    )
    assert wrong not in said.out


async def test_a_right_password_leaves_no_device_behind(
    tandem_bot: TandemBot, synapse: Homeserver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await tandem_bot.start()
    await tandem_bot.stop()
    devices_before = devices_of(synapse, tandem_bot)
    config = sections(tandem_bot)
    config["bot"]["data_dir"] = str(tmp_path / "never-ran")

    said = await run_doctor(capsys, tmp_path, config)

    assert said.status == 0, said.out
    assert said.lines("ok    matrix: matrix.password logs in") != []
    assert devices_of(synapse, tandem_bot) == devices_before


async def test_a_refused_access_token_without_a_password_is_a_failure(
    tandem_bot: TandemBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await tandem_bot.start()
    await tandem_bot.stop()
    config = sections(tandem_bot, access_token="syt_not_a_real_token_4711")
    del config["matrix"]["password"]
    config["bot"]["data_dir"] = str(tmp_path / "never-ran")

    said = await run_doctor(capsys, tmp_path, config)

    assert said.status == EXIT_UNWELL
    (finding,) = said.lines("FAIL")
    assert finding.startswith("FAIL  matrix: the homeserver refused the Matrix access token (")
    assert said.fix_after(finding) == (
        "set matrix.access_token (TANDEM_MATRIX__ACCESS_TOKEN) to a valid token of "
        f"{tandem_bot.user_id}, or configure matrix.password"
    )
    assert "syt_not_a_real_token_4711" not in said.out


async def test_a_room_where_the_bot_may_not_post_names_the_power_level_it_needs(
    tandem_bot: TandemBot,
    matrix_user_factory: MatrixUserFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    organizer = await matrix_user_factory("organizer")
    _, room = await a_bot_that_ran_once(
        tandem_bot, organizer, {"power_level_override": {"events_default": 50}}
    )

    said = await run_doctor(capsys, tmp_path, sections(tandem_bot))

    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  matrix: the bot may not post in {room} (matrix.organizer_room): "
        "sending m.room.message needs power level 50, the bot has 0"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "give the bot power level 50 there (Element: Room settings, Roles & Permissions), or "
        "let everyone send messages"
    )


async def test_a_device_whose_keys_are_not_on_the_homeserver_is_a_failure(
    tandem_bot: TandemBot, synapse: Homeserver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await tandem_bot.start()
    await tandem_bot.stop()
    # A token made by logging in elsewhere: a device that never uploaded keys.
    login = synapse.request(
        "POST",
        "/_matrix/client/v3/login",
        {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": tandem_bot.user_id},
            "password": tandem_bot.password,
        },
    )
    config = sections(tandem_bot, access_token=login["access_token"])
    del config["matrix"]["password"]
    config["bot"]["data_dir"] = str(tmp_path / "never-ran")

    said = await run_doctor(capsys, tmp_path, config)

    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  matrix: the homeserver has no encryption keys of the bot's device "
        f"{login['device_id']}: members' clients cannot encrypt to it"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == "start the bot (`tandem run`): it uploads them when it starts"


def devices_of(synapse: Homeserver, bot: TandemBot) -> list[str]:
    path = f"/_synapse/admin/v2/users/{bot.user_id}/devices"
    devices = synapse.request("GET", path, access_token=synapse.admin.access_token)["devices"]
    return sorted(device["device_id"] for device in devices)
