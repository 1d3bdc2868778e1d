"""Files the bot keeps for itself (its data directory, console exports): private to the bot's
user whatever the umask, since they hold members' data and the bot's keys.

Directories are 0700 and files 0600. An existing directory or file is tightened to that, so a
data directory made by an older version, or by hand, stops being readable by others.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` as a directory only the bot's user can enter; missing parents are made so too."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    path.chmod(PRIVATE_DIR)  # mkdir's mode is cut by the umask, and old folders keep theirs
    return path


def data_dir(configured: Path, *parts: str) -> Path:
    """A private folder in the bot's data directory (``bot.data_dir``), itself kept private."""
    folder = private_dir(Path(configured).expanduser())
    for part in parts:
        folder = private_dir(folder / part)
    return folder


def write_private(path: Path, content: bytes) -> None:
    """Write a file only the bot's user can read (replacing one that was there)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(descriptor, PRIVATE_FILE)  # a file that existed keeps its old mode otherwise
        file.write(content)


def remove_tree(path: Path) -> None:
    """Delete a folder and everything in it, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
