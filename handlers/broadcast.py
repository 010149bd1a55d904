"""/siaran (host staff): choose an audience, write the text, see how many it reaches, confirm. Delivery goes
through the outbox and the rate-limited sender; the author gets a delivery report when it is done, and
/siaran_status shows the ones in progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiosqlite import Connection

from core import broadcasts, people, visits
from core.dates import parse_date
from core.errors import NotFound, ValidationError
from core.messages import Reply, reply
from core.model import Audience, OutboxRow
from core.people import require_staff
from handlers.actions import ID, button
from handlers.context import Turn, tell
from handlers.flow import Advance, Answer, Finish, Flow, JsonDraft, Outcome, Step
from handlers.menu import CANCEL_FLOW

FLOW = "siaran"


@dataclass
class BroadcastDraft(JsonDraft):
    audience: str | None = None
    ref: str | None = None
    text: str | None = None

    @property
    def chosen(self) -> Audience:
        return Audience(self.audience or Audience.EVERYONE)

    @property
    def needs_target(self) -> bool:
        return self.audience is not None and self.chosen.needs_target


async def start_broadcast(turn: Turn) -> list[Reply]:
    require_staff(turn.user, "broadcast")
    return await BROADCASTING.begin(turn, BroadcastDraft())


def ask_audience(turn: Turn, draft: BroadcastDraft) -> Reply:
    rows = [[button(f"audience_{a}", BROADCASTING.choice("audience", a))] for a in Audience]
    return reply("broadcast/ask_audience", rows)


async def take_audience(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    if answer.choice not in set(Audience):
        raise ValidationError("errors/use_buttons")
    draft.audience, draft.ref = answer.choice, None
    return Advance(reopen=("target",))


async def ask_target(turn: Turn, draft: BroadcastDraft) -> Reply:
    if draft.chosen is Audience.DATE:
        return reply("broadcast/ask_date")
    upcoming = await visits.upcoming(turn.conn, turn.today, active_only=True)
    rows = [
        [button("text", BROADCASTING.choice("target", str(d.id)), text=f"{d.institution} · {d.arrival_date:%d/%m}")]
        for d in upcoming
    ]
    return reply("broadcast/ask_delegation", rows, count=len(upcoming))


async def take_target(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    if draft.chosen is Audience.DATE:
        day = parse_date(answer.text or "", turn.today)
        if day is None:
            raise ValidationError("registration/errors/date_unreadable", typed=answer.text or "", example=turn.today)
        draft.ref = day.isoformat()
    else:
        delegation_id = ID.load(answer.choice or "")
        if delegation_id is None:
            raise ValidationError("errors/use_buttons")
        try:
            await visits.get(turn.conn, delegation_id)
        except NotFound:
            raise ValidationError("errors/use_buttons") from None
        draft.ref = str(delegation_id)
    return Advance()


def ask_text(turn: Turn, draft: BroadcastDraft) -> Reply:
    return reply("broadcast/ask_text", high=broadcasts.TEXT_LENGTH[1])


async def take_text(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    draft.text = broadcasts.parse_text(answer.text or "")
    return Advance()


async def confirm_broadcast(turn: Turn, draft: BroadcastDraft) -> Reply:
    audience = draft.chosen
    reach = await broadcasts.reach(turn, audience, draft.ref)
    rows = [[button("send_broadcast", BROADCASTING.choice("confirm", "send"))]] if reach.reachable else []
    rows.append(
        [button("change_audience", BROADCASTING.choice("confirm", "audience")), button("cancel_flow", CANCEL_FLOW())]
    )
    return reply(
        "broadcast/preview",
        rows,
        text=draft.text or "",
        audience=audience.value,
        target=await broadcasts.target_name(turn.conn, audience, draft.ref),
        recipients=len(reach.reachable),
        skipped=reach.skipped,
        day=broadcasts.day_of(audience, draft.ref),
    )


async def take_confirm(turn: Turn, draft: BroadcastDraft, answer: Answer) -> Outcome:
    if answer.choice == "audience":  # the text is kept; the audience (and its delegation or date) is asked again
        draft.audience = draft.ref = None
        return Advance(reopen=("audience", "target"))
    if answer.choice != "send":
        raise ValidationError("errors/use_buttons")
    broadcast = await broadcasts.send(turn, draft.chosen, draft.ref, draft.text or "")
    return Finish([reply("broadcast/queued", number=broadcast.id, recipients=broadcast.recipients)])


BROADCASTING: Flow[BroadcastDraft] = Flow(
    FLOW,
    [
        Step("audience", ask_audience, take_audience),
        Step("target", ask_target, take_target, applies=lambda d: d.needs_target),
        Step("text", ask_text, take_text),
        Step("confirm", confirm_broadcast, take_confirm),
    ],
    BroadcastDraft.from_json,
)


# --- delivery and reports ---------------------------------------------------------------------


async def compose_broadcasts(conn: Connection, rows: Sequence[OutboxRow]) -> list[Reply | None]:
    """The outbox composer for the recipients' copies of broadcasts, claimed together: each broadcast and the
    recipients are read once for all."""
    messages = await broadcasts.messages_of(conn, rows)
    recipients = await people.reachable_among(conn, (row.user_id for row in rows))
    composed: list[Reply | None] = []
    for row in rows:
        broadcast, recipient = messages.get(row.ref), recipients.get(row.user_id)
        composed.append(tell(recipient, "broadcast/message", text=broadcast.text) if broadcast and recipient else None)
    return composed


async def compose_report(conn: Connection, row: OutboxRow) -> Reply | None:
    """The outbox composer for the author's delivery report."""
    author = await people.known(conn, row.user_id)
    counts = await broadcasts.delivery_counts(conn, row.ref)
    if author is None or counts is None:
        return None
    return tell(author, "broadcast/report", counts=counts)


async def broadcast_status(turn: Turn) -> list[Reply]:
    return [reply("broadcast/status", broadcasts=await broadcasts.recent_counts(turn))]
