"""The layer contract (tests/layers.py) holds for the code, and breaks for each kind of import it exists to
stop: shown on a small tree of the four packages with one bad import planted in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layers import LAYERS

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = Path(__file__).with_name("layers.py")


def check_layers(directory: Path) -> subprocess.CompletedProcess[str]:
    """The contract run on the packages found in `directory` (a process of its own: ours are imported here)."""
    environment = {**os.environ, "PYTHONPATH": str(directory)}
    return subprocess.run(
        [sys.executable, str(CONTRACT)], cwd=directory, env=environment, capture_output=True, text=True, timeout=120
    )


def test_the_code_keeps_every_rule() -> None:
    result = check_layers(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 of 3 rules broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("handlers/flow.py", "from storage import users", "handlers reach storage only through core"),
        ("handlers/flow.py", "import storage.users", "handlers reach storage only through core"),
        ("core/visits.py", "from handlers import flow", "imports point down the layers"),
        ("core/visits.py", "import bot.app", "imports point down the layers"),
        ("storage/users.py", "from core import visits", "imports point down the layers"),
        ("core/people.py", "import telegram", "core and handlers know no chat platform"),
        ("handlers/menu.py", "from jinja2 import Environment", "core and handlers know no chat platform"),
    ],
)
def test_a_planted_import_breaks_its_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name in ("handlers/flow.py", "handlers/menu.py", "core/visits.py", "core/people.py", "storage/users.py"):
        (tmp_path / name).write_text('"""A module of the tree."""\n')
    (tmp_path / "bot" / "app.py").write_text("import handlers.flow\nimport core.visits\nimport storage.users\n")
    assert check_layers(tmp_path).returncode == 0, "the tree before the planted import keeps every rule"

    (tmp_path / module).write_text(f"{line}\n")
    result = check_layers(tmp_path)
    assert result.returncode == 1
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout, result.stdout + result.stderr
