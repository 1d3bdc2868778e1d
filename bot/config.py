"""One typed settings tree, loaded from a TOML file and the environment, validated at start-up.

Where settings come from, strongest first: environment variables ``TANDEM_<SECTION>__<KEY>``
(e.g. ``TANDEM_DISCORD__TOKEN``, ``TANDEM_DATABASE__URL``), then the TOML file, then the
defaults here. Without a file the bot runs the console adapter on ``./tandem.db``.
``config.example.toml`` documents every key. Errors name the bad key and say what to do;
placeholder secrets ("changeme", "<your token>") are refused.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG_FILE = Path("tandem.toml")
ENV_PREFIX = "TANDEM_"
_PLACEHOLDER = re.compile(
    r"^\s*(|<.*>|\$\{.*\}|change[-_ ]?me.*|your[-_ ].*|.*placeholder.*|x{3,}|todo|secret|token|"
    r"password)\s*$",
    re.IGNORECASE,
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names each bad key."""


def _no_placeholder(value: SecretStr | None) -> SecretStr | None:
    if value is not None and _PLACEHOLDER.match(value.get_secret_value()):
        raise ValueError(
            "is a placeholder or empty; put the real secret here or in the environment"
        )
    return value


Secret = Annotated[SecretStr | None, AfterValidator(_no_placeholder)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BotSettings(Section):
    default_locale: Literal["en", "de"] = "en"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    data_dir: Path = Path(".tandem")


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///tandem.db"

    @model_validator(mode="after")
    def _known_driver(self) -> DatabaseSettings:
        if not self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "url must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {self.url.split('://')[0]!r})"
            )
        return self


class ConsoleSettings(Section):
    enabled: bool = False
    community_id: str = "console"
    first_member: str = "alex"


class DiscordSettings(Section):
    enabled: bool = False
    token: Secret = None
    community_id: str = "discord"
    guild_ids: list[int] = []
    pair_space: Literal["thread", "channel"] = "thread"
    pair_channel_id: int | None = None
    pair_category_id: int | None = None
    admin_role_ids: list[int] = []

    @model_validator(mode="after")
    def _token_when_enabled(self) -> DiscordSettings:
        if self.enabled and self.token is None:
            raise ValueError(
                "token is required when discord is enabled (env TANDEM_DISCORD__TOKEN)"
            )
        return self


class MatrixSettings(Section):
    enabled: bool = False
    homeserver: str = ""
    user_id: str = ""
    password: Secret = None
    access_token: Secret = None
    device_id: str | None = None
    device_name: str = "Tandem bot"
    community_id: str = "matrix"
    community_room: str | None = None
    command_prefix: str = "!tandem"
    admin_power_level: int = 50
    admin_user_ids: list[str] = []
    encryption: bool = True
    trust: Literal["trust_all_devices", "ignore_unverified"] = "ignore_unverified"
    store_dir: Path | None = None

    @model_validator(mode="after")
    def _login_when_enabled(self) -> MatrixSettings:
        if self.enabled:
            if not self.homeserver or not self.user_id:
                raise ValueError("homeserver and user_id are required when matrix is enabled")
            if self.password is None and self.access_token is None:
                raise ValueError(
                    "password or access_token is required when matrix is enabled "
                    "(env TANDEM_MATRIX__PASSWORD or TANDEM_MATRIX__ACCESS_TOKEN)"
                )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    bot: BotSettings = Field(default_factory=BotSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment beats the file, so secrets never need to be written into it.
        return (env_settings, init_settings)

    @property
    def platform_adapters(self) -> list[str]:
        """The adapters to run: those enabled, or the console when none is."""
        chosen = [name for name in ("discord", "matrix", "console") if getattr(self, name).enabled]
        return chosen or ["console"]


def resolve_config_path(explicit: Path | None) -> Path | None:
    """``--config``, else ``$TANDEM_CONFIG``, else ``./tandem.toml`` if it exists, else none."""
    if explicit is not None:
        return explicit
    if env := os.environ.get("TANDEM_CONFIG"):
        return Path(env)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings; raise :class:`ConfigError` naming every bad key."""
    source = "defaults"
    data: dict[str, Any] = {}
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file (copy config.example.toml)") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    try:
        return Settings(**data)
    except ValidationError as error:
        raise ConfigError(_describe(error, source)) from None


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"{source}: the configuration has {error.error_count()} problem(s):"]
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        text = problem["msg"].removeprefix("Value error, ")
        lines.append(f"  - {key}: {text}")
    return "\n".join(lines)
