"""Before the bot takes a single update: the data directory can be written, and no other delegasi uses it.

Both failures end the start with one line naming the directory (`python -m bot` exits 2). Two processes on
one directory would both send (doubling the rate and duplicating what the other had in flight), and a
read-only directory would let the bot confirm updates it can never answer. Console sessions are the
exception: they share the directory, each sending only to its own user.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

LOCK_FILE = "delegasi.lock"


class StartupError(Exception):
    """The bot must not start; the message is the one line to print."""


def check_writable_directory(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-"):
            pass
    except OSError as error:
        raise StartupError(f"the data directory {data_dir} is not writable ({error.strerror or error})") from None


@contextlib.contextmanager
def only_process(data_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold a lock on the data directory for as long as the bot runs (released by the kernel on exit).

    Telegram and the web server hold it alone. Console sessions hold it `shared`: several terminals may chat
    on one database at once, each sending only its own user's messages (bot/channels/console.py), while a
    Telegram process and a console still refuse to run beside each other.
    """
    check_writable_directory(data_dir)
    with hold_lock(data_dir / LOCK_FILE, shared=shared, busy=f"another delegasi is already running on {data_dir}"):
        yield


@contextlib.contextmanager
def hold_lock(path: Path, *, shared: bool = False, busy: str) -> Iterator[None]:
    """Hold an flock on `path` (creating it) and write our pid in it; StartupError(`busy` and the holder's pid)
    when another process holds it in a way that excludes ours."""
    handle: TextIO = path.open("a+", encoding="ascii")
    if not _lock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX):
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        pid = f" (pid {holder})" if holder.isdigit() else ""
        raise StartupError(f"{busy}{pid}")
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


PROBE_GRACE = 0.2
"""Seconds a lock is tried again before it counts as taken: is_held takes one for an instant to look."""


def _lock(handle: TextIO, mode: int) -> bool:
    deadline = time.monotonic() + PROBE_GRACE
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
        time.sleep(0.02)


def is_held(path: Path) -> bool:
    """Whether a process holds `path` locked on its own (hold_lock, not shared), without waiting or creating it."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
