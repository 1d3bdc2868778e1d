"""How the loopback Discord refuses a request, and how a refusal is remembered.

A handler raises :class:`DiscordError`; the server's middleware turns it into the JSON body
Discord would send (``{"code": ..., "message": ..., "errors": {...}}``) and, if the refusal
means the bot did something real Discord refuses, appends a :class:`Violation` to
``server.violations``. Nothing here knows about HTTP routes or state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Discord JSON error codes the fake uses.
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNAUTHORIZED = 0
MISSING_ACCESS = 50001
CANNOT_SEND_EMPTY_MESSAGE = 50006
CANNOT_SEND_TO_USER = 50007
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035
INTERACTION_ALREADY_ACKNOWLEDGED = 40060
NO_MUTUAL_GUILDS = 50278
GUILD_CHANNELS_FULL = 30013
THREAD_ARCHIVED = 50083
TWO_FACTOR_REQUIRED = 60003
REQUEST_ENTITY_TOO_LARGE = 40005


@dataclass(frozen=True)
class Problem:
    """One invalid field, addressed like Discord does: ``components.0.components.1.custom_id``."""

    path: str
    code: str
    message: str


@dataclass(frozen=True)
class Violation:
    """A request real Discord would have refused."""

    method: str
    route: str
    path: str
    status: int
    code: int
    message: str
    problems: tuple[Problem, ...] = ()

    def __str__(self) -> str:
        detail = "; ".join(f"{p.path}: {p.message}" for p in self.problems)
        suffix = f" ({detail})" if detail else ""
        return f"{self.method} {self.path} -> {self.status} {self.code} {self.message}{suffix}"


@dataclass
class DiscordError(Exception):
    """Raised by a handler to answer like Discord; ``violation`` says whether to record it."""

    status: int
    code: int
    message: str
    problems: Sequence[Problem] = field(default_factory=tuple)
    violation: bool = True

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.problems:
            body["errors"] = nested_errors(self.problems)
        return body


def invalid_form_body(problems: Sequence[Problem]) -> DiscordError:
    return DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", tuple(problems))


def nested_errors(problems: Sequence[Problem]) -> dict[str, Any]:
    """Discord's error tree: each dotted path becomes nested keys ending in ``_errors``."""
    tree: dict[str, Any] = {}
    for problem in problems:
        node = tree
        for part in problem.path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return tree
