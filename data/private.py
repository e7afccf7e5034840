"""Folders and files only their owner may read: the data directory, the SQLite database, the secret key."""

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create the folder (and its parents) as 0700; a folder that exists keeps its mode, with a warning if others may read it."""
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # the mode mkdir was given is filtered by the umask
    elif stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning('%s may be read by other users of this machine: chmod 700 it', path)
    return path


def private_file(path: Path, *, create: bool = True) -> Path:
    """Make the file 0600, creating it (empty) when it is missing, its folder exists and `create` is set."""
    if create and not path.exists() and path.parent.is_dir():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    if path.exists() and stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)
    return path
