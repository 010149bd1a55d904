"""/ekspor reads its rows in the turn's transaction and makes the workbook after it, with the database free.

A crowded December (30 visits of 100 participants each, inserted straight through storage) makes a workbook
of seconds of CPU. While it is being made, another user's /start and a plain transaction go through: the
build is held at a gate that opens only once they are done, so the test proves the order instead of timing
it. A kill while the file is made leaves the /ekspor in the inbox, answered at the next start, and once.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from bot.app import Core
from core import inbox
from core.inbox import InboxKey
from core.messages import Document, Incoming
from core.records.exports import ExportSnapshot
from storage.audit import entries_with_action
from storage.delegations import NewDelegation, VisitMode, insert_delegation
from storage.participants import insert_participant
from storage.users import Role, upsert_user
from tests.support import ChatUser, Recorder

VISITS, MEMBERS = 30, 100
GATE_TIMEOUT = 10.0  # seconds: only so a regression fails instead of hanging; never reached when the lock is free


async def crowded_december(core: Core, visits: int = VISITS, members: int = MEMBERS) -> None:
    """Delegations in December, each with the same participants joined."""
    now = core.services.clock.now()
    async with core.database.transaction() as conn:

        async def user(name: str) -> int:
            created = await upsert_user(
                conn, channel="console", external_id=name, chat_id=name, display_name=name,
                default_language="id", role=Role.MEMBER, now=now,
            )  # fmt: skip
            return created.id

        coordinator = await user("koordinator")
        joined = [await user(f"peserta-{n}") for n in range(members)]
        for visit in range(visits):
            arrival = date(2026, 12, 1) + timedelta(days=visit)
            new = NewDelegation(
                f"Pemkab Uji {visit}", "32", "Bupati Uji", "Bupati", members, VisitMode.ONSITE, arrival, arrival,
                ("public-services",), None, "Narahubung", "+6281234567890",
            )  # fmt: skip
            delegation = await insert_delegation(
                conn, new, join_code=f"UJI{visit:05d}", coordinator_id=coordinator, now=now
            )
            for n, member in enumerate(joined):
                await insert_participant(
                    conn, delegation_id=delegation.id, user_id=member, name=f"Peserta {n}", position="Staf",
                    unit=None, now=now,
                )  # fmt: skip


@dataclass
class Gate:
    """Holds every export's file at the start of its making until opened; says when making began and ended."""

    building: asyncio.Event = field(default_factory=asyncio.Event)
    opened: threading.Event = field(default_factory=threading.Event)
    order: list[str] = field(default_factory=list)

    def open(self) -> None:
        self.opened.set()


@pytest.fixture
async def gate(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gate]:
    gate = Gate()
    loop = asyncio.get_running_loop()
    make = ExportSnapshot.make

    def held_make(snapshot: ExportSnapshot) -> Document:
        assert threading.current_thread() is not threading.main_thread(), "the workbook is made off the event loop"
        loop.call_soon_threadsafe(gate.building.set)
        gate.opened.wait(GATE_TIMEOUT)
        document = make(snapshot)
        gate.order.append("workbook made")
        return document

    monkeypatch.setattr(ExportSnapshot, "make", held_make)
    yield gate
    gate.open()  # a thread still waiting must not outlive the test


async def test_other_chats_and_transactions_go_on_while_the_workbook_is_made(
    core: Core, recorder: Recorder, gate: Gate
) -> None:
    await crowded_december(core)
    export = asyncio.create_task(ChatUser(recorder, "pak_staf").says("/ekspor 2026-12"))
    await asyncio.wait_for(gate.building.wait(), GATE_TIMEOUT)

    [greeting] = await ChatUser(recorder, "Tamu").says("/start")  # would wait for the whole build under the lock
    assert greeting.template == "menu/start"
    gate.order.append("another user answered")
    async with core.database.transaction() as conn:
        await conn.execute("SELECT COUNT(*) FROM participants")
    gate.order.append("a transaction done")
    gate.open()

    [sent] = await export
    assert gate.order == ["another user answered", "a transaction done", "workbook made"]
    assert sent.template == "reports/export" and sent.reply.document is not None
    assert f"{VISITS} delegasi" in sent.text and f"{VISITS * MEMBERS} peserta" in sent.text
    workbook = load_workbook(io.BytesIO(sent.reply.document.data), read_only=True)
    assert workbook["Delegasi"].max_row == VISITS + 1 and workbook["Peserta"].max_row == VISITS * MEMBERS + 1
    async with core.database.transaction() as conn:
        [audited] = await entries_with_action(conn, "data.exported")
    assert audited.detail["participants"] == VISITS * MEMBERS


async def test_a_kill_while_the_workbook_is_made_loses_no_request_and_it_is_answered_once(
    core: Core, gate: Gate
) -> None:
    await crowded_december(core, visits=2, members=5)
    key = InboxKey("console", "update-1")
    asking = Incoming("console", "pak_staf", "pak_staf", "pak_staf", "id", text="/ekspor 2026-12")
    async with core.database.transaction() as conn:
        assert await inbox.receive(conn, key, asking, core.services.clock.now())

    turn = asyncio.create_task(core.router.handle(asking, key))
    await asyncio.wait_for(gate.building.wait(), GATE_TIMEOUT)
    turn.cancel()  # the process dies mid-build: what the database holds is what a kill leaves
    with pytest.raises(asyncio.CancelledError):
        await turn
    gate.open()

    async with core.database.transaction() as conn:  # the next start
        assert await inbox.waiting(conn, "console") == [(key, asking)]
    handled = await core.router.handle(asking, key)
    [answer] = handled.replies
    assert answer.template == "reports/export" and answer.document is not None and answer.document_from is None
    assert len(handled.outbox_ids) == 1
    again = await core.router.handle(asking, key)  # the platform sends the same update once more
    assert again.replies == [] and again.outbox_ids == ()
    async with core.database.transaction() as conn:
        assert await inbox.waiting(conn, "console") == []
