"""`python -m bot faq export`: the staff answers saved as bot answers, written as content/knowledge/ YAML files for a
reviewer (core/knowledge/learned_export.py says what each file holds and what is left to the reviewer).

One file per entry, DIR/<kind folder>/<id>.yaml; none is written when any of them exists, unless --force.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.cli.files import would_overwrite
from bot.config import Settings
from core.faq import exportable
from core.knowledge.learned_export import ExportedFile, export_file
from core.knowledge.text import Lexicon
from core.model import Database

DEFAULT_DIR = Path("faq-export")


def run_faq_export(
    settings: Settings,
    output_dir: Path = DEFAULT_DIR,
    *,
    force: bool = False,
    include_retired: bool = False,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    if not settings.database_path.is_file():  # a mistyped DATA_DIR should say so, not export nothing
        print(f"no database at {settings.database_path} (check DATA_DIR)", file=sys.stderr)
        return 1
    files = asyncio.run(_exported(settings, include_retired))
    paths = [output_dir / Path(*file.path.parts) for file in files]
    if would_overwrite(paths, force):
        return 1
    for path, file in zip(paths, files, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.text, encoding="utf-8")
        print(f"wrote {path}", file=out)
    retired = " (retired ones included)" if include_retired else ""
    print(f"{len(files)} saved answers exported to {output_dir}{retired}", file=out)
    return 0


async def _exported(settings: Settings, include_retired: bool) -> list[ExportedFile]:
    lexicon = Lexicon.load()
    database = await Database.open(settings.database_path)
    try:
        async with database.transaction() as conn:
            found = await exportable(conn, include_retired=include_retired)
    finally:
        await database.close()
    return [export_file(learned, name, lexicon, settings.tz) for learned, name in found]
