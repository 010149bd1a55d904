"""/ekspor and /laporan: the host's records as a spreadsheet and the month in numbers with a chart (admins only)."""

from __future__ import annotations

from core.errors import ValidationError
from core.messages import Reply, reply
from core.people import require_admin
from handlers.context import Turn

# core.records (the exports, the report and their texts) is imported by the first /ekspor or /laporan: every other
# start and turn goes without it.


async def export_command(turn: Turn, argument: str) -> list[Reply]:
    """Send the visits and participants of a period as .xlsx (or a zip of CSVs)."""
    require_admin(turn.user, "export")  # before reading the period: a member is refused, not taught the syntax
    from core.records.periods import parse_export_request
    from core.records.requests import take_export

    request = parse_export_request(argument, turn.today)
    if request is None:
        raise ValidationError("reports/export_usage", typed=argument)
    snapshot = await take_export(turn, request)  # the file is made once the turn's reads are committed
    return [reply("reports/export", document_from=snapshot, export=snapshot.summary)]


async def report_command(turn: Turn, argument: str) -> list[Reply]:
    """Send the month's figures as a message, and the chart as a PNG."""
    require_admin(turn.user, "monthly report")
    from core.records.periods import parse_month
    from core.records.requests import make_report

    month = parse_month(argument, turn.today)
    if month is None:
        raise ValidationError("reports/month_usage", typed=argument)
    chart = await make_report(turn, month)
    return [reply("reports/month", document_from=chart, report=chart.report)]
