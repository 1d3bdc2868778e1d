"""The scheduler service: APScheduler as a timer, the database as the record of truth.

APScheduler (in memory) only decides *when* to look; what is due is always read from the store,
so nothing is lost by a restart, and what fell due while the bot was down runs at start-up.
No job state is pickled or stored anywhere but in the project's own tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

MAINTENANCE_EVERY_MINUTES = 10


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def every(self, job_id: str, minutes: int, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` at start (catch-up), then every ``minutes``; runs never overlap."""
        self._scheduler.add_job(
            job,
            "interval",
            minutes=minutes,
            id=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    def start(self) -> None:
        self._scheduler.start()

    def pause(self) -> None:
        """No new runs from now on (a run under way finishes)."""
        if self._scheduler.running:
            self._scheduler.pause()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
