"""The commands members can run: flows (conversations) and actions (one-shot answers).

Ids and command names are unique, across the member and the organizer group alike (so a name
never means two things); a clash is refused when the registry is built. The journey may add
one :class:`~bot.flow.Gate`, a flow that comes before anything else while it is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from bot.commands import BUILTIN_COMMANDS, CommandSpec
from bot.due import DueKind
from bot.flow import Action, Flow, FlowDefinitionError, Gate, MemberLeftHook


class FlowRegistry:
    def __init__(
        self,
        entries: Iterable[Flow | Action],
        *,
        warm_ups: Iterable[Callable[[], object]] = (),
        gate: Gate | None = None,
        due_kinds: Iterable[DueKind] = (),
        on_member_left: MemberLeftHook | None = None,
    ) -> None:
        """``entries`` in the order ``help`` lists their commands.

        ``warm_ups`` build what the flows look things up in (cached tables that take long to
        build); the app runs them in a thread at start-up, before any event arrives, so nothing
        slow ever runs on the event loop.
        """
        self.warm_ups = tuple(warm_ups)
        self.gate = gate
        # What the journey does when a member leaves the community (the Discord server, the
        # Matrix community room), after the kernel marked them as left: e.g. end their tandem.
        self.on_member_left = on_member_left
        # What the flows do on their own schedule (see bot.due); names are unique.
        self.due_kinds = tuple(due_kinds)
        names = [kind.name for kind in self.due_kinds]
        if len(set(names)) != len(names):
            raise FlowDefinitionError(f"two due-item kinds share a name: {sorted(names)}")
        self._by_id: dict[str, Flow] = {}
        self._by_command: dict[str, Flow | Action] = {}
        reserved = {spec.name for spec in BUILTIN_COMMANDS}
        for entry in entries:
            if isinstance(entry, Flow):
                if entry.id in self._by_id:
                    raise FlowDefinitionError(f"two flows have the id {entry.id!r}")
                self._by_id[entry.id] = entry
            self._claim(entry.command, entry, reserved)
        if gate is not None and self._by_id.get(gate.flow.id) is not gate.flow:
            raise FlowDefinitionError(f"the gate's flow {gate.flow.id!r} is not registered")

    def _claim(self, command: str, owner: Flow | Action, reserved: set[str]) -> None:
        if command in self._by_command or command in reserved:
            raise FlowDefinitionError(f"two flows or actions use the command {command!r}")
        self._by_command[command] = owner

    def get(self, flow_id: str) -> Flow | None:
        return self._by_id.get(flow_id)

    def for_command(self, command: str) -> Flow | Action | None:
        return self._by_command.get(command)

    def is_organizer_command(self, command: str) -> bool:
        owner = self._by_command.get(command)
        return owner is not None and owner.organizer_only

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._by_id.values())

    def commands(self) -> list[CommandSpec]:
        """Every command, in the order given, then the conversation controls."""
        specs = [
            CommandSpec(
                name,
                owner.description,
                organizer_only=owner.organizer_only,
                argument=getattr(owner, "argument", None),
            )
            for name, owner in self._by_command.items()
        ]
        return [*specs, *BUILTIN_COMMANDS]
