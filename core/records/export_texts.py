"""The words inside exported files and the report chart, read from content/exports.yaml.

A spreadsheet's sheet names and column headers are user-facing text like any message, so they live
in reviewed content per language rather than in code. The file is checked when it is read: a
missing header would otherwise surface as a KeyError halfway through building someone's export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from core.content import CONTENT_DIR
from core.yamlfile import read_yaml
from storage.delegations import DelegationStatus, VisitMode

DELEGATION_COLUMNS = (
    "number",
    "join_code",
    "institution",
    "province",
    "region",
    "head_name",
    "head_position",
    "planned_size",
    "joined",
    "mode",
    "arrival",
    "departure",
    "days",
    "topics",
    "topics_note",
    "contact_name",
    "contact_phone",
    "status",
    "registered_at",
)
PARTICIPANT_COLUMNS = (
    "number",
    "join_code",
    "institution",
    "arrival",
    "delegation_status",
    "name",
    "position",
    "unit",
    "joined_at",
)
_CHART_KEYS = (
    "title",
    "summary",
    "regions",
    "provinces",
    "topics",
    "modes",
    "visits_axis",
    "onsite",
    "virtual",
    "no_data",
)


@dataclass(frozen=True)
class ChartLabels:
    """Titles and axis labels of the monthly chart; `title` takes {month}, `summary` {visits} {people} {repeat}."""

    title: str
    summary: str
    regions: str
    provinces: str
    topics: str
    modes: str
    visits_axis: str
    onsite: str
    virtual: str
    no_data: str


@dataclass(frozen=True)
class ExportTexts:
    locale: str
    export_file: str  # a file name stem with {first} and {last}
    report_file: str  # a file name stem with {month}
    delegations_sheet: str
    participants_sheet: str
    delegation_headers: Mapping[str, str]
    participant_headers: Mapping[str, str]
    statuses: Mapping[str, str]
    modes: Mapping[str, str]
    removed: str  # shown in place of a personal field that was removed
    chart: ChartLabels


def _section(data: Mapping[str, Any], key: str, wanted: tuple[str, ...], where: str) -> dict[str, str]:
    section = data.get(key) or {}
    missing = [name for name in wanted if not section.get(name)]
    if missing:
        raise ValueError(f"content/exports.yaml: {where}.{key} lacks {missing}")
    return {name: str(section[name]) for name in wanted}


@cache
def export_texts(locale: str, directory: Path = CONTENT_DIR) -> ExportTexts:
    """The texts of one locale (read once per process)."""
    data = read_yaml(directory / "exports.yaml")
    if locale not in data:
        raise ValueError(f"content/exports.yaml has no texts for {locale!r}")
    texts = data[locale]
    files = _section(texts, "files", ("export", "report"), locale)
    sheets = _section(texts, "sheets", ("delegations", "participants"), locale)
    return ExportTexts(
        locale=locale,
        export_file=files["export"],
        report_file=files["report"],
        delegations_sheet=sheets["delegations"],
        participants_sheet=sheets["participants"],
        delegation_headers=_section(texts, "delegation_columns", DELEGATION_COLUMNS, locale),
        participant_headers=_section(texts, "participant_columns", PARTICIPANT_COLUMNS, locale),
        statuses=_section(texts, "statuses", tuple(s.value for s in DelegationStatus), locale),
        modes=_section(texts, "modes", tuple(m.value for m in VisitMode), locale),
        removed=_section(texts, "values", ("removed",), locale)["removed"],
        chart=ChartLabels(**_section(texts, "chart", _CHART_KEYS, locale)),
    )
