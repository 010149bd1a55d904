"""The fake Bot API of tests/fake_bot_api.py in a process of its own, for the benches whose figures are the bot's:
Telegram does not run in the bot's process, and sharing its event loop and its CPU with the fake made the fake's
work look like the bot's.

    python bench/fake_bot_api_process.py TOKEN --rate 30 --blocked 500007,500104 --injected-429 3

Prints the base URL on a line of its own, then serves until a line (or the end of input) on stdin; then prints one
line of JSON: the sendMessage calls accepted per chat, the 429s of the rate limit, and the CPU seconds it used.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from tests.fake_bot_api import FakeBotApi


async def serve(token: str, rate: float | None, blocked: list[int], injected: int) -> None:
    fake = FakeBotApi(token, bot_username="delegasi_bench_bot", rate_limit_per_second=rate)
    await fake.start()
    for chat in blocked:
        fake.block_user(chat)
    if injected:
        fake.inject_fault("sendMessage", status=429, retry_after=1, times=injected)
    print(fake.base_url, flush=True)
    cpu_started = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    cpu = time.process_time() - cpu_started
    await fake.stop()
    per_chat = collections.Counter(m.chat_id for m in fake.sent if m.method == "sendMessage")
    report = {"sent": {str(chat): n for chat, n in per_chat.items()}, "rate_limited": fake.rate_limited, "cpu": cpu}
    print(json.dumps(report), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("token")
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--blocked", default="", help="chat ids, separated by commas")
    parser.add_argument("--injected-429", type=int, default=0)
    args = parser.parse_args()
    blocked = [int(chat) for chat in args.blocked.split(",") if chat]
    asyncio.run(serve(args.token, args.rate, blocked, args.injected_429))
    return 0


if __name__ == "__main__":
    sys.exit(main())
