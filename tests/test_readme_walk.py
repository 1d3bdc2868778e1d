"""The README's "Running it for a community", walked in a fresh clone (issue 13): what the
operator is told at each step, with no terminal (as under a service manager) and no network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.required import E2E, service_missing

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"


def tandem(clone: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m bot …`` run from the clone, on the clone's code, with no terminal."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        # CI runs on a clone, where this walk must run, never skip.
        service_missing("not a git checkout", E2E)
    target = tmp_path / "tandem"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def test_the_readme_steps_for_a_community_in_a_fresh_clone(clone: Path) -> None:
    readme = (clone / "README.md").read_text(encoding="utf-8")
    assert "cp config.example.toml tandem.toml" in readme
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    env["PYTHONPATH"] = str(clone)

    # cp config.example.toml tandem.toml; export TANDEM_DISCORD__TOKEN=...; tandem run
    shutil.copy(clone / "config.example.toml", clone / "tandem.toml")
    env["TANDEM_DISCORD__TOKEN"] = TOKEN
    ran = tandem(clone, "run", env=env)
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    assert ran.stderr.splitlines() == [
        "tandem: no adapter is enabled (tandem.toml): starting the console. To run on Discord or "
        "Matrix, set enabled = true in its section of tandem.toml (or "
        "TANDEM_DISCORD__ENABLED=true / TANDEM_MATRIX__ENABLED=true).",
        "tandem: warning: discord.token is set (from environment variable TANDEM_DISCORD__TOKEN) "
        "but discord is not enabled, so the Discord adapter does not run; set [discord] enabled "
        "= true to run it",
        "tandem: nothing to run: no adapter is enabled, and without a terminal the console has "
        "no one to talk to. Enable Discord or Matrix in tandem.toml ([discord] or [matrix] "
        "enabled = true; docs/discord.md, docs/matrix.md), or start `tandem console` in a "
        "terminal to try the bot.",
    ]

    # Enabling Discord as the README says, but forgetting the server ids: named, with the fix.
    config = (clone / "tandem.toml").read_text(encoding="utf-8")
    enabled = config.replace(
        "# Run the Discord adapter (see docs/discord.md for creating the application).\n"
        "enabled = false",
        "# Run the Discord adapter (see docs/discord.md for creating the application).\n"
        "enabled = true",
    )
    assert enabled != config
    (clone / "tandem.toml").write_text(enabled, encoding="utf-8")
    ran = tandem(clone, "run", env=env)
    assert ran.returncode == 2
    assert ran.stderr.splitlines() == [
        "tandem: the configuration has 1 problem(s):",
        "  - discord: guild_ids is required when discord is enabled: list the ids of the servers "
        "that are this community (Developer Mode on, right-click the server, Copy ID) (from "
        "tandem.toml and environment variable TANDEM_DISCORD__TOKEN)",
    ]

    # tandem migrate (with the server ids written in): the schema, said in words.
    (clone / "tandem.toml").write_text(
        enabled.replace("guild_ids = []", "guild_ids = [123456789012345678]"), encoding="utf-8"
    )
    migrated = tandem(clone, "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("tandem: created the database schema (revision ")
    assert (clone / "tandem.db").exists()
