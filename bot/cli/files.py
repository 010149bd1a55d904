"""What every command line tool that writes a file does first: refuse to overwrite one without --force."""

from __future__ import annotations

import sys
from pathlib import Path


def would_overwrite(paths: list[Path], force: bool) -> bool:
    """Whether writing these files would overwrite one that exists, without `force`; each such file is named on
    stderr, and the caller then writes none of them (a report's chart without its summary is half a report)."""
    existing = [] if force else [path for path in paths if path.exists()]
    for path in existing:
        print(f"{path} exists: not overwritten (--force overwrites it)", file=sys.stderr)
    return bool(existing)
