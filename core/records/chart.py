"""The monthly report's chart: four bar panels drawn with matplotlib's Agg backend into a PNG.

Kept apart from bot/report.py so matplotlib is imported only when a chart is drawn, not by every
process that merely counts (the bot at start, the reminder sender, the tests of other flows).
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from core.records.export_texts import ChartLabels
from core.records.report import TOP_PROVINCES, MonthReport, month_name

_DRAWING = threading.Lock()  # matplotlib's font cache and text layout are not safe across threads
_COLOURS = ("#1f6f8b", "#e07a1f", "#6a994e", "#9c4f96")
MIN_ROWS = 5


def _wrap(text: str, width: int = 26) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _bars(
    axes: Axes, title: str, names: Sequence[str], counts: Sequence[int], labels: ChartLabels, colour: str
) -> None:
    """Horizontal bars, largest at the top, with the count at the end of each bar."""
    axes.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not any(counts):
        axes.text(0.5, 0.5, labels.no_data, ha="center", va="center", transform=axes.transAxes, color="#777777")
        axes.set_axis_off()
        return
    positions = list(range(len(names)))[::-1]
    bars = axes.barh(positions, counts, color=colour)
    axes.set_yticks(positions, [_wrap(n) for n in names], fontsize=9)
    axes.bar_label(bars, padding=3, fontsize=9)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(labels.visits_axis, fontsize=9)
    axes.set_xlim(0, max(counts) * 1.15 + 0.5)
    rows = max(len(names), MIN_ROWS)  # one or two bars keep a bar's thickness instead of filling the panel
    axes.set_ylim(len(names) - 0.5 - rows, len(names) - 0.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def report_chart(report: MonthReport, locale: str, labels: ChartLabels) -> bytes:
    """A 2×2 PNG: visits by region, top provinces, requested topics, on-site against virtual."""
    with _DRAWING:
        return _draw(report, locale, labels)


def _draw(report: MonthReport, locale: str, labels: ChartLabels) -> bytes:
    figure = Figure(figsize=(12, 8.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    title = labels.title.format(month=month_name(report.year, report.month, locale))
    summary = labels.summary.format(visits=report.visits, people=report.people, repeat=len(report.repeat_visitors))
    figure.suptitle(f"{title}\n{summary}", fontsize=14)
    (regions, provinces), (topics, modes) = figure.subplots(2, 2)
    _bars(
        regions,
        labels.regions,
        [t.item.display(locale) for t in report.regions],
        [t.count for t in report.regions],
        labels,
        _COLOURS[0],
    )
    top = report.provinces[:TOP_PROVINCES]
    _bars(
        provinces, labels.provinces, [t.item.display(locale) for t in top], [t.count for t in top], labels, _COLOURS[1]
    )
    _bars(
        topics,
        labels.topics,
        [t.item.display(locale) for t in report.topics],
        [t.count for t in report.topics],
        labels,
        _COLOURS[2],
    )
    _bars(
        modes,
        labels.modes,
        [labels.onsite, labels.virtual],
        [report.onsite.visits, report.virtual.visits],
        labels,
        _COLOURS[3],
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
