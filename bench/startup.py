"""The cost of one start: `python -m bot` with nothing configured, from launch to the console's first prompt.

    .venv/bin/python bench/startup.py [--runs 3] [--busy] [--pause 2]

Each run starts the real process as a user would (a fresh DATA_DIR in a temporary directory, no .env and none of
the settings of .env.example in its environment, the console on a terminal: stdin is a pseudo-terminal, so the
console is interactive and prints its prompt), and waits for the prompt ("\\n> ") on its stdout. At that moment
it reads the process's VmRSS from /proc/<pid>/status, and the CPU time it used (all its threads, user and system,
from /proc/<pid>/stat): what the start costs, whatever else the machine runs. It then types a question at once
(the worst case for what the console builds after its prompt: the knowledge index is still being built) and
`/start`, timing each answer up to the next prompt, and ends the session with /keluar, which must exit 0. One
more run types its question `--pause` seconds after the prompt, as a person who reads the banner first would:
that answer should be as fast as any later one.

One run before the counted ones warms the disk cache and writes the bytecode cache, as any installed bot has
(the child runs without PYTHONDONTWRITEBYTECODE). `--busy` runs the registration tests in a loop beside the
measured runs, to see the figures on a loaded machine.

Targets: every run's prompt <= 1.0 s and RSS at the prompt <= 80 MB (issue 14 measured 2.1 s). PASS means every
run met the target, not the median.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = b"\n> "
TARGET_PROMPT_S = 1.0
TARGET_RSS_MB = 80.0
QUESTION = "jam buka mal pelayanan publik?"
TIMEOUT_S = 30.0
BUSY_LOAD = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_registration.py"]


@dataclass(frozen=True)
class Run:
    prompt_s: float
    rss_mb: float
    cpu_s: float
    question_s: float
    start_s: float
    rss_after_mb: float
    exit_s: float
    pause_s: float = 0.0


def settings_names() -> set[str]:
    """Every setting .env.example documents: none of them reaches the child, so it starts as on a fresh machine."""
    names = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        found = re.match(r"#?\s*([A-Z][A-Z0-9_]+)=", line)
        if found:
            names.add(found.group(1))
    return names


def child_environment(data_dir: Path) -> dict[str, str]:
    hidden = settings_names()
    env = {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT)
    env["DATA_DIR"] = str(data_dir)
    return env


def cpu_seconds(pid: int) -> float:
    """User and system time of the process so far, every thread's (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Session:
    """The child's stdout as it comes, read until the next prompt."""

    def __init__(self, process: subprocess.Popen[bytes], terminal: int) -> None:
        assert process.stdout is not None
        self.process = process
        self.terminal = terminal
        self.output = b""
        self._stdout = process.stdout
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ)
        os.set_blocking(self._stdout.fileno(), False)

    def until_prompt(self) -> float:
        """Wait for the next prompt; the moment it came (perf_counter)."""
        seen = len(self.output)
        deadline = time.perf_counter() + TIMEOUT_S
        while True:
            if len(self.output) > seen and self.output.endswith(PROMPT):
                return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0 or self.process.poll() is not None:
                raise RuntimeError(f"no prompt (exit {self.process.poll()}); output so far: {self.output[-600:]!r}")
            for _key, _ in self._selector.select(timeout=left):
                chunk = self._stdout.read(65536)
                if chunk:
                    self.output += chunk

    def type(self, line: str) -> float:
        """Type a line as a user would; the moment it was typed."""
        typed = time.perf_counter()
        os.write(self.terminal, line.encode() + b"\n")
        return typed

    def close(self) -> None:
        self._selector.close()


@contextlib.contextmanager
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal without echo: (the end we type into, the end the child reads as its stdin)."""
    ours, theirs = os.openpty()
    attributes = termios.tcgetattr(theirs)
    attributes[3] &= ~termios.ECHO
    termios.tcsetattr(theirs, termios.TCSANOW, attributes)
    try:
        yield ours, theirs
    finally:
        os.close(ours)
        with contextlib.suppress(OSError):
            os.close(theirs)


def one_run(pause: float = 0.0) -> Run:
    with tempfile.TemporaryDirectory(prefix="delegasi-startup-") as tmp, terminal() as (ours, theirs):
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            stdin=theirs,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp,
            env=child_environment(data_dir),
        )
        os.close(theirs)
        session = Session(process, ours)
        try:
            prompt = session.until_prompt() - started
            rss = vm_rss_mb(process.pid)
            cpu = cpu_seconds(process.pid)
            time.sleep(pause)
            asked = session.type(QUESTION)
            question = session.until_prompt() - asked
            asked = session.type("/start")
            start = session.until_prompt() - asked
            rss_after = vm_rss_mb(process.pid)
            leaving = session.type("/keluar")
            _, errors = process.communicate(timeout=TIMEOUT_S)
            left = time.perf_counter() - leaving
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            session.close()
        if process.returncode != 0:
            raise RuntimeError(f"/keluar exited {process.returncode}: {errors.decode()[-2000:]}")
        return Run(prompt, rss, cpu, question, start, rss_after, left, pause)


@contextlib.contextmanager
def busy(enabled: bool) -> Iterator[None]:
    """With `enabled`, the registration tests run in a loop (in a process group of their own) until the block ends."""
    if not enabled:
        yield
        return
    loop = f"while :; do {' '.join(BUSY_LOAD)} >/dev/null 2>&1; done"
    load = subprocess.Popen(["bash", "-c", loop], cwd=ROOT, start_new_session=True)
    try:
        time.sleep(3.0)  # the first test run is under way
        yield
    finally:
        os.killpg(load.pid, signal.SIGTERM)
        load.wait()


def verdict(worst: float, target: float) -> str:
    return "PASS" if worst <= target else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", action="store_true", help="run the registration tests in a loop meanwhile")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds before the question of the last run")
    args = parser.parse_args(argv)
    try:
        warm = one_run()
        print(f"warm-up run (not counted): prompt {warm.prompt_s:.2f} s")
        with busy(args.busy):
            load = os.getloadavg()[0]
            runs = []
            for number in range(1, args.runs + 1):
                run = one_run()
                runs.append(run)
                print(
                    f"run {number}: prompt {run.prompt_s:.3f} s (CPU {run.cpu_s:.2f} s), RSS {run.rss_mb:.1f} MB; "
                    f"then a question answered in {run.question_s:.3f} s, /start in {run.start_s:.3f} s "
                    f"(RSS {run.rss_after_mb:.1f} MB); /keluar exit 0 in {run.exit_s:.2f} s"
                )
            paused = one_run(args.pause)
    except RuntimeError as error:
        print(f"ERROR: {error}")
        return 1
    prompts = [r.prompt_s for r in runs]
    rss = [r.rss_mb for r in runs]
    cpu = [r.cpu_s for r in runs]
    busy_note = ", busy (the registration tests in a loop)" if args.busy else ""
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at the first counted run{busy_note}")
    print(
        f"start-up to the console prompt: median {statistics.median(prompts):.3f} s, "
        f"{min(prompts):.3f}-{max(prompts):.3f} (spread {max(prompts) - min(prompts):.3f} s), "
        f"target <= {TARGET_PROMPT_S:g} s: {verdict(max(prompts), TARGET_PROMPT_S)}"
    )
    print(f"CPU time to the prompt: median {statistics.median(cpu):.2f} s, {min(cpu):.2f}-{max(cpu):.2f}")
    print(
        f"RSS at the prompt: median {statistics.median(rss):.1f} MB, {min(rss):.1f}-{max(rss):.1f} "
        f"(spread {max(rss) - min(rss):.1f} MB), target <= {TARGET_RSS_MB:g} MB: {verdict(max(rss), TARGET_RSS_MB)}"
    )
    print(
        f"first answers, typed at the prompt: a question max {max(r.question_s for r in runs):.3f} s, "
        f"/start max {max(r.start_s for r in runs):.3f} s; a question typed {paused.pause_s:g} s after the prompt "
        f"(prompt {paused.prompt_s:.3f} s): {paused.question_s:.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
