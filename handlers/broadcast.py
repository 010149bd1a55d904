"""/siaran (host staff): choose an audience, write the text, see how many it reaches, confirm. Delivery goes
through the outbox and the rate-limited sender; the author gets a delivery report when it is done, and
/siaran_status shows the ones in progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiosqlite import Connection

from bot.sender import Settled
from core.dates import parse_date
from core.errors import ValidationError
from core.messages import Reply, button, reply
from core.people import reachable, recipient_of, require_staff
from handlers.context import Services, Turn
from handlers.flow import Advance, Answer, Finish, Flow, JsonDraft, Outcome, Step
from storage import outbox
from storage.broadcasts import audience_user_ids, get_broadcast, insert_broadcast, mark_reported, recent_broadcasts
from storage.delegations import delegations_from, get_delegation
from storage.outbox import OutboxRow
from storage.users import get_user

FLOW = "siaran"
KIND, REPORT_KIND = "broadcast", "broadcast_report"
AUDIENCES = ("delegation", "date", "coordinators", "participants", "everyone")
TEXT_LENGTH = (2, 3500)


@dataclass
class BroadcastDraft(JsonDraft):
    audience: str | None = None
    ref: str | None = None
    text: str | None = None

    @property
    def needs_target(self) -> bool:
        return self.audience in ("delegation", "date")


def _a(step: str, value: str) -> str:
    return f"{FLOW}:{step}:{value}"


async def start_broadcast(turn: Turn) -> list[Reply]:
    require_staff(turn.user, "broadcast")
    return await BROADCASTING.begin(turn, BroadcastDraft())


def ask_audience(turn: Turn, draft: BroadcastDraft) -> Reply:
    return reply("broadcast/ask_audience", [[button(f"audience_{a}", _a("audience", a))] for a in AUDIENCES])


async def take_audience(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    if answer.choice not in AUDIENCES:
        raise ValidationError("errors/use_buttons")
    draft.audience, draft.ref = answer.choice, None
    return Advance()


async def ask_target(turn: Turn, draft: BroadcastDraft) -> Reply:
    if draft.audience == "date":
        return reply("broadcast/ask_date")
    upcoming = [d for d in await delegations_from(turn.conn, turn.today) if d.is_open_for_joining]
    rows = [
        [button("text", _a("target", str(d.id)), text=f"{d.institution} · {d.arrival_date:%d/%m}")] for d in upcoming
    ]
    return reply("broadcast/ask_delegation", rows, count=len(upcoming))


async def take_target(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    if draft.audience == "date":
        day = parse_date(answer.text or "", turn.today)
        if day is None:
            raise ValidationError("reg/errors/date_unreadable", typed=answer.text or "", example=turn.today)
        draft.ref = day.isoformat()
    else:
        if not (answer.choice or "").isdigit() or await get_delegation(turn.conn, int(answer.choice or 0)) is None:
            raise ValidationError("errors/use_buttons")
        draft.ref = answer.choice
    return Advance()


def ask_text(turn: Turn, draft: BroadcastDraft) -> Reply:
    return reply("broadcast/ask_text", high=TEXT_LENGTH[1])


async def take_text(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    text = (answer.text or "").strip()
    if not TEXT_LENGTH[0] <= len(text) <= TEXT_LENGTH[1]:
        raise ValidationError("broadcast/errors/text_length", low=TEXT_LENGTH[0], high=TEXT_LENGTH[1], length=len(text))
    draft.text = text
    return Advance()


async def _audience(turn: Turn, draft: BroadcastDraft) -> list[tuple[int, bool]]:
    return await audience_user_ids(turn.conn, draft.audience or "everyone", draft.ref, turn.today)


async def _audience_label(turn: Turn, draft: BroadcastDraft) -> str | None:
    if draft.audience == "delegation" and draft.ref:
        delegation = await get_delegation(turn.conn, int(draft.ref))
        return delegation.institution if delegation else None
    return draft.ref


async def confirm_broadcast(turn: Turn, draft: BroadcastDraft) -> Reply:
    audience = await _audience(turn, draft)
    reachable = sum(not blocked for _, blocked in audience)
    rows = [[button("send_broadcast", _a("confirm", "send"))]] if reachable else []
    rows.append([button("change_audience", _a("confirm", "audience")), button("cancel_flow", "flow:cancel")])
    return reply(
        "broadcast/preview",
        rows,
        text=draft.text or "",
        audience=draft.audience or "",
        target=await _audience_label(turn, draft),
        recipients=reachable,
        skipped=len(audience) - reachable,
        day=date.fromisoformat(draft.ref) if draft.audience == "date" and draft.ref else None,
    )


async def take_confirm(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    if answer.choice == "audience":  # the text is kept; the audience (and its delegation or date) is asked again
        draft.audience = draft.ref = None
        return Advance()
    if answer.choice != "send":
        raise ValidationError("errors/use_buttons")
    require_staff(turn.user, "broadcast")
    audience = await _audience(turn, draft)
    now = turn.services.clock.now()
    reachable = [user_id for user_id, blocked in audience if not blocked]
    if not reachable:  # the audience emptied since the preview (someone blocked the bot, a visit was cancelled)
        raise ValidationError("broadcast/errors/nobody")
    broadcast = await insert_broadcast(
        turn.conn,
        author_id=turn.user.id,
        audience=draft.audience or "everyone",
        audience_ref=draft.ref,
        text=draft.text or "",
        recipients=len(reachable),
        skipped=len(audience) - len(reachable),
        now=now,
    )
    for user_id in reachable:
        await outbox.enqueue(turn.conn, kind=KIND, ref=broadcast.id, user_id=user_id, now=now)
    await turn.audit("broadcast.sent", "broadcast", broadcast.id, audience=draft.audience, recipients=len(reachable))
    turn.services.signals.outbox_changed()
    return Finish([reply("broadcast/queued", number=broadcast.id, recipients=len(reachable))])


BROADCASTING: Flow[BroadcastDraft] = Flow(
    FLOW,
    [
        Step("audience", ask_audience, take_audience, lambda d: d.audience is not None),
        Step("target", ask_target, take_target, lambda d: d.ref is not None, applies=lambda d: d.needs_target),
        Step("text", ask_text, take_text, lambda d: d.text is not None),
        Step("confirm", confirm_broadcast, take_confirm, lambda d: False),
    ],
    BroadcastDraft.from_json,
)


# --- delivery and reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryCounts:
    number: int
    recipients: int
    sent: int
    failed: int
    unreachable: int
    waiting: int


async def delivery_counts(conn: Connection, broadcast_id: int) -> DeliveryCounts | None:
    broadcast = await get_broadcast(conn, broadcast_id)
    if broadcast is None:
        return None
    counts = await outbox.counts_for(conn, KIND, broadcast.id)
    return DeliveryCounts(
        number=broadcast.id,
        recipients=broadcast.recipients + broadcast.skipped,
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0) + counts.get("dropped", 0),
        unreachable=counts.get("unreachable", 0) + broadcast.skipped,
        waiting=counts.get("pending", 0) + counts.get("sending", 0),
    )


async def compose_broadcast(conn: Connection, row: OutboxRow) -> Reply | None:
    """The outbox composer for one recipient's copy of a broadcast."""
    broadcast = await get_broadcast(conn, row.ref)
    recipient = await reachable(conn, row.user_id)
    if broadcast is None or recipient is None:
        return None
    return Reply("broadcast/message", {"text": broadcast.text}, to=recipient)


def broadcast_settled(services: Services) -> Settled:
    """After each message: when none is left, queue the delivery report for the author, once."""

    async def settled(conn: Connection, row: OutboxRow) -> None:
        counts = await delivery_counts(conn, row.ref)
        if counts is not None and counts.waiting == 0 and await mark_reported(conn, row.ref, services.clock.now()):
            broadcast = await get_broadcast(conn, row.ref)
            assert broadcast is not None
            await outbox.enqueue(
                conn, kind=REPORT_KIND, ref=row.ref, user_id=broadcast.author_id, now=services.clock.now()
            )

    return settled


async def compose_report(conn: Connection, row: OutboxRow) -> Reply | None:
    """The outbox composer for the author's delivery report."""
    author = await get_user(conn, row.user_id)
    counts = await delivery_counts(conn, row.ref)
    if author is None or counts is None:
        return None
    return Reply("broadcast/report", {"counts": counts}, to=recipient_of(author))


async def broadcast_status(turn: Turn) -> list[Reply]:
    require_staff(turn.user, "broadcast status")
    counts = [c for b in await recent_broadcasts(turn.conn) if (c := await delivery_counts(turn.conn, b.id))]
    return [reply("broadcast/status", broadcasts=counts)]
