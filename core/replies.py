"""The replies of a turn as outbox rows, written in the turn's own transaction and sent by the one sender.

A kill after the commit therefore loses no answer, staff notice or relay: the sender finds the rows at the
next start. A reply goes to the chat the message came from unless it names its recipient; a reply that
edits the message whose button was pressed keeps that message's id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from aiosqlite import Connection

from core.messages import Recipient, Reply
from core.reply_codec import UnreadableReply, dump_reply, load_reply
from storage import outbox
from storage.outbox import OutboxRow, StoredReply

logger = logging.getLogger(__name__)


async def keep(
    conn: Connection, replies: Sequence[Reply], *, origin: Recipient, origin_message_id: str | None, now: datetime
) -> list[int]:
    """Queue the replies in order; returns their outbox ids."""
    ids = []
    for reply in replies:
        to = reply.to or origin
        stored = StoredReply(
            channel=to.channel,
            chat_id=to.chat_id,
            locale=to.locale,
            user_id=to.user_id,
            payload=dump_reply(replace(reply, to=None)),
            origin_message_id=origin_message_id if reply.to is None else None,
        )
        ids.append(await outbox.enqueue_reply(conn, stored, now))
    return ids


async def compose_reply(conn: Connection, row: OutboxRow) -> Reply | None:
    """The outbox composer for a kept reply: the Reply as the turn made it, addressed to its recipient."""
    stored = row.reply
    if stored is None or not stored.payload:
        return None
    try:
        reply = load_reply(stored.payload)
    except UnreadableReply as error:  # kept by a version whose types are gone: nothing sensible to send
        logger.error("outbox row %s holds a reply this version cannot read (%s); dropped", row.id, error)
        return None
    return replace(reply, to=Recipient(stored.channel, stored.chat_id, stored.locale, stored.user_id))


def origin_message_of(row: OutboxRow) -> str | None:
    return row.reply.origin_message_id if row.reply is not None else None
