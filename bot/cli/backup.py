"""`python -m bot backup PATH`: a consistent copy of the database, safe while the bot is running."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Settings
from storage.db import backup_database


def run_backup(settings: Settings, target: Path) -> int:
    try:
        backup_database(settings.database_path, target)
    except FileNotFoundError as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return 1
    print(f"backed up {settings.database_path} to {target}")
    return 0
