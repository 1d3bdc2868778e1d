"""``tandem doctor``: is this installation ready to run, and if not, what to do about it.

It checks, changing nothing:

* the config: read and valid (a TOML error names the file, the line and the column), and the
  warnings ``tandem run`` would print (:func:`bot.config.config_warnings`);
* the database (:mod:`store.checkup`): reachable within a few seconds, its schema at the
  newest revision, writable by this user (a write that is rolled back);
* each enabled platform, by its adapter's own :meth:`~bot.adapter.Adapter.diagnose` (found by
  name like the adapters themselves, so what Discord or Matrix needs stays in ``adapters/``):
  the login, the rights the bot needs where it posts, and what else the platform needs.

Each check gives :class:`Finding` s: ``ok``, ``warn`` (it runs, but something is probably not
meant) or ``fail`` (something will not work), each with one line of what was found and, unless
it is ok, the fix. The exit status is 0 when nothing failed. Like every operator message of
``tandem``, the report is in English.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.adapter import load_adapter_class
from bot.config import ConfigError, Settings, config_warnings
from store.checkup import DatabaseCheckup, check_database

#: The exit status of a check that failed (a config that cannot be read exits with the CLI's
#: config status instead).
EXIT_UNWELL = 4
#: Platforms with something to check (the console needs nothing outside this machine).
PLATFORMS = ("discord", "matrix")


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One thing found: its status, what it concerns (``database``, ``discord`` …), what was
    found, and what to do about it."""

    status: Status
    subject: str
    text: str
    fix: str | None = None


def ok(subject: str, text: str) -> Finding:
    return Finding(Status.OK, subject, text)


def warn(subject: str, text: str, fix: str) -> Finding:
    return Finding(Status.WARN, subject, text, fix)


def fail(subject: str, text: str, fix: str) -> Finding:
    return Finding(Status.FAIL, subject, text, fix)


async def examine(settings: Settings, config: Path | None, *, debug: bool = False) -> list[Finding]:
    """Every finding about ``settings`` (read from ``config``): the config, the database, then
    each enabled platform, in that order (the checks run at once). A check that stops on an
    unexpected error is a finding too, unless ``debug`` asks for the error itself."""
    source = str(config) if config is not None else "no config file (the defaults)"
    enabled = [name for name in (*PLATFORMS, "console") if getattr(settings, name).enabled]
    findings = [
        ok("config", f"read {source}; adapters enabled: {', '.join(enabled) or 'none (console)'}")
    ]
    findings += [warn("config", text, fix) for text, fix in config_warnings(settings, source)]
    checks: dict[str, Awaitable[list[Finding]]] = {"database": _database(settings.database.url)}
    for name in PLATFORMS:
        if getattr(settings, name).enabled:
            checks[name] = load_adapter_class(name).diagnose(settings)
    results = await asyncio.gather(*checks.values(), return_exceptions=True)
    for subject, found in zip(checks, results, strict=True):
        if isinstance(found, Exception) and not debug:
            findings.append(_broke(subject, found))
        elif isinstance(found, BaseException):
            raise found
        else:
            findings += found
    return findings


def _broke(subject: str, error: Exception) -> Finding:
    """A check that stopped on something it does not know: said, and the others still run."""
    return fail(
        subject,
        f"the check stopped on an unexpected error ({type(error).__name__}: {error})",
        "run `tandem --debug doctor` to see where, and include that in a report",
    )


async def _database(url: str) -> list[Finding]:
    return database_findings(await check_database(url))


def database_findings(checkup: DatabaseCheckup) -> list[Finding]:
    """What the database's checkup means, and what to do."""
    where = checkup.where
    migrate = "Run `tandem migrate` (`tandem run` also migrates when it starts)."
    if checkup.missing_file:
        return [fail("database", f"{where} does not exist", f"{migrate} It creates the file.")]
    if checkup.unreachable is not None:
        cause, fix = checkup.unreachable
        return [fail("database", cause, fix)]
    found = [ok("database", f"{where} answers")]
    if not checkup.known:
        found.append(
            fail(
                "database",
                f"{where} is at schema revision {checkup.revision!r}, which this Tandem does not "
                f"know (it knows up to {checkup.head!r}): a newer Tandem wrote it",
                "Upgrade Tandem, or point database.url at another database.",
            )
        )
    elif checkup.revision is None:
        missing = f"{where} has no schema yet (this Tandem needs revision {checkup.head})"
        found.append(fail("database", missing, migrate))
    elif not checkup.migrated:
        found.append(
            fail(
                "database",
                f"{where} is at schema revision {checkup.revision}; this Tandem needs "
                f"{checkup.head}",
                migrate,
            )
        )
    else:
        found.append(ok("database", f"the schema is at the newest revision ({checkup.head})"))
    if checkup.write_error is not None:
        found.append(
            fail(
                "database",
                f"cannot write to {where}: {checkup.write_error}",
                "Let the bot's user write there: for SQLite the file and its folder, for "
                "PostgreSQL the database's tables and schema (GRANT … TO the user in "
                "database.url).",
            )
        )
    else:
        found.append(ok("database", "writable (a test write was rolled back)"))
    return found


def config_refused(error: ConfigError) -> list[Finding]:
    return [
        fail(
            "config",
            str(error),
            "Correct it (config.example.toml has every key with comments), then run "
            "`tandem doctor` again.",
        )
    ]


def report(findings: Sequence[Finding]) -> str:
    """The findings as the operator reads them, one line each, the fix indented below."""
    width = max(len(status.value) for status in Status)
    lines = ["tandem doctor:"]
    for finding in findings:
        text = finding.text.replace("\n", "\n" + " " * (width + 4))
        lines.append(f"  {finding.status.value:<{width}}  {finding.subject}: {text}")
        if finding.fix:
            lines.append(f"  {'':<{width}}  fix: {finding.fix}")
    failed = sum(finding.status is Status.FAIL for finding in findings)
    warned = sum(finding.status is Status.WARN for finding in findings)
    if failed:
        lines.append(f"{_count(failed, 'problem')} to fix, {_count(warned, 'warning')}.")
    elif warned:
        lines.append(f"All is well, with {_count(warned, 'warning')}.")
    else:
        lines.append("All is well.")
    return "\n".join(lines)


def exit_status(findings: Sequence[Finding]) -> int:
    return EXIT_UNWELL if any(f.status is Status.FAIL for f in findings) else 0


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"
