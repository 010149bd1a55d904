"""Open the database with the pragmas we rely on, apply numbered migrations, take online backups."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.iterdir()):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps: {versions}")
    return found


BUSY_RETRY_EVERY = 0.001
"""Seconds an inline connection waits, on its event loop, before trying again a statement that found SQLite's write
lock taken by another connection (InlineConnection._execute)."""


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection with every call run at once in the calling thread, blocking its event loop, instead of
    on a worker thread of its own. A statement handed to a worker and back cost 45-60 µs and waited twice for the
    GIL (every thread's statements take turns at it), against a few µs for the statement itself: the bot's
    statements are short (indexed, a few rows), and its process is the one writer of its database but for the web
    thread's short transactions (bot/web.py, which opens one of these on its own loop). It relies on aiosqlite
    making every call through Connection._execute (tests/test_web.py checks it).

    So that the loop never blocks waiting for the write lock, the connection is opened with no busy timeout
    (`open_database`), and a statement that finds the lock taken while no transaction of this connection is open
    (so the statement did nothing: the implicit BEGIN IMMEDIATE, or a read, failed) is tried again every
    BUSY_RETRY_EVERY seconds on the event loop, for up to BUSY_TIMEOUT_MS, as SQLite's busy handler would in a
    worker thread."""

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._open().__await__()

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if connection is None:
            raise ValueError("Connection closed")
        if connection.in_transaction:  # this connection holds the write lock: nothing to wait for
            return fn(*args, **kwargs)
        deadline: float | None = None
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or connection.in_transaction:
                    raise
                now = time.monotonic()
                deadline = deadline if deadline is not None else now + BUSY_TIMEOUT_MS / 1000
                if now >= deadline:
                    raise
            await asyncio.sleep(BUSY_RETRY_EVERY)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def connect(path: Path | str, *, inline: bool = True) -> aiosqlite.Connection:
    """Open (creating if needed) the database in WAL mode with foreign keys and a busy timeout; as an InlineConnection
    unless `inline` is False (then aiosqlite's own, with a worker thread)."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE: the sqlite3 module begins a write transaction by itself right before the first
    # INSERT/UPDATE/DELETE (no extra round trip), and a unit of work that only reads never begins one.
    if inline:
        conn: aiosqlite.Connection = await InlineConnection(
            partial(sqlite3.connect, str(path), isolation_level="IMMEDIATE"), iter_chunk_size=64
        )
    else:
        conn = await aiosqlite.connect(str(path), isolation_level="IMMEDIATE")
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA secure_delete = ON")  # erased personal data is zeroed, not left in free space
    except BaseException:
        await conn.close()  # its worker thread would keep the process alive
        raise
    return conn


async def migrate(conn: aiosqlite.Connection, directory: Path = MIGRATIONS_DIR) -> int:
    """Apply every migration newer than the recorded schema version, each in its own transaction."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    for migration in available_migrations(directory):
        if migration.version <= current:
            continue
        script = migration.path.read_text(encoding="utf-8")
        stamp = datetime.now(UTC).isoformat()
        await conn.executescript(
            f"BEGIN;\n{script}\nINSERT INTO schema_version (version, applied_at) "
            f"VALUES ({migration.version}, '{stamp}');\nCOMMIT;"
        )
        logger.info("applied migration %s", migration.path.name)
        current = migration.version
    return current


class DatabaseUnavailable(Exception):
    """The database cannot be opened, migrated or written; the message says which and why, in one line."""


async def check_writable(conn: aiosqlite.Connection) -> None:
    """Write and roll back: a read-only file or directory fails here, before any update is taken.

    Taking the write lock alone is not enough: SQLite opens a file it may not write read-only, silently,
    and only a statement that writes finds out.
    """
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute("UPDATE schema_version SET applied_at = applied_at")
    finally:
        await conn.rollback()


async def open_database(path: Path | str, *, inline: bool = True) -> aiosqlite.Connection:
    """Open, migrate and check the database can be written; anything in the way is DatabaseUnavailable. `inline` (an
    InlineConnection): with no busy timeout once migrated (its statements wait for the write lock on the event
    loop), and without SQLite's automatic checkpoints, which would run in the commit that crosses 1000 pages of
    log and block the loop meanwhile (20-45 ms): a Database's Checkpointer does them in a worker thread."""
    try:
        conn = await connect(path, inline=inline)
    except (sqlite3.Error, OSError) as error:
        raise DatabaseUnavailable(f"cannot use the database {path}: {error}") from error
    try:
        await migrate(conn)
        await check_writable(conn)
        if inline:
            await conn.execute("PRAGMA busy_timeout = 0")
            await conn.execute("PRAGMA wal_autocheckpoint = 0")
    except (sqlite3.Error, OSError) as error:
        await conn.close()
        raise DatabaseUnavailable(f"cannot use the database {path}: {error}") from error
    return conn


CHECKPOINT_EVERY = 100
"""Commits of a Database between two checkpoints of the write-ahead log (a turn writes 5-10 pages: about the 1000
pages of SQLite's own wal_autocheckpoint)."""


class Checkpointer:
    """Copies the write-ahead log back into the database file in a worker thread, on a connection of its own.

    A PASSIVE checkpoint every CHECKPOINT_EVERY commits keeps the log short without waiting for anyone: writers go
    on meanwhile, and it copies what no reader still needs. `truncate` copies everything and empties the log file,
    waiting (in its thread) for the readers under way.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._guard = threading.Lock()  # one checkpoint at a time on the connection
        self._commits = 0
        self._running: asyncio.Task[None] | None = None

    def committed(self) -> None:
        """A transaction of the Database committed: start a checkpoint when it is time and none is under way."""
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and (self._running is None or self._running.done()):
            self._commits = 0
            self._running = asyncio.get_running_loop().create_task(self._passive(), name="wal-checkpoint")

    async def truncate(self) -> None:
        await asyncio.to_thread(self._checkpoint, "TRUNCATE")

    async def close(self) -> None:
        """Wait for the checkpoint under way, then close the connection."""
        if self._running is not None:
            await self._running
        with self._guard:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    async def _passive(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint, "PASSIVE")
        except Exception:  # the next one tries again; the log only grows meanwhile
            logger.exception("checkpointing the write-ahead log failed")

    def _checkpoint(self, mode: str) -> None:
        with self._guard:
            if self._conn is None:
                self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()


def backup_database(source: Path, target: Path) -> None:
    """Write a consistent copy with SQLite's online backup API, safe while the bot is running."""
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        src.backup(dst)
    finally:
        dst.close()
        src.close()


class Database:
    """The one shared connection, used one transaction at a time.

    Two coroutines could interleave statements inside each other's transactions; the lock makes each unit of work
    (usually: one incoming message) a transaction of its own that commits or rolls back as a whole. The
    transaction begins implicitly at the unit's first write, so read-only units cost no commit. The connection is
    an InlineConnection (its statements run in the calling thread, on the event loop) whose log is checkpointed
    in a worker thread (Checkpointer).
    """

    def __init__(self, conn: aiosqlite.Connection, checkpointer: Checkpointer | None = None) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()
        self._checkpointer = checkpointer

    @classmethod
    async def open(cls, path: Path | str, *, inline: bool = True, checkpoints: bool = True) -> Database:
        """`checkpoints` False: a second connection to a database whose other connection checkpoints it (the web
        thread's, which only writes: bot/web.py); `inline` False: aiosqlite's connection with its worker thread,
        checkpointed by SQLite in its commits."""
        checkpointer = Checkpointer(path) if inline and checkpoints and str(path) != ":memory:" else None
        return cls(await open_database(path, inline=inline), checkpointer)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    await self.conn.rollback()
                raise
            else:
                if self.conn.in_transaction:
                    await self.conn.commit()
                    self._committed()

    @contextlib.asynccontextmanager
    async def writing(self, *, retry_every: float = 0.001) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction that takes SQLite's write lock first (BEGIN IMMEDIATE), trying again every `retry_every`
        seconds while another connection holds it, for up to BUSY_TIMEOUT_MS (then sqlite3.OperationalError).
        For a connection opened `inline`: its loop goes on meanwhile, and SQLite's own busy handler, which sleeps
        1, 2, 5, 10, 15, 20, 25 ms between tries, kept missing the gaps between the other connection's writes."""
        async with self._lock:
            deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            while True:
                try:
                    await self.conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as error:
                    if not _is_busy(error) or time.monotonic() >= deadline:
                        raise
                await asyncio.sleep(retry_every)
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()
                self._committed()

    def _committed(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.committed()

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it (after personal data was removed: the
        log would otherwise keep copies of the erased values until SQLite checkpoints by itself)."""
        async with self._lock:
            if self._checkpointer is not None:
                await self._checkpointer.truncate()
            else:
                await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.close()
        await self.conn.close()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or one of its kinds: another connection holds the lock ("database is locked")."""
    return error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()) -> aiosqlite.Row | None:
    """One row in a single round trip to the database thread (a cursor would take three)."""
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)  # type: ignore[arg-type]


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
    return list(await conn.execute_fetchall(sql, params))  # type: ignore[arg-type]
