"""How fast join codes can be guessed: per person, and for everyone while many wrong codes come in.

A join code has 40 bits, so guessing one needs very many checks; both limits keep the checks few.
They are counted from the wrong codes kept in storage, so a restart forgets nothing:

- **Per person.** LOCK_AFTER_FAILURES wrong codes within LOCK_WINDOW lock joining for LOCK_DURATION
  (even the right code waits). The person is their platform identity (channel and platform user id),
  not the user row: /hapusdata detaches the account and the next message starts a new user, so a count
  kept by user id started afresh after every erasure (erasing after every fourth guess gave unlimited
  guesses). The identity is kept only as an HMAC-SHA256 under a random key made once per installation
  (table install_keys): no name, id or typed code, so the counts are not personal data and stay through
  an erasure; they are pruned once older than any limit reads (KEPT_FOR). The key matters: a Telegram id
  has about ten digits, so a plain or fixed-salt hash is undone by trying them all; with the key only
  someone holding the database can test an id, and then only against the last two hours of wrong codes.
- **Everyone, under pressure.** Many accounts each under their own lock still add up (a thousand
  accounts with five guesses each). While more than PRESSURE_WRONG_CODES wrong codes came in from anyone
  within PRESSURE_WINDOW, each person may have one code checked per PRESSURE_PAUSE: a wrong code costs
  its guesser a pause, and an attempt within it is answered "too many attempts now, try again at …"
  without the code being looked at, so that answer says nothing about the code. A right code that is
  checked always opens, so someone who has not just typed a wrong code joins as usual; only someone who
  typed a wrong code less than a minute ago waits for the rest of it. A wrong code checked under
  pressure gets the same answer (not "unknown code"), so its words do not tell a guessing script which
  of the two happened. N accounts then get at most N checks a minute instead of 5·N, and still five an
  hour each.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from aiosqlite import Connection

from core.errors import DomainError, ValidationError
from storage.join_attempts import (
    failures_everywhere_since,
    failures_of,
    forget_failures_before,
    install_key,
    record_failure,
)

if TYPE_CHECKING:
    from core.session import Session

logger = logging.getLogger(__name__)

LOCK_AFTER_FAILURES = 5
"""Wrong codes within LOCK_WINDOW that lock a person out: room for a few typos, not for guessing."""
LOCK_WINDOW = timedelta(hours=1)
LOCK_DURATION = timedelta(hours=1)
"""How long the lock lasts: long enough that a locked guesser gains little by waiting."""

PRESSURE_WRONG_CODES = 30
"""Wrong codes from everyone within PRESSURE_WINDOW beyond which the pause applies. A busy day sees a few
hundred people join, nearly all with a link or a pasted code; thirty wrong ones in a minute is guessing."""
PRESSURE_WINDOW = timedelta(minutes=1)
PRESSURE_PAUSE = timedelta(minutes=1)
"""Under pressure, how long after a wrong code a person waits before the next code is checked."""

KEPT_FOR = LOCK_WINDOW + LOCK_DURATION
"""The oldest wrong code any limit reads; older rows are pruned (on every wrong code and by the daily job)."""

IDENTITY_KEY = "join_identity"
"""The install key (table install_keys) under which identities are hashed."""


async def identity_of(session: Session) -> bytes:
    """The keyed hash that stands for this person's platform identity in the counts."""
    key = await install_key(session.conn, IDENTITY_KEY, secrets.token_bytes(32))
    user = session.user
    return hmac.new(key, f"{user.channel}\0{user.external_id}".encode(), hashlib.sha256).digest()


async def admit(session: Session) -> bytes:
    """Check the person may have a code checked now; returns their identity, or refuses (locked, or paused)."""
    identity = await identity_of(session)
    now = session.now
    failures = await failures_of(session.conn, identity, now - KEPT_FOR)
    until = _locked_until(failures, now)
    if until is not None:
        raise DomainError("join/errors/locked", until=until)
    paused_until = _pause_after(failures[-1]) if failures else None
    if paused_until is not None and paused_until > now and await _under_pressure(session.conn, now):
        raise ValidationError("join/errors/busy", until=paused_until)
    return identity


async def refuse_wrong_code(session: Session, identity: bytes, typed: str) -> NoReturn:
    """Count a wrong code and answer it: locked, paused (under pressure) or unknown with the attempts left."""
    conn, now = session.conn, session.now
    await record_failure(conn, identity, now)
    await prune(conn, now)
    failures = await failures_of(conn, identity, now - KEPT_FOR)
    until = _locked_until(failures, now)
    if until is not None:
        logger.warning("join locked for user %s after %d wrong codes", session.user.id, LOCK_AFTER_FAILURES)
        raise DomainError("join/errors/locked", until=until)
    wrong_everywhere = await failures_everywhere_since(conn, now - PRESSURE_WINDOW)
    if wrong_everywhere == PRESSURE_WRONG_CODES + 1:
        logger.warning(
            "over %d wrong join codes in %d s: one code per person checked per %d s",
            PRESSURE_WRONG_CODES,
            PRESSURE_WINDOW.total_seconds(),
            PRESSURE_PAUSE.total_seconds(),
        )
    if wrong_everywhere > PRESSURE_WRONG_CODES:
        raise ValidationError("join/errors/busy", until=_pause_after(now))
    within_window = [at for at in failures if at > now - LOCK_WINDOW]
    raise ValidationError("join/errors/unknown_code", typed=typed, left=LOCK_AFTER_FAILURES - len(within_window))


async def prune(conn: Connection, now: datetime) -> int:
    """Forget wrong codes older than any limit reads (the daily job; a wrong code prunes too)."""
    return await forget_failures_before(conn, now - KEPT_FOR)


def _locked_until(failures: list[datetime], now: datetime) -> datetime | None:
    """When a person whose wrong codes are `failures` (oldest first) may try again (None: not locked)."""
    until: datetime | None = None
    for first, last in zip(failures, failures[LOCK_AFTER_FAILURES - 1 :], strict=False):
        if last - first <= LOCK_WINDOW:
            until = last + LOCK_DURATION
    return until if until is not None and until > now else None


async def _under_pressure(conn: Connection, now: datetime) -> bool:
    return await failures_everywhere_since(conn, now - PRESSURE_WINDOW) > PRESSURE_WRONG_CODES


def _pause_after(failure: datetime) -> datetime:
    """The end of the pause after a wrong code, rounded up to the minute the answer shows (it says 10:02, so
    a try at 10:02:05 must be checked)."""
    end = failure + PRESSURE_PAUSE
    whole = end.replace(second=0, microsecond=0)
    return whole if whole == end else whole + timedelta(minutes=1)
