"""`python -m bot backup PATH`: a consistent copy of the database, safe while the bot is running."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.cli.files import would_overwrite
from bot.config import Settings
from storage.db import backup_database


def run_backup(settings: Settings, target: Path, *, force: bool = False) -> int:
    """Copy the database to `target`; an existing file there only with `force`."""
    if would_overwrite([target], force):
        return 1
    if settings.database_path.is_file():  # (else nothing is touched: the backup fails below)
        for path in (target, *(target.with_name(target.name + suffix) for suffix in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)  # a new copy, not pages written over another file (or its old log)
    try:
        backup_database(settings.database_path, target)
    except FileNotFoundError as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    print(f"backed up {settings.database_path} to {target}")
    return 0
