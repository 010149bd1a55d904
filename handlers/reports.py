"""/ekspor and /laporan: the host's records as a spreadsheet and the month in numbers with a chart (admins only).

Building a workbook or drawing a chart is CPU work of a fraction of a second; it runs in a worker
thread so the event loop keeps polling and sending for other chats meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

from core.errors import ValidationError
from core.messages import Reply, reply
from core.people import require_admin
from core.records.exports import export_document, load_export
from core.records.periods import parse_export_request, parse_month
from core.records.report import month_report, report_document
from handlers.context import Turn

logger = logging.getLogger(__name__)


async def export_command(turn: Turn, argument: str) -> list[Reply]:
    """Send the visits and participants of a period as .xlsx (or a zip of CSVs), and log who took the data."""
    require_admin(turn.user, "export")
    request = parse_export_request(argument, turn.today)
    if request is None:
        raise ValidationError("reports/export_usage", typed=argument)
    services = turn.services
    data = await load_export(turn.conn, request.period)
    document = await asyncio.to_thread(
        export_document, data, services.content, turn.locale, services.tz, request.format
    )
    # The file holds names and phone numbers: the audit log says who exported what, and when.
    await turn.audit(
        "data.exported",
        "delegations",
        None,
        first_day=request.period.first_day.isoformat(),
        last_day=request.period.last_day.isoformat(),
        format=request.format.value,
        delegations=len(data.delegations),
        participants=len(data.participants),
    )
    logger.info("user %s exported %s", turn.user.id, document.filename)
    return [reply("reports/export", document=document, export=data.summary(request.format))]


async def report_command(turn: Turn, argument: str) -> list[Reply]:
    """Send the month's figures as a message, and the chart as a PNG for the report to the regent."""
    require_admin(turn.user, "monthly report")
    month = parse_month(argument, turn.today)
    if month is None:
        raise ValidationError("reports/month_usage", typed=argument)
    content = turn.services.content
    report = await month_report(turn.conn, content, month.year, month.month)
    document = await asyncio.to_thread(report_document, report, content, turn.locale)
    await turn.audit("report.made", "delegations", None, month=f"{month.year:04d}-{month.month:02d}")
    return [reply("reports/month", document=document, report=report)]
