"""Ownership of background tasks: every task the bot starts is kept, watched and cancelled.

A task that fails is logged with the place that started it (asyncio would otherwise report it
late or never); shutdown cancels what is still running and waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSupervisor:
    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], str] = {}

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        origin = "".join(traceback.format_stack(limit=4)[:-1]).strip()
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks[task] = origin
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        origin = self._tasks.pop(task, "?")
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error(
                "background task %s failed; started at:\n%s",
                task.get_name(),
                origin,
                exc_info=error,
            )

    @property
    def running(self) -> list[str]:
        return sorted(task.get_name() for task in self._tasks)

    async def cancel_all(self, grace_seconds: float = 5.0) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
