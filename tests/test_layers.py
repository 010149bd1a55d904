"""The layer contract (pyproject.toml, [tool.importlinter]) holds for the code, and breaks for each kind of
import it exists to stop: shown on a small tree of the four packages with one bad import planted in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("bot", "handlers", "core", "storage")


def lint_imports(directory: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(directory)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=directory, env=environment, capture_output=True, text=True, timeout=120
    )


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("handlers/flow.py", "from storage import users", "Handlers reach storage only through core"),
        ("core/visits.py", "from handlers import flow", "Imports point down the layers"),
        ("core/visits.py", "import bot.app", "Imports point down the layers"),
        ("storage/users.py", "from core import visits", "Imports point down the layers"),
        ("core/people.py", "import telegram", "Core and handlers know no chat platform"),
        ("handlers/menu.py", "from jinja2 import Environment", "Core and handlers know no chat platform"),
    ],
)
def test_a_planted_import_breaks_its_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name in ("handlers/flow.py", "handlers/menu.py", "core/visits.py", "core/people.py", "storage/users.py"):
        (tmp_path / name).write_text('"""A module of the tree."""\n')
    (tmp_path / "bot" / "app.py").write_text("import handlers.flow\nimport core.visits\nimport storage.users\n")
    assert lint_imports(tmp_path).returncode == 0, "the tree before the planted import keeps every contract"

    (tmp_path / module).write_text(f"{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout, result.stdout
