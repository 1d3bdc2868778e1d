"""Settings: defaults, file, environment, and errors that name the bad key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.cli import adapter_notes
from bot.config import ConfigError, Section, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tandem.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_the_console_runs_on_a_local_sqlite_file() -> None:
    settings = load_settings(None)
    assert settings.platform_adapters == ["console"]
    assert settings.database.url == "sqlite+aiosqlite:///tandem.db"


def test_errors_name_every_bad_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[bot]\ndefault_locale = "fr"\ncolour = "blue"\n[database]\nurl = "mysql://x"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert "3 problem(s)" in text
    assert "bot.default_locale: must be one of 'en' or 'de', not 'fr'" in text
    assert "bot.colour: is not a setting Tandem knows" in text
    assert f"(from {path})" in text
    assert "database: url must start with sqlite+aiosqlite:// or postgresql+asyncpg://" in text


@pytest.mark.parametrize("placeholder", ["changeme", "<your token>", "YOUR_TOKEN_HERE", "xxxx", ""])
def test_placeholder_secrets_are_refused(tmp_path: Path, placeholder: str) -> None:
    path = write(tmp_path, f'[discord]\nenabled = true\ntoken = "{placeholder}"\n')
    with pytest.raises(ConfigError, match=r"discord\.token: is a placeholder or empty"):
        load_settings(path)


#: The example token of discord-api-docs developers/reference.mdx ("Authentication").
DOCS_TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"


@pytest.mark.parametrize(
    "not_a_token",
    [
        "1234567890123456789",  # the application id
        "k3v9Qx7aZr2mT8pL0wYbNc4dHs6fJ1gE",  # the client secret
        "Bot " + DOCS_TOKEN,
        "aGVsbG8.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs",  # first part is not a user id
        "MTk4NjIyNDgzNDcxOTI1MjQ4..ZnCjm1XVW7vRze4b7Cq4se7kKWs",
    ],
)
def test_a_discord_token_of_the_wrong_shape_is_refused_naming_the_setting(
    tmp_path: Path, not_a_token: str
) -> None:
    path = write(tmp_path, f'[discord]\nenabled = true\ntoken = "{not_a_token}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert "discord.token: is not a Discord bot token" in text
    assert "TANDEM_DISCORD__TOKEN" in text
    assert not_a_token not in text


def test_a_discord_token_of_the_right_shape_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, f'[discord]\nenabled = true\ntoken = "{DOCS_TOKEN}"\nguild_ids = [42]\n')
    settings = load_settings(path)
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == DOCS_TOKEN


def test_an_enabled_adapter_without_its_secret_says_where_to_put_it(tmp_path: Path) -> None:
    path = write(tmp_path, "[discord]\nenabled = true\n")
    with pytest.raises(ConfigError, match="TANDEM_DISCORD__TOKEN"):
        load_settings(path)


def test_discord_without_its_servers_is_refused_at_start_up(tmp_path: Path) -> None:
    # One bot serves one community: the servers that are it must be named.
    path = write(tmp_path, f'[discord]\nenabled = true\ntoken = "{DOCS_TOKEN}"\n')
    with pytest.raises(
        ConfigError, match=r"discord: guild_ids is required when discord is enabled"
    ):
        load_settings(path)


def test_scheduled_rounds_without_an_organizer_place_are_refused_at_start_up(
    tmp_path: Path,
) -> None:
    discord = f'[discord]\nenabled = true\ntoken = "{DOCS_TOKEN}"\nguild_ids = [1]\n'
    scheduled = "[program.matching]\ncadence_weeks = 2\n"
    with pytest.raises(ConfigError, match=r"discord\.organizer_channel_id is required"):
        load_settings(write(tmp_path, discord + scheduled))
    # Told where to post, or with rounds only on an organizer's command, it starts.
    placed = discord.replace("guild_ids = [1]", "guild_ids = [1]\norganizer_channel_id = 7")
    assert load_settings(write(tmp_path, placed + scheduled)).discord.organizer_channel_id == 7
    assert load_settings(write(tmp_path, discord)).program.matching.cadence_weeks == 0


def test_a_platform_without_an_organizer_place_is_warned_about_where_reports_go(
    tmp_path: Path,
) -> None:
    discord = f'[discord]\nenabled = true\ntoken = "{DOCS_TOKEN}"\nguild_ids = [1]\n'
    path = write(tmp_path, discord)
    notes = adapter_notes(load_settings(path), path)
    assert notes[1] == (
        "warning: discord.organizer_channel_id is not set, so members' reports cannot be "
        "posted to the organizers: they are kept (members are told so) and listed by the "
        "organizer command reports; set it to have them posted"
    )
    placed = write(tmp_path, discord + "organizer_channel_id = 7\n")
    assert len(adapter_notes(load_settings(placed), placed)) == 1


def test_the_environment_overrides_the_file_and_secrets_stay_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_token = DOCS_TOKEN.replace("ZnC", "fil")
    env_token = DOCS_TOKEN.replace("ZnC", "env")
    path = write(tmp_path, f'[discord]\nenabled = true\ntoken = "{file_token}"\nguild_ids = [42]\n')
    monkeypatch.setenv("TANDEM_DISCORD__TOKEN", env_token)
    monkeypatch.setenv("TANDEM_DATABASE__URL", "postgresql+asyncpg://db/tandem")
    settings = load_settings(path)
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == env_token
    assert env_token not in repr(settings)
    assert settings.database.url == "postgresql+asyncpg://db/tandem"
    assert settings.platform_adapters == ["discord"]


def test_a_missing_or_broken_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[bot\n"))


def test_the_example_config_loads_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    settings = load_settings(example)
    assert settings.platform_adapters == ["console"]
    text = example.read_text(encoding="utf-8")
    tomllib.loads(text)
    assert "# [communities." in text
    for section, field in Settings.model_fields.items():
        if section == "communities":
            continue
        assert f"[{section}]" in text
        model = field.annotation
        assert isinstance(model, type)
        for key, info in model.model_fields.items():  # type: ignore[attr-defined]
            nested = info.annotation
            table = f"[{section}.{key}]" in text
            if table and isinstance(nested, type) and issubclass(nested, Section):
                for inner, inner_info in nested.model_fields.items():  # each key of the table
                    name = inner_info.alias or inner
                    assert re.search(rf"^#? ?{name} = ", text, re.MULTILINE), (
                        f"{section}.{key}.{name} undocumented"
                    )
                continue
            assert re.search(rf"^#? ?{key} = ", text, re.MULTILINE), f"{section}.{key} undocumented"


def test_organizer_content_is_validated_at_start(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[program]\n"
        'topics = [{ id = "a", en = "A", de = "A" }, { id = "a", en = "B", de = "B" }]\n'
        'tandem_languages = ["de", "xx"]\n'
        'extra_questions = [{ id = "q", kind = "one", en = "Q?", de = "F?" }]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert "program.extra_questions.0: question 'q' needs 2 to 25 options" in text
    with pytest.raises(ConfigError, match="topic ids must be unique; repeated: a"):
        load_settings(
            write(
                tmp_path,
                '[program]\ntopics = [{ id = "a", en = "A", de = "A" }, '
                '{ id = "a", en = "B", de = "B" }]\n',
            )
        )
    with pytest.raises(ConfigError, match="tandem_languages: unknown xx"):
        load_settings(write(tmp_path, '[program]\ntandem_languages = ["de", "xx"]\n'))


def test_a_community_can_have_its_own_program(tmp_path: Path) -> None:
    path = write(tmp_path, '[communities.discord]\nprivacy_contact = "team@example.org"\n')
    settings = load_settings(path)
    assert settings.program_for("discord").privacy_contact == "team@example.org"
    assert settings.program_for("matrix").privacy_contact == ""


def test_the_first_call_question_comes_before_its_nudge() -> None:
    with pytest.raises(ConfigError, match="first_call_ask_days must be less than first_call_days"):
        load_settings(None, program={"matching": {"first_call_ask_days": 7}})
    matching = load_settings(
        None, program={"matching": {"first_call_ask_days": 0}}
    ).program.matching
    assert (matching.first_call_ask_days, matching.first_call_days) == (0, 7)


def test_shout_outs_go_where_a_celebration_place_is_configured(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[discord]\ncelebration_channel_id = 42\n[matrix]\ncelebration_room = ""\n'
        "[program]\nlength_weeks = 10\nreflection_every_weeks = 3\n",
    )
    settings = load_settings(path)
    assert settings.has_celebration_place("discord")
    assert not settings.has_celebration_place("matrix")
    assert settings.has_celebration_place("console")
    assert (settings.program.length_weeks, settings.program.reflection_every_weeks) == (10, 3)
    bad = write(tmp_path, "[program]\nreflection_every_weeks = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(bad)
    assert "program.reflection_every_weeks" in str(caught.value)


def test_reminder_lead_times_are_minutes_or_written_as_hours_and_days() -> None:
    settings = load_settings(None, program={"meetings": {"reminder_leads": ["15m", "2d", 90]}})
    assert settings.program.meetings.reminder_leads == [2 * 24 * 60, 90, 15]
    assert load_settings(None).program.meetings.reminder_leads == [24 * 60, 15]
    for wrong in (["soon"], ["0m"], ["8d"], ["1h", "60m"], ["1m", "2m", "3m", "4m", "5m"]):
        with pytest.raises(ConfigError, match="reminder"):
            load_settings(None, program={"meetings": {"reminder_leads": wrong}})
