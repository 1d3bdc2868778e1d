"""One typed settings tree, loaded from a TOML file and the environment, validated at start-up.

Where settings come from, strongest first: environment variables ``TANDEM_<SECTION>__<KEY>``
(e.g. ``TANDEM_DISCORD__TOKEN``, ``TANDEM_DATABASE__URL``; a list also as ``123,456``), then the
TOML file, then the defaults here. Without a file the bot runs the console adapter on
``./tandem.db``. ``config.example.toml`` documents every key. Errors name the bad key and where
it came from (the file or the environment variable), in plain words, and say what to do;
placeholder secrets ("changeme", "<your token>") are refused, and so is an ``enabled`` that is
not true or false.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import socket
import tomllib
from contextvars import ContextVar
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

DEFAULT_CONFIG_FILE = Path("tandem.toml")
ENV_PREFIX = "TANDEM_"
_PLACEHOLDER = re.compile(
    r"^\s*(|<.*>|\$\{.*\}|change[-_ ]?me.*|your[-_ ].*|.*placeholder.*|x{3,}|todo|secret|token|"
    r"password)\s*$",
    re.IGNORECASE,
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names each bad key."""


# False while loading settings for a command that connects to no platform (``tandem migrate``):
# adapters' secrets are then not asked for.
_ADAPTER_SECRETS_NEEDED: ContextVar[bool] = ContextVar("adapter_secrets_needed", default=True)


def _no_placeholder(value: SecretStr | None) -> SecretStr | None:
    if value is not None and _PLACEHOLDER.match(value.get_secret_value()):
        raise ValueError(
            "is a placeholder or empty; put the real secret here or in the environment"
        )
    return value


Secret = Annotated[SecretStr | None, AfterValidator(_no_placeholder)]


def _true_or_false(value: Any) -> Any:
    """true or false (from the environment also as the words): "yes", 1 or "maybe" are
    refused rather than read as on or off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValueError("must be true or false")


Switch = Annotated[bool, BeforeValidator(_true_or_false)]

_TOKEN_PART = re.compile(r"^[A-Za-z0-9_-]+$")


def looks_like_discord_token(token: str) -> bool:
    """A Discord bot token's shape: three base64url parts joined by dots, the first of which
    is the bot's numeric user id (the example in discord-api-docs ``developers/reference.mdx``,
    "Authentication", has it). Checked before connecting, so a pasted client secret or
    application id gets a clear message instead of a refused login."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_TOKEN_PART.match(part) for part in parts):
        return False
    try:
        user_id = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
    except (binascii.Error, ValueError):
        return False
    return user_id.isdigit()


def _discord_token(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not looks_like_discord_token(value.get_secret_value()):
        raise ValueError(
            "is not a Discord bot token (three parts joined by dots, the first being the "
            "bot's user id); copy it from the Developer Portal (your application, Bot, "
            "Reset Token) into discord.token or the environment variable TANDEM_DISCORD__TOKEN"
        )
    return value


def _long_enough_key(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < 32:
        raise ValueError(
            "must be at least 32 characters (e.g. the output of `openssl rand -hex 32`)"
        )
    return value


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateLimitSettings(Section):
    """How fast one member may send events (see :mod:`bot.ratelimit`)."""

    enabled: Switch = True
    # Events a member may send at once (a quick run of clicks) ...
    burst: int = Field(default=20, ge=1, le=1000)
    # ... and how many per second after that, on average.
    per_second: float = Field(default=3.0, gt=0, le=1000)


class BotSettings(Section):
    default_locale: Literal["en", "de"] = "en"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "text": readable lines; "json": one JSON object a line for a log collector (bot/logs.py).
    log_format: Literal["text", "json"] = "text"
    # Libraries' loggers to hear at DEBUG (e.g. "sqlalchemy.engine"); they stay at WARNING
    # otherwise, since they log members' data (see docs/privacy.md, "Logs").
    debug_loggers: list[str] = []
    data_dir: Path = Path(".tandem")
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # How this bot names itself in its claims of scheduled work (bot.due), for operators; each
    # process adds its process id and a random suffix, so claims never mix.
    instance: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    # The key of the identity hashes that keep blocks (bot/identity_key.py, docs/privacy.md):
    # at least 32 characters, the same for every process of the bot. Unset: generated once into
    # <data_dir>/identity.key. Changing or losing it makes the bot refuse to start while blocks
    # made with the old one exist (they could no longer be recognised).
    identity_key: Annotated[Secret, AfterValidator(_long_enough_key)] = None


class HealthSettings(Section):
    """The HTTP endpoint for probes and Prometheus: /live, /ready, /metrics (docs/operations.md)."""

    enabled: Switch = False
    # Loopback by default: the figures are for this machine's scraper, not the internet.
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=9187, ge=1, le=65535)


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///tandem.db"

    @model_validator(mode="after")
    def _known_driver(self) -> DatabaseSettings:
        if not self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "url must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {self.url.split('://')[0]!r})"
            )
        if self.url.startswith("sqlite") and not self.url.split("://", 1)[1].strip("/"):
            raise ValueError(
                "url names no database file: write sqlite+aiosqlite:///tandem.db (a file beside "
                "where Tandem runs) or sqlite+aiosqlite:////var/lib/tandem/tandem.db (an "
                "absolute path: four slashes)"
            )
        from store.unavailable import url_problem

        if problem := url_problem(self.url):
            raise ValueError(f"url {problem}")
        return self


class ConsoleSettings(Section):
    enabled: Switch = False
    community_id: str = "console"
    # The member you speak as at first; unset: whoever spoke last (at the very first start, alex).
    first_member: str | None = None
    # Console names (as after /as NAME) who may run the organizer commands (/admin …).
    organizers: list[str] = []


class DiscordSettings(Section):
    """Every key is explained in docs/discord.md (section "Config keys")."""

    enabled: Switch = False
    token: Annotated[Secret, AfterValidator(_discord_token)] = None
    # Every guild and every DM of this bot belong to this one community.
    community_id: str = "discord"
    # The servers (guilds) that are the community: commands, organizer rights and members
    # leaving count only there. Required when enabled; other servers get a short note.
    guild_ids: list[int] = []
    pair_space: Literal["thread", "channel"] = "thread"
    # Parent channel of the private pair threads (pair_space = "thread").
    pair_channel_id: int | None = None
    # Category of the private pair channels (pair_space = "channel"); when it holds 50 (Discord's
    # limit), overflow categories named after it ("Tandems 2", …) are opened.
    pair_category_id: int | None = None
    # Days a closed pair channel stays, read-only, before it is deleted (pair_space = "channel").
    closed_pair_channel_days: int = Field(default=7, ge=0)
    # Organizer commands also need one of these roles (besides Manage Server), when set.
    admin_role_ids: list[int] = []
    # Where to tell a member their DMs are closed when there is no interaction to answer.
    dm_fallback_channel_id: int | None = None
    # Where match previews (of scheduled rounds) and reports to organizers are posted: a
    # channel only organizers can read.
    organizer_channel_id: int | None = None
    # Where short shout-outs go when both partners of a tandem opted in ("Ana and Ben reached a
    # milestone together"): a channel the community reads. Unset: no shout-outs.
    celebration_channel_id: int | None = None
    # Seconds to wait for the guilds after connecting before the bot counts as ready.
    guild_ready_timeout: float = Field(default=2.0, ge=0, le=60)

    @model_validator(mode="after")
    def _required_when_enabled(self) -> DiscordSettings:
        if self.enabled and self.token is None and _ADAPTER_SECRETS_NEEDED.get():
            raise ValueError(
                "token is required when discord is enabled (env TANDEM_DISCORD__TOKEN)"
            )
        if self.enabled and not self.guild_ids:
            raise ValueError(
                "guild_ids is required when discord is enabled: list the ids of the servers "
                "that are this community (Developer Mode on, right-click the server, Copy ID)"
            )
        return self


class MatrixSettings(Section):
    """Every key is explained in docs/matrix.md (section "Config keys")."""

    enabled: Switch = False
    homeserver: str = ""
    user_id: str = ""
    password: Secret = None
    access_token: Secret = None
    device_id: str | None = None
    device_name: str = "Tandem bot"
    community_id: str = "matrix"
    # A room id ("!abc:example.org") or alias ("#mentoring:example.org").
    community_room: str | None = None
    # Where match previews (of scheduled rounds) and reports to organizers are posted: a room
    # id or alias of a room only organizers are in.
    organizer_room: str | None = None
    # Where short shout-outs go when both partners of a tandem opted in: a room id or alias of
    # a room of the community the bot has joined. Unset: no shout-outs.
    celebration_room: str | None = None
    command_prefix: str = "!tandem"
    admin_power_level: int = 50
    admin_user_ids: list[str] = []
    encryption: bool = True
    trust: Literal["trust_all_devices", "ignore_unverified"] = "ignore_unverified"
    # Default: <bot.data_dir>/matrix
    store_dir: Path | None = None
    # Encrypts the crypto store (default: generated, kept in <store_dir>/crypto_store.key);
    # changing it later makes the store unreadable.
    crypto_store_key: Secret = None
    sync_timeout_seconds: float = Field(default=30.0, gt=0)
    request_timeout_seconds: float = Field(default=60.0, gt=0)
    timeline_limit: int = Field(default=50, ge=1, le=1000)
    retry_attempts: int = Field(default=5, ge=1)
    retry_max_delay_seconds: float = Field(default=30.0, gt=0)
    # How long one request waits in all on the homeserver's rate limits before it fails (a
    # match round on a default Synapse may make one room a minute).
    rate_limit_patience_seconds: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _login_when_enabled(self) -> MatrixSettings:
        if self.enabled:
            if not self.homeserver or not self.user_id:
                raise ValueError("homeserver and user_id are required when matrix is enabled")
            secrets_needed = _ADAPTER_SECRETS_NEEDED.get()
            if secrets_needed and self.password is None and self.access_token is None:
                raise ValueError(
                    "password or access_token is required when matrix is enabled "
                    "(env TANDEM_MATRIX__PASSWORD or TANDEM_MATRIX__ACCESS_TOKEN)"
                )
        return self


_CONTENT_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TANDEM_LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "pl", "pt", "tr", "uk", "ar", "ru")


class Label(Section):
    """Organizer-written text in both languages."""

    en: str = Field(min_length=1, max_length=100)
    de: str = Field(min_length=1, max_length=100)

    def texts(self) -> dict[str, str]:
        return {"en": self.en, "de": self.de}


class TopicSetting(Label):
    id: str = Field(pattern=_CONTENT_ID.pattern)


class ChoiceSetting(Label):
    id: str = Field(pattern=_CONTENT_ID.pattern)


class ExtraQuestionSetting(Section):
    """A question the organizer adds to the join questionnaire (asked before the summary)."""

    id: str = Field(pattern=_CONTENT_ID.pattern)
    kind: Literal["text", "one", "many"] = "text"
    en: str = Field(min_length=1, max_length=300)
    de: str = Field(min_length=1, max_length=300)
    options: list[ChoiceSetting] = []
    optional: bool = False
    max_length: int = Field(default=300, ge=1, le=1000)

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> ExtraQuestionSetting:
        if self.kind == "text" and self.options:
            raise ValueError(f"question {self.id!r} is free text and takes no options")
        if self.kind != "text" and not 2 <= len(self.options) <= 25:
            raise ValueError(f"question {self.id!r} needs 2 to 25 options")
        _unique([option.id for option in self.options], f"question {self.id!r} option")
        return self

    def texts(self) -> dict[str, str]:
        return {"en": self.en, "de": self.de}


def _unique(ids: list[str], what: str) -> None:
    if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"{what} ids must be unique; repeated: {', '.join(duplicates)}")


DEFAULT_TOPICS = [
    TopicSetting(id="agile", en="Agile project management", de="Agiles Projektmanagement"),
    TopicSetting(id="time", en="Time management", de="Zeitmanagement"),
    TopicSetting(id="leadership", en="Leadership", de="Führung"),
    TopicSetting(id="presenting", en="Presenting and public speaking", de="Präsentieren und Reden"),
    TopicSetting(id="feedback", en="Feedback and communication", de="Feedback und Kommunikation"),
    TopicSetting(id="career", en="Career planning", de="Karriereplanung"),
    TopicSetting(id="programming", en="Programming", de="Programmieren"),
    TopicSetting(id="data", en="Data analysis", de="Datenanalyse"),
    TopicSetting(id="design", en="Design and UX", de="Design und UX"),
    TopicSetting(id="writing", en="Writing", de="Schreiben"),
    TopicSetting(id="negotiation", en="Negotiation", de="Verhandeln"),
    TopicSetting(id="founding", en="Starting a business", de="Gründen"),
]


class QuietHours(Section):
    """The member's night, in their own time zone: what is not urgent waits until ``end``."""

    start: time = time(21, 0)
    end: time = time(8, 0)


class MatchingSettings(Section):
    """Match rounds and the first call (see docs/matching-rounds.md)."""

    # ``time`` in the file; ``at`` here (a field may not be named like its type).
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # Every how many weeks a round runs by itself; 0: only when an organizer starts one.
    cadence_weeks: int = Field(default=0, ge=0, le=12)
    # The day and time (in the program's time zone) the scheduled round is made.
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: time = Field(default=time(10, 0), alias="time")
    # false: the scheduled round is only previewed to the organizer channel, and an organizer
    # runs it; true: it is introduced at once (the preview is posted all the same).
    auto_run: bool = False
    # Days after the introduction before each partner is asked how the first call went (time
    # for the call to happen; they may answer earlier with ``decide``) ...
    first_call_ask_days: int = Field(default=3, ge=0, le=59)
    # ... days after the introduction before an unanswered question gets one gentle nudge ...
    first_call_days: int = Field(default=7, ge=1, le=60)
    # ... and days after that nudge before the introduction lapses (both wait again).
    lapse_days: int = Field(default=7, ge=1, le=60)

    @model_validator(mode="after")
    def _asked_before_the_nudge(self) -> MatchingSettings:
        if self.first_call_ask_days >= self.first_call_days:
            raise ValueError(
                "first_call_ask_days must be less than first_call_days: the nudge reminds of the "
                "question, so it comes after it"
            )
        return self


class AgreementSettings(Section):
    """The tandem agreement (see docs/agreement.md)."""

    # The conversation rules and confidentiality agreement both partners accept. Empty: the
    # bot's own short default (in the catalogs); set both to replace it with your own words.
    rules_en: str = Field(default="", max_length=1500)
    rules_de: str = Field(default="", max_length=1500)
    # The meeting length offered first, in minutes.
    default_duration: Literal[30, 45, 60, 90] = 60

    @model_validator(mode="after")
    def _both_or_neither(self) -> AgreementSettings:
        if bool(self.rules_en.strip()) != bool(self.rules_de.strip()):
            raise ValueError("agreement: give rules_en and rules_de together, or neither")
        return self

    def rules(self) -> dict[str, str] | None:
        """The organizer's own rules per locale, or None for the bot's default."""
        if not self.rules_en.strip():
            return None
        return {"en": self.rules_en.strip(), "de": self.rules_de.strip()}


_LEAD = re.compile(r"^\s*(\d+)\s*([mhd])\s*$", re.IGNORECASE)
_LEAD_UNIT = {"m": 1, "h": 60, "d": 24 * 60}


def _lead_minutes(value: object) -> int:
    """A reminder's lead time: minutes as a number, or text like "24h", "15m", "2d"."""
    if isinstance(value, bool):
        raise ValueError("a lead time is minutes or text like '24h', '15m'")
    if isinstance(value, int):
        minutes = value
    else:
        found = _LEAD.match(str(value))
        if found is None:
            raise ValueError(f"{value!r} is no lead time: write minutes or e.g. '24h', '15m'")
        minutes = int(found.group(1)) * _LEAD_UNIT[found.group(2).lower()]
    if not 1 <= minutes <= 7 * 24 * 60:
        raise ValueError(f"lead time {value!r}: between 1 minute and 7 days")
    return minutes


class MeetingSettings(Section):
    """Meetings, reminders and check-ins (see docs/meetings.md)."""

    # How long before each meeting a reminder goes out: minutes, or "24h", "15m", "2d".
    reminder_leads: list[Annotated[int, BeforeValidator(_lead_minutes)]] = [24 * 60, 15]

    @model_validator(mode="after")
    def _distinct_leads(self) -> MeetingSettings:
        if len(self.reminder_leads) > 4:
            raise ValueError("meetings: at most four reminder_leads")
        _unique([str(lead) for lead in self.reminder_leads], "reminder lead")
        self.reminder_leads = sorted(self.reminder_leads, reverse=True)
        return self


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin)") from None
    return name


class ProgramSettings(Section):
    """What the mentoring program asks and keeps; per community under [communities.<id>]."""

    topics: list[TopicSetting] = Field(default_factory=lambda: list(DEFAULT_TOPICS))
    extra_questions: list[ExtraQuestionSetting] = []
    tandem_languages: list[str] = ["de", "en", "fr", "es", "it", "nl", "pl", "tr", "uk", "ar"]
    privacy_notice_version: str = Field(default="2026-12", min_length=1, max_length=32)
    privacy_contact: str = ""
    # Where members find professional counselling (a phone number, a web page), shown after a
    # report beside the general advice to seek it for sensitive topics.
    counselling: str = Field(default="", max_length=300)
    retention_days_after_leaving: int = Field(default=30, ge=0, le=3650)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    # The community's own time zone: when scheduled rounds run (``matching.weekday``/``time``).
    timezone: Annotated[str, AfterValidator(_known_timezone)] = "UTC"
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    # How many weeks a tandem's program runs ("week 3 of 12" in ``status``; the final
    # reflection comes then); 0: no set length.
    length_weeks: int = Field(default=12, ge=0, le=104)
    agreement: AgreementSettings = Field(default_factory=AgreementSettings)
    # Every how many weeks each tandem is asked to reflect (docs/reflection.md).
    reflection_every_weeks: int = Field(default=4, ge=1, le=52)
    meetings: MeetingSettings = Field(default_factory=MeetingSettings)

    @model_validator(mode="after")
    def _catalog_fits(self) -> ProgramSettings:
        if not 2 <= len(self.topics) <= 25:
            raise ValueError("topics: give 2 to 25 topics (a Discord menu shows at most 25)")
        _unique([topic.id for topic in self.topics], "topic")
        _unique([question.id for question in self.extra_questions], "extra question")
        if unknown := sorted(set(self.tandem_languages) - set(TANDEM_LANGUAGES)):
            raise ValueError(
                f"tandem_languages: unknown {', '.join(unknown)}; "
                f"choose from {', '.join(TANDEM_LANGUAGES)}"
            )
        if not self.tandem_languages:
            raise ValueError("tandem_languages: name at least one language")
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
    health: HealthSettings = Field(default_factory=HealthSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    program: ProgramSettings = Field(default_factory=ProgramSettings)
    # Per-community programs by community id; a community not listed uses [program].
    communities: dict[str, ProgramSettings] = {}

    def program_for(self, community_id: str) -> ProgramSettings:
        return self.communities.get(community_id, self.program)

    def has_organizer_place(self, platform: str) -> bool:
        """Whether what is meant for the organizers can be posted on ``platform``: Discord and
        Matrix need their channel or room configured; the console and memory always can."""
        if platform == "discord":
            return self.discord.organizer_channel_id is not None
        if platform == "matrix":
            return bool(self.matrix.organizer_room)
        return True

    def has_celebration_place(self, platform: str) -> bool:
        """Whether shout-outs can be posted on ``platform``: Discord and Matrix need their
        celebration channel or room configured; the console and memory always can."""
        if platform == "discord":
            return self.discord.celebration_channel_id is not None
        if platform == "matrix":
            return bool(self.matrix.celebration_room)
        return True

    @model_validator(mode="after")
    def _scheduled_rounds_have_an_organizer_place(self) -> Settings:
        """A scheduled round posts its preview to the organizers; without a place for it every
        round would fail at its hour, so say so at start-up."""
        places = (
            ("discord", self.discord.community_id, self.discord.organizer_channel_id),
            ("matrix", self.matrix.community_id, self.matrix.organizer_room),
        )
        for platform, community_id, organizer_place in places:
            scheduled = self.program_for(community_id).matching.cadence_weeks > 0
            if getattr(self, platform).enabled and scheduled and not organizer_place:
                key = "organizer_channel_id" if platform == "discord" else "organizer_room"
                raise ValueError(
                    f"{platform}.{key} is required when rounds are scheduled "
                    "(matching.cadence_weeks > 0): the previews are posted there"
                )
        return self

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
        return (ListFriendlyEnvironment(settings_cls), init_settings)

    @property
    def platform_adapters(self) -> list[str]:
        """The adapters to run: those enabled, or the console when none is."""
        chosen = [name for name in ("discord", "matrix", "console") if getattr(self, name).enabled]
        return chosen or ["console"]


class ListFriendlyEnvironment(EnvSettingsSource):
    """The environment, where a list may also be written as ``123,456`` (JSON works too)."""

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)  # type: ignore[arg-type]
        except ValueError:
            text = str(value).strip()
            if text.startswith(("[", "{")):
                raise
            return [part.strip() for part in text.split(",") if part.strip()]


def env_name(location: tuple[str | int, ...]) -> str:
    """The environment variable of a setting: ``("discord", "token")`` → TANDEM_DISCORD__TOKEN."""
    return ENV_PREFIX + "__".join(str(part).upper() for part in location)


def resolve_config_path(explicit: Path | None) -> Path | None:
    """``--config``, else ``$TANDEM_CONFIG``, else ``./tandem.toml`` if it exists, else none."""
    if explicit is not None:
        return explicit
    if env := os.environ.get("TANDEM_CONFIG"):
        return Path(env)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


# Each platform's secrets: set for an adapter that is off, they are a sign of a forgotten
# ``enabled = true``.
_SECRETS = {"discord": ("token",), "matrix": ("password", "access_token")}


def config_warnings(settings: Settings, source: str) -> list[tuple[str, str]]:
    """What the settings hold that is no error but rarely meant, each with what to do: a
    platform without an organizer channel or room (reports are kept, not posted), and a
    platform's secret set for an adapter that is off, and a health endpoint off loopback.
    ``source`` names the config file."""
    warnings = []
    health = settings.health
    if health.enabled and not _loopback(health.host):
        warnings.append(
            (
                f"health.host is {health.host}, not loopback: the health endpoint has no "
                f"authentication, so anyone who reaches port {health.port} of this machine reads "
                "/metrics (counts of members, events, tandems) and can load the database with "
                "requests",
                'set health.host = "127.0.0.1" (a scraper on another machine: let a firewall '
                f"admit only it to port {health.port})",
            )
        )
    for platform, key in (("discord", "organizer_channel_id"), ("matrix", "organizer_room")):
        if getattr(settings, platform).enabled and not settings.has_organizer_place(platform):
            warnings.append(
                (
                    f"{platform}.{key} is not set, so members' reports cannot be posted to the "
                    "organizers: they are kept (members are told so) and listed by the "
                    "organizer command reports",
                    "set it to have them posted",
                )
            )
    for platform, keys in _SECRETS.items():
        section = getattr(settings, platform)
        if section.enabled:
            continue
        for key in keys:
            if getattr(section, key) is None:
                continue
            variable = env_name((platform, key))
            where = f"environment variable {variable}" if variable in os.environ else source
            warnings.append(
                (
                    f"{platform}.{key} is set (from {where}) but {platform} is not enabled, "
                    f"so the {platform.capitalize()} adapter does not run",
                    f"set [{platform}] enabled = true to run it",
                )
            )
    return warnings


def _loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve to any interface
        return False


def load_settings(
    path: Path | None = None, *, adapter_secrets: bool = True, **overrides: Any
) -> Settings:
    """Read and validate the settings; raise :class:`ConfigError` naming every bad key.

    ``adapter_secrets=False`` is for commands that connect to no platform (``migrate``): a
    missing bot token or password is then no error.
    """
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
    needed = _ADAPTER_SECRETS_NEEDED.set(adapter_secrets)
    try:
        return Settings(**data)
    except ValidationError as error:
        raise ConfigError(_describe(error, source)) from None
    except SettingsError as error:  # an environment variable that could not be read at all
        raise ConfigError(f"the environment: {error}") from None
    finally:
        _ADAPTER_SECRETS_NEEDED.reset(needed)


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"the configuration has {error.error_count()} problem(s):"]
    for problem in error.errors():
        location = tuple(problem["loc"])
        key = ".".join(str(part) for part in location) or "(top level)"
        lines.append(f"  - {key}: {_plainly(problem)} (from {_source_of(location, source)})")
    return "\n".join(lines)


def _source_of(location: tuple[str | int, ...], file: str) -> str:
    """Where a setting came from: its environment variable (or those below it), else the file."""
    variable = env_name(location)
    below = sorted(name for name in os.environ if name.startswith(variable + "__"))
    if variable in os.environ:
        return f"environment variable {variable}"
    if below and file == "defaults":
        return "environment variable " + ", ".join(below)
    if below:  # a check of a whole section: the file and the environment together
        return f"{file} and environment variable " + ", ".join(below)
    return file


def _plainly(problem: Any) -> str:
    """The validation library's wording, said the way an operator reads it."""
    kind = problem["type"]
    context = problem.get("ctx") or {}
    typed = problem.get("input")
    if kind == "extra_forbidden":
        return (
            "is not a setting Tandem knows; check its spelling and section "
            "(config.example.toml lists every key)"
        )
    if kind == "missing":
        return "is required"
    if kind in {"bool_parsing", "bool_type"}:
        return f"must be true or false, not {typed!r}"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"must be a whole number, not {typed!r}"
    if kind in {"float_parsing", "float_type"}:
        return f"must be a number, not {typed!r}"
    if kind == "literal_error":
        return f"must be one of {context.get('expected')}, not {typed!r}"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bound = next(iter(context.values()), "")
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }
        return f"must be {words[kind]} {bound}, not {typed!r}"
    if kind in {"list_type", "list_parsing"}:
        return f"must be a list (in the file [1, 2]; in the environment 1,2), not {typed!r}"
    return str(problem["msg"]).removeprefix("Value error, ")
