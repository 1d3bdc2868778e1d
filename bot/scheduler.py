"""The scheduler service: APScheduler as a timer, the database as the record of truth.

APScheduler (in memory) only decides *when* to look: it holds one wake-up, armed by the app at
the earliest time the store says something is due (:mod:`bot.due`). What is due is always read
from the store, so nothing is lost by a restart, and what fell due while the bot was down runs
at start-up. No job state is pickled or stored anywhere but in the project's own tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def wake_in(self, job_id: str, delay: timedelta, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` once after ``delay`` (replacing an earlier wake-up of the same id)."""
        self._scheduler.add_job(
            job,
            "date",
            run_date=datetime.now(UTC) + max(delay, timedelta(0)),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def job_count(self) -> int:
        return len(self._scheduler.get_jobs())

    def start(self) -> None:
        self._scheduler.start()

    def pause(self) -> None:
        """No new runs from now on (a run under way finishes)."""
        if self._scheduler.running:
            self._scheduler.pause()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
