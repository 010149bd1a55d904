"""The replies of a turn as outbox rows, written in the turn's own transaction and sent by the one sender.

A kill after the commit therefore loses no answer, staff notice or relay: the sender finds the rows at the
next start. A reply goes to the chat the message came from unless it names its recipient; a reply that
edits the message whose button was pressed keeps that message's id. A reply whose file is still to be made
(`Reply.document_from`) is finished first, outside any transaction (`finish`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from aiosqlite import Connection

from core.messages import Recipient, Reply
from core.reply_codec import UnreadableReply, dump_reply, load_reply
from storage import outbox
from storage.outbox import OutboxRow, Priority, StoredReply

logger = logging.getLogger(__name__)


async def keep(
    conn: Connection, replies: Sequence[Reply], *, origin: Recipient, origin_message_id: str | None, now: datetime
) -> list[int]:
    """Queue the replies in order; returns their outbox ids."""
    ids = []
    for reply in replies:
        if reply.document_from is not None:
            raise ValueError(f"the file of {reply.template!r} must be made before the reply is kept (finish)")
        to = reply.to or origin
        stored = StoredReply(
            channel=to.channel,
            chat_id=to.chat_id,
            locale=to.locale,
            user_id=to.user_id,
            payload=dump_reply(reply if reply.to is None else replace(reply, to=None)),
            origin_message_id=origin_message_id if reply.to is None else None,
            priority=Priority.ANSWER if reply.to is None else Priority.NOTICE,
        )
        ids.append(await outbox.enqueue_reply(conn, stored, now))
    return ids


def unfinished(replies: Sequence[Reply]) -> bool:
    """Whether a reply still waits for its file to be made."""
    return any(reply.document_from is not None for reply in replies)


async def finish(replies: Sequence[Reply]) -> list[Reply]:
    """The replies with their files made, each in a worker thread: call it with no transaction open, so other
    chats, the sender and the scheduler use the database meanwhile, and the event loop keeps running."""
    finished = []
    for reply in replies:
        if reply.document_from is not None:
            document = await asyncio.to_thread(reply.document_from.make)
            reply = replace(reply, document=document, document_from=None)
        finished.append(reply)
    return finished


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
