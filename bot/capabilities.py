"""What a platform can show, declared by each adapter and read by its renderer.

Degradation lives in the renderer: buttons where there are buttons (up to ``max_buttons``), a
select menu up to ``max_select_options``, a numbered list everywhere else. Two profiles are
predefined for tests and simulation: :data:`RICH` (like Discord) and :data:`TEXT_ONLY` (like
Matrix or the console).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.places import Frozen


class Capabilities(Frozen):
    buttons: bool = False
    max_buttons: int = 0
    selects: bool = False
    max_select_options: int = 0
    modals: bool = False
    reactions: bool = False
    threads: bool = False
    ephemeral: bool = False
    max_message_length: int = 4000
    # How a member types a command on this platform; ``{name}`` is the subcommand.
    command_format: str = "{name}"
    # How an organizer command is typed: the same, inside the organizer group.
    organizer_format: str = "admin {name}"
    # What a person's platform user id looks like, as a command that names someone receives it
    # (lower-cased: console names, Matrix ids as typed): anything else names nobody, and
    # ``member_hint`` (a message id) says how to name someone here.
    member_id: str = r"\S{1,64}"
    member_hint: str = "block.how.name"


RICH = Capabilities(
    buttons=True,
    max_buttons=5,
    selects=True,
    max_select_options=25,
    modals=True,
    reactions=True,
    threads=True,
    ephemeral=True,
    max_message_length=2000,
    command_format="/tandem {name}",
    organizer_format="/tandem-admin {name}",
    # Discord's member picker gives a user id (a snowflake).
    member_id=r"[0-9]{15,21}",
    member_hint="block.how.picker",
)
TEXT_ONLY = Capabilities(
    reactions=True,
    max_message_length=30000,
    command_format="!tandem {name}",
    organizer_format="!tandem admin {name}",
)


class Platforms:
    """What the running adapters can do, as the kernel needs to know it.

    ``spell("discord", "join")`` → ``/tandem join``; ``spell("discord", "status",
    organizer=True)`` → ``/tandem-admin status``; ``whispers("matrix")`` → False: a reply to one
    member in a shared room would be seen by everyone, so private answers go to the DM.
    """

    def __init__(self, capabilities: Mapping[str, Capabilities]) -> None:
        self._capabilities = dict(capabilities)

    def spell(self, platform: str, name: str, *, organizer: bool = False) -> str:
        known = self._capabilities.get(platform) or Capabilities()
        pattern = known.organizer_format if organizer else known.command_format
        return pattern.format(name=name)

    def of(self, platform: str) -> Capabilities:
        return self._capabilities.get(platform) or Capabilities()

    def whispers(self, platform: str) -> bool:
        known = self._capabilities.get(platform)
        return bool(known and known.ephemeral)
