"""The commands members can run: flows (conversations) and actions (one-shot answers).

Ids are unique, and so is a command's name within its group: a member command and an organizer
command may share a name (``status`` is where a member stands, ``admin status`` the community's
counts), since each platform spells the organizer group apart. A clash within a group is
refused when the registry is built. The journey may add
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
        # By group (True: the organizer group), then by command name; in the order given.
        self._by_command: dict[bool, dict[str, Flow | Action]] = {False: {}, True: {}}
        self._order: list[Flow | Action] = []
        reserved = {spec.name for spec in BUILTIN_COMMANDS}
        for entry in entries:
            if isinstance(entry, Flow):
                if entry.id in self._by_id:
                    raise FlowDefinitionError(f"two flows have the id {entry.id!r}")
                self._by_id[entry.id] = entry
                if entry.asked_only:
                    continue  # no command: only the bot starts it
            self._claim(entry.command, entry, reserved)
        if gate is not None and self._by_id.get(gate.flow.id) is not gate.flow:
            raise FlowDefinitionError(f"the gate's flow {gate.flow.id!r} is not registered")

    def _claim(self, command: str, owner: Flow | Action, reserved: set[str]) -> None:
        group = self._by_command[owner.organizer_only]
        if command in group or command in reserved:
            raise FlowDefinitionError(f"two flows or actions use the command {command!r}")
        group[command] = owner
        self._order.append(owner)

    def get(self, flow_id: str) -> Flow | None:
        return self._by_id.get(flow_id)

    def for_command(self, command: str, *, organizer: bool = False) -> Flow | Action | None:
        """The owner of ``command`` in the group it was given in (``organizer``: the organizer
        group), else in the other group: a command given outside its group is still known, so
        the router can refuse it or call it unknown."""
        return self._by_command[organizer].get(command) or self._by_command[not organizer].get(
            command
        )

    def is_organizer_command(self, command: str) -> bool:
        """Whether ``command`` is only an organizer command (spelled in the organizer group)."""
        return command in self._by_command[True] and command not in self._by_command[False]

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._by_id.values())

    def commands(self) -> list[CommandSpec]:
        """Every command, in the order given, then the conversation controls."""
        specs = [
            CommandSpec(
                owner.command,
                owner.description,
                organizer_only=owner.organizer_only,
                argument=getattr(owner, "argument", None),
            )
            for owner in self._order
        ]
        return [*specs, *BUILTIN_COMMANDS]
