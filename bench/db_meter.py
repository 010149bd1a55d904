"""What a bench's subject asks of its database, counted: used by bench/broadcast.py (per message delivered) and
bench/throughput.py (per update). Counts do not move with the machine's load as times do, so a change that saves a
statement shows at once."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from storage.db import Database


class Meter:
    """What a subject asks of its database: transactions committed (SQLite's own COMMITs, seen by the trace
    callback), units of work (Database.transaction) and trips to the database (aiosqlite's calls).

    Counting is not free: SQLite writes out every statement with its values for the trace callback, and each trip
    goes through one more call. Measured on the throughput bench, a metered run cost about 15 % more CPU per update,
    so a bench that times its subject counts in a run of its own (detach between them)."""

    def __init__(self) -> None:
        self.statements: collections.Counter[str] = collections.Counter()
        self.units = 0
        self.trips = 0
        self._undo: Callable[[], Any] | None = None

    async def attach(self, database: Database) -> None:
        conn = database.conn
        raw = conn._connection  # the sqlite3 connection, set up on its own thread as aiosqlite does every call
        assert raw is not None
        await conn._execute(raw.set_trace_callback, self._traced)
        execute: Callable[..., Any] = conn._execute
        transaction = database.transaction

        def undo() -> None:
            raw.set_trace_callback(None)
            del conn._execute  # the instance attributes set below: the class's methods show through again
            del database.transaction

        self._undo = undo

        async def counted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            self.trips += 1
            return await execute(fn, *args, **kwargs)

        conn._execute = counted  # type: ignore[method-assign]

        @contextlib.asynccontextmanager
        async def unit() -> AsyncIterator[Any]:
            self.units += 1
            async with transaction() as c:
                yield c

        database.transaction = unit  # type: ignore[method-assign]

    def detach(self) -> None:
        """Stop counting (what was counted stays); the database runs as it did before attach."""
        if self._undo is not None:
            self._undo()
            self._undo = None

    def _traced(self, statement: str) -> None:
        self.statements[statement.split(None, 1)[0].upper()] += 1

    def reset(self) -> None:
        self.statements.clear()
        self.units = self.trips = 0

    def per(self, count: int) -> str:
        """The counts divided by `count` (updates, messages), as one line's worth."""
        n = max(count, 1)
        kinds = ", ".join(f"{self.statements[k] / n:.2f} {k}s" for k in ("SELECT", "INSERT", "UPDATE", "DELETE"))
        return (
            f"{self.statements['COMMIT'] / n:.2f} transactions, {self.units / n:.2f} units of work, "
            f"{self.trips / n:.2f} trips to the database ({kinds})"
        )
