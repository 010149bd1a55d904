"""Before the bot takes a single update: the data directory can be written, and no other delegasi uses it.

Both failures end the start with one line naming the directory (`python -m bot` exits 2). Two processes on
one directory would both send (doubling the rate and duplicating what the other had in flight), and a
read-only directory would let the bot confirm updates it can never answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
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
def only_process(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data directory for as long as the bot runs (released by the kernel on exit)."""
    check_writable_directory(data_dir)
    path = data_dir / LOCK_FILE
    handle: TextIO = path.open("a+", encoding="ascii")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        pid = f" (pid {holder})" if holder.isdigit() else ""
        raise StartupError(f"another delegasi is already running on {data_dir}{pid}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
