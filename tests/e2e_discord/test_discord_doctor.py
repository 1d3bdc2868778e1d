"""``tandem doctor`` on Discord (issue 15): a bad token, the Server Members intent off, a
permission missing in the pair channel, a server the bot is not on, each said with its fix
and an exit status that is not 0; all well, 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.doctor import EXIT_UNWELL
from tests.support.discord_loopback import LoopbackDiscord, payloads
from tests.support.discord_loopback.server import bot_token
from tests.support.discord_loopback.state import (
    DEFAULT_BOT_PERMISSIONS,
    MANAGE_ROLES,
    MANAGE_THREADS,
    OVERWRITE_ROLE,
)
from tests.support.doctor import discord_server, migrated_sqlite, run_doctor

pytestmark = [pytest.mark.e2e_discord, pytest.mark.timeout(60)]


async def test_all_is_well_on_a_server_set_up_as_the_guide_says(
    loopback_discord: LoopbackDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = loopback_discord
    world = discord_server(server)
    said = await run_doctor(
        capsys,
        tmp_path,
        {"database": {"url": await migrated_sqlite(tmp_path)}, "discord": world.settings(server)},
    )
    assert said.status == 0, said.out
    assert said.lines("ok    discord:") == [
        f"ok    discord: logged in as Tandem (id {server.bot.id})",
        "ok    discord: the Server Members intent is on",
        f"ok    discord: on the server Mentoring ({world.guild.id})",
        "ok    discord: the bot has what it needs in #mentoring (discord.pair_channel_id)",
        "ok    discord: the bot has what it needs in #organizers (discord.organizer_channel_id)",
        "ok    discord: the bot has what it needs in #celebrations "
        "(discord.celebration_channel_id)",
    ]
    assert said.out.rstrip().endswith("All is well.")


async def test_a_bad_token_is_refused_with_where_to_get_a_new_one(
    loopback_discord: LoopbackDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = loopback_discord
    world = discord_server(server)
    wrong = bot_token(server.bot.id)  # shaped like a token, but not this bot's
    said = await run_doctor(
        capsys,
        tmp_path,
        {
            "database": {"url": await migrated_sqlite(tmp_path)},
            "discord": world.settings(server, token=wrong),
        },
    )
    assert said.status == EXIT_UNWELL
    assert said.lines("FAIL") == ["FAIL  discord: Discord refused the bot token (401 Unauthorized)"]
    assert said.fix_after("FAIL  discord: Discord refused the bot token") == (
        "copy it again from the Developer Portal (Bot → Reset Token) into TANDEM_DISCORD__TOKEN"
    )
    assert [r.status for r in server.requests_to("GET", "/users/@me")] == [401]
    assert wrong not in said.out
    assert said.out.rstrip().endswith("1 problem to fix, 0 warnings.")


@pytest.mark.parametrize(
    ("taken", "fix"),
    [
        pytest.param(
            "overwrite",
            "an overwrite in #mentoring takes it away: allow Manage Threads for the bot's role "
            "@Tandem there (Edit Channel, Permissions), or remove the overwrite that denies it",
            id="denied-by-an-overwrite",
        ),
        pytest.param(
            "role",
            "give the bot's role @Tandem Manage Threads (Server Settings, Roles), or allow "
            "Manage Threads for @Tandem in #mentoring (Edit Channel, Permissions)",
            id="not-given-to-its-role",
        ),
    ],
)
async def test_a_permission_missing_in_the_pair_channel_is_named_with_its_fix(
    loopback_discord: LoopbackDiscord,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    taken: str,
    fix: str,
) -> None:
    server = loopback_discord
    if taken == "overwrite":
        world = discord_server(server)
        assert world.guild.bot_role_id is not None
        deny = payloads.overwrite(
            world.guild.bot_role_id, OVERWRITE_ROLE, allow=0, deny=MANAGE_THREADS
        )
        world.pairs.permission_overwrites.append(deny)
    else:
        world = discord_server(server, bot_permissions=DEFAULT_BOT_PERMISSIONS & ~MANAGE_THREADS)
    said = await run_doctor(
        capsys,
        tmp_path,
        {"database": {"url": await migrated_sqlite(tmp_path)}, "discord": world.settings(server)},
    )
    assert said.status == EXIT_UNWELL
    finding = (
        "FAIL  discord: the bot lacks Manage Threads in #mentoring (discord.pair_channel_id): "
        "lock and archive a pair thread when the tandem ends"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == fix


async def test_the_server_members_intent_switched_off_is_named(
    loopback_discord: LoopbackDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = loopback_discord
    server.gateway.allowed_privileged_intents = 0
    world = discord_server(server)
    said = await run_doctor(
        capsys,
        tmp_path,
        {"database": {"url": await migrated_sqlite(tmp_path)}, "discord": world.settings(server)},
    )
    assert said.status == EXIT_UNWELL
    finding = (
        "FAIL  discord: the Server Members intent is off: Discord refuses the bot's connection"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "enable the Server Members intent for the bot in the Developer Portal (Bot → Privileged "
        "Gateway Intents)"
    )


async def test_a_server_the_bot_is_not_on_gets_the_invite_url(
    loopback_discord: LoopbackDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = loopback_discord
    world = discord_server(server)
    left = server.add_guild("Left behind")
    server.remove_bot(left)
    settings = world.settings(server, guild_ids=[world.guild.id, left.id])
    said = await run_doctor(
        capsys,
        tmp_path,
        {"database": {"url": await migrated_sqlite(tmp_path)}, "discord": settings},
    )
    assert said.status == EXIT_UNWELL
    finding = f"FAIL  discord: the bot is not on the server {left.id} (discord.guild_ids)"
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "invite it there with https://discord.com/oauth2/authorize?client_id="
        f"{server.application_id}&scope=bot+applications.commands&permissions=360777354240, "
        "or correct discord.guild_ids (Developer Mode on, right-click the server, Copy ID)"
    )


async def test_an_organizer_channel_everyone_reads_is_a_warning_not_a_failure(
    loopback_discord: LoopbackDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = loopback_discord
    world = discord_server(server)
    general = server.default_channel(world.guild)
    settings = world.settings(server, organizer_channel_id=general.id)
    said = await run_doctor(
        capsys,
        tmp_path,
        {"database": {"url": await migrated_sqlite(tmp_path)}, "discord": settings},
    )
    assert said.status == 0, said.out
    finding = (
        "warn  discord: @everyone may read #general (discord.organizer_channel_id), where "
        "members' reports are posted"
    )
    assert said.lines("warn") == [finding]
    assert said.fix_after(finding) == (
        "deny View Channel for @everyone in #general and allow it for the organizers' role and "
        "the bot"
    )
    assert said.out.rstrip().endswith("All is well, with 1 warning.")


async def test_pair_channels_need_a_category_and_the_rights_to_make_channels_in_it(
    loopback_discord: LoopbackDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = loopback_discord
    world = discord_server(server, bot_permissions=DEFAULT_BOT_PERMISSIONS & ~MANAGE_ROLES)
    category = server.add_text_channel(
        world.guild, "Tandems", channel_type=payloads.CHANNEL_CATEGORY
    )
    url = await migrated_sqlite(tmp_path)
    wrong = world.settings(server, pair_space="channel", pair_category_id=world.pairs.id)
    said = await run_doctor(capsys, tmp_path, {"database": {"url": url}, "discord": wrong})
    assert said.status == EXIT_UNWELL
    finding = (
        f"FAIL  discord: discord.pair_category_id {world.pairs.id} (mentoring) is not a category"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == "set discord.pair_category_id to the id of a category"

    right = world.settings(server, pair_space="channel", pair_category_id=category.id)
    said = await run_doctor(capsys, tmp_path, {"database": {"url": url}, "discord": right})
    assert said.status == EXIT_UNWELL
    finding = (
        "FAIL  discord: the bot lacks Manage Roles in Tandems (discord.pair_category_id): set "
        "who may see a pair channel"
    )
    assert said.lines("FAIL") == [finding]
    assert said.fix_after(finding) == (
        "give the bot's role @Tandem Manage Roles (Server Settings, Roles), or allow Manage "
        "Permissions for @Tandem in Tandems (Edit Category, Permissions)"
    )


async def test_an_unreachable_discord_is_named_with_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LoopbackDiscord()
    await server.start()
    with server.patch_discord():
        world = discord_server(server)
        await server.stop()  # discord.py now talks to a port where nobody listens
        url = await migrated_sqlite(tmp_path)
        said = await run_doctor(
            capsys, tmp_path, {"database": {"url": url}, "discord": world.settings(server)}
        )
    assert said.status == EXIT_UNWELL
    (finding,) = said.lines("FAIL")
    assert finding.startswith("FAIL  discord: cannot reach Discord (ClientConnectorError: ")
    assert said.fix_after(finding) == (
        "Check this machine's network, DNS and any proxy or firewall (Discord's API is "
        "discord.com, port 443)"
    )
