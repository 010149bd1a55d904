"""How long a message is worth trying to deliver while the platform fails (network errors, 5xx).

Past that time a message still undelivered would mislead or annoy more than help: an answer to a question
asked an hour ago in a chat that has moved on, a broadcast about this morning's bus in the evening, a
reminder after its event. Until then the sender keeps retrying with backoff; after it, the row is recorded
as failed ("no longer useful") and the log says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.messages import Reply
from storage.outbox import OutboxKind, Priority

ANSWER_WORTH_FOR = timedelta(minutes=10)
"""An answer to what someone just typed: a person waits for it, for minutes at most."""
NOTICE_WORTH_FOR = timedelta(hours=24)
"""A notice to another chat (staff told of a request or a question, an answer relayed): read when it comes."""
BROADCAST_WORTH_FOR = timedelta(hours=6)
"""A broadcast speaks of the visit's day: hours, not days."""

_WORTH_FOR_BY_KIND = {
    OutboxKind.BROADCAST: BROADCAST_WORTH_FOR,
    OutboxKind.BROADCAST_REPORT: NOTICE_WORTH_FOR,
    OutboxKind.REMINDER: BROADCAST_WORTH_FOR,  # and never past the reminder's own useful_until
}


def worth_sending_until(kind: OutboxKind, priority: Priority, queued_at: datetime, reply: Reply) -> datetime:
    """Until when a message queued at `queued_at` is still worth delivering (see the module's docstring)."""
    if kind is OutboxKind.REPLY:
        worth_for = ANSWER_WORTH_FOR if priority is Priority.ANSWER else NOTICE_WORTH_FOR
    else:
        worth_for = _WORTH_FOR_BY_KIND[kind]
    until = queued_at + worth_for
    return min(until, reply.useful_until) if reply.useful_until is not None else until
