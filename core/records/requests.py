"""What an admin asks for from the chat: the records of a period as a spreadsheet, or a month's report.

Both hold or summarise personal data, so both are for admins only and both are audited. Building a
workbook or drawing a chart is CPU work of a fraction of a second; it runs in a worker thread so the
event loop keeps polling and sending for other chats meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

from core.messages import Document
from core.people import require_admin
from core.records.exports import ExportData, export_document, load_export
from core.records.periods import ExportRequest, Month
from core.records.report import MonthReport, month_report, report_document
from core.session import Session

logger = logging.getLogger(__name__)


async def take_export(session: Session, request: ExportRequest) -> tuple[ExportData, Document]:
    """The visits and participants of a period as a file; the audit log says who took which data, and when."""
    require_admin(session.user, "export")
    services = session.services
    data = await load_export(session.conn, request.period)
    document = await asyncio.to_thread(
        export_document, data, services.content, session.user.language, services.tz, request.format
    )
    await session.audit(
        "data.exported",
        "delegations",
        None,
        first_day=request.period.first_day.isoformat(),
        last_day=request.period.last_day.isoformat(),
        format=request.format.value,
        delegations=len(data.delegations),
        participants=len(data.participants),
    )
    logger.info("user %s exported %s", session.user.id, document.filename)
    return data, document


async def make_report(session: Session, month: Month) -> tuple[MonthReport, Document]:
    """The month's figures and their chart, for the report to the regent."""
    require_admin(session.user, "monthly report")
    content = session.services.content
    report = await month_report(session.conn, content, month.year, month.month)
    document = await asyncio.to_thread(report_document, report, content, session.user.language)
    await session.audit("report.made", "delegations", None, month=f"{month.year:04d}-{month.month:02d}")
    return report, document
