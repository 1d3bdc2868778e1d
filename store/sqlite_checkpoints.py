"""SQLite's write-ahead log copied into the database file by a thread of its own.

SQLite copies the log into the database (a checkpoint) when a commit leaves the log longer than
``wal_autocheckpoint`` pages, on the committing connection: our writer, with every write queued
behind it. Under load that was the answer path's longest stall. At 2,500 answers/s
(``bench.flows``) the log grows by 9,000-11,000 pages a second; a checkpoint once a second could
not keep it short, so the writer's own checkpoint (the safety net at
:data:`store.connections.WRITER_CHECKPOINT_PAGES`) ran every 0.6-0.8 s, and each took 10-35 ms,
most of it in the kernel (up to 3 MB written and two syncs).

:class:`Checkpointer` checkpoints every :data:`CHECKPOINT_EVERY` seconds instead, ``PASSIVE``
(it neither waits for nor blocks the writer or a reader), on a connection of its own and outside
the event loop: SQLite's work holds no interpreter lock, so nothing on the loop waits for it.
Each copies what 50 ms added (1-3 ms of work). Often it catches up entirely between two
commits; the next write then starts the log again from its beginning, so the log stays short
and the writer's safety net finds nothing left to copy. Measured at 2,500 answers/s: the
writer's stalls longer than 5 ms fell from 30-50 to 16 in eight seconds, none of them a
checkpoint (docs/answer-path.md, "The tail").
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

#: How often the thread copies the write-ahead log into the database (seconds). A checkpoint
#: with nothing to copy only reads the log's header: an idle bot pays next to nothing.
CHECKPOINT_EVERY = 0.05


class Checkpointer:
    """A thread that checkpoints the SQLite file at ``path`` until :meth:`stop`."""

    def __init__(self, path: str, every: float = CHECKPOINT_EVERY) -> None:
        self._path = path
        self._every = every
        self._stopping = threading.Event()
        # A daemon, as the lanes' threads are: a process that ends without closing the store
        # must not wait for it.
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop checkpointing; returns once the thread has closed its connection."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:  # the writer's safety net checkpoints instead
            log.warning("store: background checkpoints cannot open the database", exc_info=True)
            return
        failing = False
        try:
            while not self._stopping.wait(self._every):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    if not failing:  # said once, not twenty times a second
                        log.warning("store: a background checkpoint failed", exc_info=True)
                    failing = True
                else:
                    if failing:
                        log.info("store: background checkpoints work again")
                    failing = False
        finally:
            connection.close()
