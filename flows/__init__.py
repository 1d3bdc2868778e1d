"""The conversations, written once for every platform.

:mod:`flows.engine` runs flows as persisted state machines; each other module defines one flow.
:data:`FLOWS` is the registry the router uses to start a flow by its command.
"""

from __future__ import annotations

from flows.engine import FlowRegistry
from flows.join import JOIN

FLOWS = FlowRegistry([JOIN])

__all__ = ["FLOWS"]
