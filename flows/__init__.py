"""The conversations, written once for every platform.

:mod:`flows.engine` runs flows as persisted state machines; :mod:`flows.definition` says how a
flow or a one-shot action is written; each other module holds one part of the journey.
:func:`build_registry` gives the router every command, built from the settings (topics and
organizer questions come from the config).
"""

from __future__ import annotations

from bot.config import Settings
from flows.data_rights import FORGET, MYDATA
from flows.join import build_join
from flows.membership import LANGUAGE, LEAVE, PAUSE, RESUME
from flows.profile import PROFILE, build_edit
from flows.registry import FlowRegistry


def build_registry(settings: Settings) -> FlowRegistry:
    """Every flow and action, in the order ``help`` lists them."""
    return FlowRegistry(
        [
            build_join(settings),
            PROFILE,
            build_edit(settings),
            PAUSE,
            RESUME,
            LANGUAGE,
            MYDATA,
            LEAVE,
            FORGET,
        ]
    )


__all__ = ["build_registry"]
