"""Fixtures for the Matrix end-to-end tests: one real Synapse per session, fresh nio users."""

from __future__ import annotations

from tests.support.synapse.bot import tandem_bot  # noqa: F401  (the bot on that homeserver)
from tests.support.synapse.fixtures import (  # noqa: F401  (fixtures and hook used by pytest)
    matrix_user_factory,
    pytest_runtest_makereport,
    synapse,
)
