"""The systemd unit in ``deploy/``: ``systemd-analyze verify`` accepts it, and the command its
``ExecStart`` names, started as systemd would (in its working directory, with the config it
names, here a throwaway one), comes up and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import pty
import select
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from store.migrate import head_revision
from tests.support.required import E2E, service_missing

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "tandem.service"
TANDEM = Path(sys.executable).parent / "tandem"  # the entry point ./dev installs


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def exec_start() -> list[str]:
    (command,) = unit_settings()["ExecStart"]
    return shlex.split(command)


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    if not Path(found).exists():
        service_missing("systemd-analyze is not installed (apt-get install systemd)", E2E)
    return found


def test_the_unit_runs_tandem_unprivileged_hardened_and_restarting() -> None:
    settings = unit_settings()
    assert exec_start()[-1] == "run"
    assert settings["User"] == ["tandem"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["StateDirectory"] == ["tandem"]
    assert settings["WorkingDirectory"] == ["/var/lib/tandem"]
    assert settings["EnvironmentFile"] == ["/etc/tandem/tandem.env"]
    assert settings["RestartPreventExitStatus"] == ["2"]  # a config error: restarting won't help
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "ReadWritePaths": "/var/lib/tandem",
        "CapabilityBoundingSet": "",
    }.items():
        assert settings[key] == [value], key
    assert "@system-service" in settings["SystemCallFilter"]
    assert settings["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    # verify checks that ExecStart's program exists: the copy names the one installed here.
    copy = tmp_path / "tandem.service"
    copy.write_text(UNIT.read_text().replace(exec_start()[0], str(TANDEM)))
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    # It does find faults: a misspelt setting is reported.
    copy.write_text(copy.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert "Failed to parse service restart specifier" in result.stderr


def read_until(fd: int, text: str, within: float = 30.0) -> str:
    seen = b""
    deadline = time.monotonic() + within
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{text!r} did not appear; output:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed: the process ended
                chunk = b""
            assert chunk, f"ended before {text!r}; output:\n{seen.decode(errors='replace')}"
            seen += chunk
    return seen.decode(errors="replace")


def test_the_command_of_execstart_comes_up_and_stops_cleanly(tmp_path: Path) -> None:
    """No adapter enabled, in a terminal: ``tandem run`` starts the console; on SIGTERM (what
    ``systemctl stop`` sends) it stops with status 0, leaving a migrated, private database in
    the working directory."""
    state = tmp_path / "var-lib-tandem"
    state.mkdir(mode=0o700)
    config = tmp_path / "tandem.toml"
    config.write_text('[bot]\ndefault_locale = "en"\n')
    argv = exec_start()
    assert argv[1:3] == ["--config", "/etc/tandem/tandem.toml"]
    argv = [str(TANDEM), "--config", str(config), *argv[3:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        argv, cwd=state, env=env, stdin=terminal, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    try:
        output = read_until(controller, "Tandem console. You are speaking as")
        assert "no adapter is enabled" in output
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    database = state / "tandem.db"
    assert database.stat().st_mode & 0o777 == 0o600
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )
    finally:
        connection.close()
