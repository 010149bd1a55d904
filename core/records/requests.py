"""What an admin asks for from the chat: the records of a period as a spreadsheet, or a month's report.

Both hold or summarise personal data, so both are for admins only and both are audited. Both are read
here, in the turn's transaction, and returned as what their file is made from: building a workbook of
thousands of rows or drawing a chart is CPU work that the router does after the transaction, in a worker
thread, so other chats, the sender and the scheduler go on using the database meanwhile.
"""

from __future__ import annotations

import logging

from core.people import require_admin
from core.records.exports import ExportSnapshot, read_export
from core.records.periods import ExportRequest, Month
from core.records.report import ReportChart, month_report
from core.session import Session

logger = logging.getLogger(__name__)


async def take_export(session: Session, request: ExportRequest) -> ExportSnapshot:
    """The visits and participants of a period, read for a file; the audit log says who took which data, and when."""
    require_admin(session.user, "export")
    services = session.services
    snapshot = await read_export(session.conn, request, services.content, session.user.language, services.tz)
    await session.audit(
        "data.exported",
        "delegations",
        None,
        first_day=request.period.first_day.isoformat(),
        last_day=request.period.last_day.isoformat(),
        format=request.format.value,
        delegations=len(snapshot.data.delegations),
        participants=len(snapshot.data.participants),
    )
    logger.info(
        "user %s exported %s to %s as %s",
        session.user.id,
        request.period.first_day.isoformat(),
        request.period.last_day.isoformat(),
        request.format.value,
    )
    return snapshot


async def make_report(session: Session, month: Month) -> ReportChart:
    """The month's figures, and what their chart is drawn from, for the report to the regent."""
    require_admin(session.user, "monthly report")
    content = session.services.content
    report = await month_report(session.conn, content, month.year, month.month)
    await session.audit("report.made", "delegations", None, month=f"{month.year:04d}-{month.month:02d}")
    return ReportChart(report, content, session.user.language)
