"""Events of the core that parts outside the transaction act on, after it: the shell subscribes at start.

The reminder scheduler re-arms its job when a plan (or who follows it) changed, and the outbox sender
looks for new rows when messages were queued. Listeners only wake things up, so calling them before the
commit is harmless: what they then read is whatever has been committed.
"""

from __future__ import annotations

from collections.abc import Callable


class Signals:
    def __init__(self) -> None:
        self._plan_listeners: list[Callable[[], None]] = []
        self._outbox_listeners: list[Callable[[], None]] = []
        self._erasure_listeners: list[Callable[[], None]] = []

    def on_plan_changed(self, listener: Callable[[], None]) -> None:
        self._plan_listeners.append(listener)

    def on_outbox_changed(self, listener: Callable[[], None]) -> None:
        self._outbox_listeners.append(listener)

    def on_personal_data_removed(self, listener: Callable[[], None]) -> None:
        self._erasure_listeners.append(listener)

    def personal_data_removed(self) -> None:
        """Personal data was erased: copies of it in the write-ahead log should go (after the commit)."""
        for listener in self._erasure_listeners:
            listener()

    def plan_changed(self) -> None:
        for listener in self._plan_listeners:
            listener()

    def outbox_changed(self) -> None:
        for listener in self._outbox_listeners:
            listener()
