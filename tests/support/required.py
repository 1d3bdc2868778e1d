"""Skip, or fail where required: one rule for every test that needs a service this machine may
lack (PostgreSQL, Synapse, systemd-analyze, a git checkout).

Locally a missing service skips the test with the reason. In CI it FAILS: ``./dev test`` with
``CI=1`` sets ``TANDEM_REQUIRE_E2E=1`` and ``TANDEM_REQUIRE_POSTGRES=1``, and ``CI`` itself
being true counts too, so a broken install step never passes as skipped.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

#: What counts as "set" for these variables.
TRUE = {"1", "true", "yes", "on"}
#: The variable that makes the end-to-end services (Synapse, systemd, the clone) required.
E2E = "TANDEM_REQUIRE_E2E"
#: The variable that makes PostgreSQL required.
POSTGRES = "TANDEM_REQUIRE_POSTGRES"


def _set(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() in TRUE


def required(variable: str) -> bool:
    """True where a missing service must fail the test: ``variable`` or ``CI`` is true."""
    return _set(variable) or _set("CI")


def service_missing(reason: str, variable: str) -> NoReturn:
    """Skip the test for want of a service (``reason`` says which, and how to get it), or fail
    it where ``variable`` (or ``CI``) requires the service."""
    if required(variable):
        pytest.fail(f"{reason} ({variable} or CI is set, so this must not skip)", pytrace=False)
    pytest.skip(f"{reason} (set {variable}=1 to make this a failure)")
