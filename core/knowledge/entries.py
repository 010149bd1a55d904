"""Knowledge entries as reviewed in content/knowledge/, loaded into frozen dataclasses and checked.

Each entry is one YAML file with its texts in Indonesian and English. `check_knowledge` lists every
problem a reviewer must fix (the tests fail on any): a missing required id, a duplicate id, a text
without both languages, a related entry that does not exist, a malformed coordinate, a seasonal tip without
its months.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.content import Bilingual
from core.maps import maps_link
from core.yamlfile import read_yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent.parent / "content" / "knowledge"
KINDS = {"innovation": "innovations", "destination": "destinations", "logistics": "logistics"}
LANGUAGES = ("id", "en")
AREAS = ("town", "north", "south", "highlands", "outside")
# The parts of an entry that answer a particular kind of question, in the order a card shows them.
REQUIRED_IDS: dict[str, tuple[str, ...]] = {
    "innovation": (
        "mal-pelayanan-publik",
        "pasar-pelayanan-publik",
        "festival-pelayanan-publik",
        "lounge-pelayanan-publik",
        "smart-kampung",
        "e-village-budgeting",
        "e-planning-budgeting",
        "sakip",
        "rantang-kasih",
        "lahir-procot",
        "siswa-asuh-sebaya",
        "bunga-desa",
        "warung-naik-kelas",
        "umkm-naik-kelas",
        "banyuwangi-mall",
        "banyuwangi-festival",
        "gandrung-sewu",
        "banyuwangi-ethno-carnival",
        "sinergitas-tiga-pilar",
        "ugd-kemiskinan",
        "jemput-bola-rawat-warga",
        "gancang-aron",
        "festival-bedah-rumah",
        "banyuwangi-children-center",
        "banyuwangi-melayani",
        "kanggo-riko",
        "banyuwangi-berbagi",
    ),
    "destination": (
        "kawah-ijen",
        "pulau-merah",
        "alas-purwo",
        "plengkung",
        "sukamade",
        "teluk-hijau",
        "de-djawatan",
        "pantai-boom",
        "pantai-cacalan",
        "kemiren",
        "gandrung-terakota",
        "bangsring-underwater",
        "pulau-tabuhan",
        "pulau-menjangan",
        "waroeng-kemarang",
        "baluran",
    ),
    "logistics": (
        "bandara-banyuwangi",
        "kereta-api",
        "pelabuhan-ketapang",
        "zona-waktu",
        "cuaca",
        "kuliner",
        "oleh-oleh",
        "budaya-osing",
        "tempat-penerimaan",
        "hari-kunjungan",
        "kunjungan-virtual",
        "cara-daftar",
        "kontak-panitia",
        "about-banyuwangi",
    ),
}


@dataclass(frozen=True)
class Text:
    """One text in both languages."""

    id: str
    en: str

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" else self.id


@dataclass(frozen=True)
class SeasonalTip:
    """A tip that holds in some months only ("October middays can be about 33°C"), so a reminder of a day in
    another month must not give it."""

    months: tuple[int, ...]  # 1 = January
    text: Text

    def fits(self, month: int) -> bool:
        return month in self.months


@dataclass(frozen=True)
class Location:
    address: str
    lat: float | None = None
    lon: float | None = None
    approximate: bool = True

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    def maps_url(self, name: str) -> str | None:
        """Where the place named `name` opens in maps (core.maps)."""
        return maps_link(name, self.address, self.lat, self.lon)


@dataclass(frozen=True)
class LearnedMark:
    """An entry that is a staff answer saved from the desk's queue (core/knowledge/learned.py), not reviewed content:
    its row, the day (WIB) its answer was last written, and the languages it was written in (one or both; a reader
    of the other gets the text as written, with a note saying in which language)."""

    row_id: int
    on: date
    written_in: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    title: Text
    aliases: Mapping[str, tuple[str, ...]]
    keywords: Mapping[str, tuple[str, ...]]
    short: Text
    details: Text
    where: Text | None = None
    hours: Text | None = None
    getting_there: Text | None = None
    cost: Text | None = None
    tips: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    seasonal_tips: tuple[SeasonalTip, ...] = ()
    location: Location | None = None
    area: str | None = None
    themes: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    learned: LearnedMark | None = None  # None: reviewed content

    def every_tip(self, locale: str) -> tuple[str, ...]:
        """The tips a card shows: the general ones, then those of some months (a reader may plan any month)."""
        return (*self.tips.get(locale, ()), *(t.text.in_(locale) for t in self.seasonal_tips))

    def part(self, name: str) -> Text | None:
        value = getattr(self, name)
        return value if isinstance(value, Text) else None


@dataclass(frozen=True)
class Area(Bilingual):
    """A part of the regency, to browse destinations by (content/knowledge/areas.yaml)."""

    id: str
    name: str
    name_en: str


def load_areas(directory: Path = KNOWLEDGE_DIR) -> tuple[Area, ...]:
    raw = read_yaml(directory / "areas.yaml")
    return tuple(Area(a["id"], a["name"], a["name_en"]) for a in raw["areas"])


class KnowledgeError(ValueError):
    """The knowledge base has problems a reviewer must fix; the message lists them all."""


def _text(raw: Any) -> Text:
    return Text(id=str(raw["id"]).strip(), en=str(raw["en"]).strip())


def _words(raw: Any) -> dict[str, tuple[str, ...]]:
    raw = raw or {}
    return {lang: tuple(str(w) for w in raw.get(lang) or ()) for lang in LANGUAGES}


def _entry(raw: Mapping[str, Any]) -> Entry:
    location = raw.get("location")
    return Entry(
        id=str(raw["id"]),
        kind=str(raw["kind"]),
        title=_text(raw["title"]),
        aliases=_words(raw.get("aliases")),
        keywords=_words(raw.get("keywords")),
        short=_text(raw["short"]),
        details=_text(raw["details"]),
        where=_text(raw["where"]) if raw.get("where") else None,
        hours=_text(raw["hours"]) if raw.get("hours") else None,
        getting_there=_text(raw["getting_there"]) if raw.get("getting_there") else None,
        cost=_text(raw["cost"]) if raw.get("cost") else None,
        tips=_words(raw.get("tips")),
        seasonal_tips=tuple(SeasonalTip(tuple(t["months"]), _text(t)) for t in raw.get("seasonal_tips") or ()),
        location=Location(
            address=str(location.get("address", "")),
            lat=location.get("lat"),
            lon=location.get("lon"),
            approximate=bool(location.get("approximate", True)),
        )
        if location
        else None,
        area=raw.get("area"),
        themes=tuple(raw.get("themes") or ()),
        related=tuple(raw.get("related") or ()),
        sources=tuple(raw.get("sources") or ()),
    )


def _raw_entries(directory: Path) -> list[tuple[Path, Any]]:
    found = []
    for folder in KINDS.values():
        for path in sorted((directory / folder).glob("*.yaml")):
            found.append((path, read_yaml(path)))
    return found


def check_knowledge(directory: Path = KNOWLEDGE_DIR, theme_ids: frozenset[str] = frozenset()) -> list[str]:
    """Every problem in the knowledge base, as lines a reviewer can act on (empty: all good)."""
    return _problems(directory, _raw_entries(directory), theme_ids)


def _problems(directory: Path, raws: list[tuple[Path, Any]], theme_ids: frozenset[str]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path, raw in raws:
        where = path.relative_to(directory)
        if not isinstance(raw, dict) or "id" not in raw:
            problems.append(f"{where}: not an entry (no id)")
            continue
        entry_id = str(raw["id"])
        if entry_id in seen:
            problems.append(f"{where}: duplicate id {entry_id} (also in {seen[entry_id].relative_to(directory)})")
        seen[entry_id] = path
        if path.stem != entry_id:
            problems.append(f"{where}: file name does not match id {entry_id}")
        if KINDS.get(str(raw.get("kind"))) != path.parent.name:
            problems.append(f"{where}: kind {raw.get('kind')!r} does not belong in {path.parent.name}/")
        for key in ("title", "short", "details", "where", "hours", "getting_there", "cost"):
            if key not in raw and key not in ("title", "short", "details"):
                continue
            value = raw.get(key)
            for lang in LANGUAGES:
                if not isinstance(value, dict) or not str(value.get(lang) or "").strip():
                    problems.append(f"{where}: {key} has no {lang} text")
        for key in ("aliases", "keywords"):
            for lang in LANGUAGES:
                if not (raw.get(key) or {}).get(lang):
                    problems.append(f"{where}: {key} has no {lang} words")
        if "tips" in raw and set((raw["tips"] or {}).keys()) != set(LANGUAGES):
            problems.append(f"{where}: tips must be given in both languages")
        problems += _check_seasonal_tips(where, raw.get("seasonal_tips"))
        problems += _check_location(where, raw.get("location"))
        if raw.get("kind") == "destination" and raw.get("area") not in AREAS:
            problems.append(f"{where}: area must be one of {', '.join(AREAS)}")
        for theme in raw.get("themes") or ():
            if theme_ids and theme not in theme_ids:
                problems.append(f"{where}: unknown theme {theme}")
        for source in raw.get("sources") or ():
            if not str(source).startswith("https://"):
                problems.append(f"{where}: source is not an https:// address: {source}")
    ids = set(seen)
    for path, raw in raws:
        for related in (raw or {}).get("related") or ():
            if related not in ids:
                problems.append(f"{path.relative_to(directory)}: related entry {related} does not exist")
    for kind, required in REQUIRED_IDS.items():
        for entry_id in required:
            if entry_id not in ids:
                problems.append(f"missing required {kind} entry {entry_id}")
    return problems


def _check_seasonal_tips(where: Path, tips: Any) -> list[str]:
    if tips is None:
        return []
    if not isinstance(tips, list):
        return [f"{where}: seasonal_tips must be a list of tips with months"]
    problems = []
    for number, tip in enumerate(tips, 1):
        months = tip.get("months") if isinstance(tip, dict) else None
        if not isinstance(months, list) or not months or not all(type(m) is int and 1 <= m <= 12 for m in months):
            problems.append(f"{where}: seasonal tip {number} needs months, numbers 1 (January) to 12")
        for lang in LANGUAGES:
            if not isinstance(tip, dict) or not str(tip.get(lang) or "").strip():
                problems.append(f"{where}: seasonal tip {number} has no {lang} text")
    return problems


def _check_location(where: Path, location: Any) -> list[str]:
    if location is None:
        return []
    if not isinstance(location, dict) or not str(location.get("address") or "").strip():
        return [f"{where}: location needs an address"]
    lat, lon = location.get("lat"), location.get("lon")
    if lat is None and lon is None:
        return []
    if not isinstance(lat, int | float) or not isinstance(lon, int | float) or isinstance(lat, bool):
        return [f"{where}: coordinates must be numbers, got {lat!r}, {lon!r}"]
    # Every place the bot talks about is in or next to Banyuwangi (East Java / West Bali).
    if not (-9.0 <= lat <= -7.0 and 113.5 <= lon <= 115.5):
        return [f"{where}: coordinates {lat}, {lon} are not near Banyuwangi (lat -9…-7, lon 113.5…115.5)"]
    return []


def load_knowledge(directory: Path = KNOWLEDGE_DIR, theme_ids: frozenset[str] = frozenset()) -> dict[str, Entry]:
    raws = _raw_entries(directory)  # read once: checked, then built
    problems = _problems(directory, raws, theme_ids)
    if problems:
        raise KnowledgeError("content/knowledge has problems:\n" + "\n".join(f"- {p}" for p in problems))
    return {entry.id: entry for entry in (_entry(raw) for _, raw in raws)}
