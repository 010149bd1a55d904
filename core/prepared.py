"""A read-only part of the application that is costly to build and not needed to start: built once, on first use.

The knowledge index (stemming every entry: ~0.4 s) and the gazetteer are what a question needs, not what the
console needs to show its prompt. So they are `Prepared`: the console builds them in a worker thread just after
its prompt (`bot.app.Core.prepare`), the rest as they build, before their first update; whatever asks first, in
whichever thread, gets the one built then or waits for the build under way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Prepared(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._built: tuple[T] | None = None  # a tuple, so that a part that is None still counts as built

    @property
    def is_built(self) -> bool:
        return self._built is not None

    def get(self) -> T:
        """The part; built here, in the caller's thread, if nobody has, else after the build under way.
        A build that raised is tried again by the next caller."""
        built = self._built
        if built is None:
            with self._lock:
                built = self._built
                if built is None:
                    built = self._built = (self._build(),)
        return built[0]

    async def ready(self) -> T:
        """The part, built in a worker thread if it is not yet, so the event loop goes on meanwhile."""
        built = self._built
        if built is not None:
            return built[0]
        return await asyncio.to_thread(self.get)
