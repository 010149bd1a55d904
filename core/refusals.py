"""Refused attempts in the audit log: who tried what, and what they typed, without letting one user fill it.

The first REFUSALS_KEPT refusals of a user within REFUSAL_WINDOW are each an entry; past that, one
summary entry per window counts the rest and keeps the last one tried. A user probing with forged
buttons or staff commands is still visible, with the number of tries, in a bounded number of rows.
"""

from __future__ import annotations

from datetime import timedelta

from core.session import Session
from storage import audit

REFUSED = "access.refused"
REPEATED = "access.refused.repeated"
REFUSALS_KEPT = 20
REFUSAL_WINDOW = timedelta(minutes=10)


async def record_refusal(session: Session, *, attempted: str, typed: str) -> None:
    conn, user, now = session.conn, session.user, session.now
    since = now - REFUSAL_WINDOW
    detail = {"attempted": attempted, "role": user.role.value, "typed": typed[:200]}
    if await audit.count_since(conn, user.id, REFUSED, since) < REFUSALS_KEPT:
        await session.audit(REFUSED, "user", user.id, **detail)
        return
    summary = await audit.latest_since(conn, user.id, REPEATED, since)
    if summary is None:
        await session.audit(REPEATED, "user", user.id, repeats=1, last_at=now.isoformat(), last=detail)
        return
    repeats = int(summary.detail.get("repeats", 0)) + 1
    await audit.replace_detail(conn, summary.id, {"repeats": repeats, "last_at": now.isoformat(), "last": detail})
