"""The benchmarks still run: each script with a tiny load exits cleanly and prints its figures.

The figures themselves are not checked here (they depend on the machine); the scripts are run by
hand or with `make bench` for that. This catches a bench broken by a change in the code it drives.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMALL_RUNS = {
    "throughput.py": (["--chats", "3", "--think-ms", "5", "--rounds", "1"], "delegasi handling latency"),
    "faq.py": ([], "top-1"),
    "reminders.py": (
        ["--pending", "300", "--burst", "20", "--burst-seconds", "1", "--burst-after", "2"],
        "lateness p50",
    ),
    "broadcast.py": (["--recipients", "40", "--blocked", "1", "--injected-429", "1"], "lost 0, duplicates 0"),
    "export.py": (["--visits", "3", "--members", "20"], "another user's /start meanwhile"),
    "startup.py": (["--runs", "1"], "start-up to the console prompt"),
    "webhook.py": (["--users", "5", "--rate", "20", "--drain", "20"], "lost 0 duplicated 0"),
    "peak.py": (
        ["--delegations", "2", "--participants", "5", "--questions", "4", "--seconds", "2", "--drain", "20"],
        "answered; lost 0 (target 0)",  # every question answered: an answer that failed to render was lost here
    ),
}


@pytest.mark.parametrize("script", sorted(SMALL_RUNS))
def test_a_bench_runs_with_a_small_load(script: str, tmp_path: Path) -> None:
    arguments, expected = SMALL_RUNS[script]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout, done.stdout[-3000:]


def test_the_faq_bench_runs_at_a_larger_scale(tmp_path: Path) -> None:
    """bench/faq.py --scale: made-up entries, the index built twice, the questions asked (one small set here)."""
    faq_set = ROOT / "tests" / "data" / "faq_dev.yaml"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "faq.py"), "--scale", "2", "--set", str(faq_set)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "scale 2: 114 entries" in done.stdout and "faq_dev.yaml:  top-1" in done.stdout, done.stdout[-3000:]
