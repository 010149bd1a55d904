"""Venues and standard programmes (content/venues.yaml, content/programs.yaml), loaded once at start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from core.content import CONTENT_DIR
from core.maps import maps_link
from core.yamlfile import read_yaml

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Named:
    """A name in both languages, as content gives it."""

    id: str
    en: str

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" else self.id


@dataclass(frozen=True)
class Venue:
    id: str
    name: Named
    address: str | None
    lat: float | None
    lon: float | None
    capacity: int
    hours: dict[int, tuple[time, time]]  # weekday (Monday 0) → open, close; a missing day is closed
    themes: tuple[str, ...]
    shows: tuple[str, ...]
    entry: str | None
    note: Named | None
    estimates: tuple[str, ...]  # which of capacity / hours are planning estimates

    def open_on(self, weekday: int) -> tuple[time, time] | None:
        return self.hours.get(weekday)

    @property
    def has_point(self) -> bool:
        """Whether the venue has coordinates, and so can be sent as a location."""
        return self.lat is not None and self.lon is not None

    @property
    def maps_url(self) -> str | None:
        """Where the venue opens in maps: its point, else a search by its Indonesian name (the one local maps know)
        and address; None for the online session."""
        return maps_link(self.name.id, self.address, self.lat, self.lon)

    @property
    def is_virtual(self) -> bool:
        return self.address is None and self.lat is None


@dataclass(frozen=True)
class ProgramItem:
    day: int
    start: time
    minutes: int
    venue: str
    title: Named


@dataclass(frozen=True)
class Program:
    id: str
    name: Named
    days: int
    mode: str
    items: tuple[ProgramItem, ...]


def _named(raw: Any) -> Named:
    return Named(str(raw["id"]), str(raw["en"]))


def _time(raw: str) -> time:
    hours, minutes = raw.split(":")
    return time(int(hours), int(minutes))


class VenueCatalog:
    """Every venue and programme, and the travel minutes between venues."""

    def __init__(self, directory: Path = CONTENT_DIR) -> None:
        raw = read_yaml(directory / "venues.yaml")
        self.venues: dict[str, Venue] = {}
        for v in raw["venues"]:
            hours = {WEEKDAYS.index(day): (_time(a), _time(b)) for day, (a, b) in (v.get("hours") or {}).items()}
            estimates = tuple(k for k in ("capacity", "hours") if v.get(f"{k}_estimate"))
            self.venues[v["id"]] = Venue(
                id=v["id"],
                name=_named(v["name"]),
                address=v.get("address"),
                lat=v.get("lat"),
                lon=v.get("lon"),
                capacity=int(v["capacity"]),
                hours=hours,
                themes=tuple(v.get("themes") or ()),
                shows=tuple(v.get("shows") or ()),
                entry=v.get("entry"),
                note=_named(v["note"]) if v.get("note") else None,
                estimates=estimates,
            )
        travel = raw.get("travel") or {}
        self.default_travel = int(travel.get("default_minutes", 45))
        self._travel: dict[frozenset[str], int] = {
            frozenset((a, b)): int(minutes) for a, b, minutes in travel.get("minutes") or ()
        }
        programs_raw = read_yaml(directory / "programs.yaml")
        programs = programs_raw["programs"]
        # titles of the items a suggested plan adds besides visits (the reception, lunch)
        self.titles: dict[str, Named] = {k: _named(v) for k, v in (programs_raw.get("titles") or {}).items()}
        self.programs: dict[str, Program] = {
            p["id"]: Program(
                id=p["id"],
                name=_named(p["name"]),
                days=int(p["days"]),
                mode=p.get("mode", "onsite"),
                items=tuple(
                    ProgramItem(int(i["day"]), _time(i["start"]), int(i["minutes"]), i["venue"], _named(i["title"]))
                    for i in p["items"]
                ),
            )
            for p in programs
        }
        self._validate()

    def label(self, venue_id: str, locale: str) -> str:
        """A venue's name in the reader's language; the id itself for a venue no longer in the content."""
        venue = self.venues.get(venue_id)
        return venue.name.in_(locale) if venue else venue_id

    def on_map(self, venue_id: str) -> Venue | None:
        """The venue, if it can be shown on a map (it has coordinates or an address)."""
        venue = self.venues.get(venue_id)
        return venue if venue is not None and venue.maps_url is not None else None

    def travel_minutes(self, a: str, b: str) -> int:
        if a == b:
            return 0
        venue_a, venue_b = self.venues.get(a), self.venues.get(b)
        if (venue_a and venue_a.is_virtual) or (venue_b and venue_b.is_virtual):
            return 0
        return self._travel.get(frozenset((a, b)), self.default_travel)

    def _validate(self) -> None:
        problems = [
            f"travel between unknown venues {sorted(pair)}" for pair in self._travel if not pair <= self.venues.keys()
        ]
        problems += [
            f"programme {p.id} uses unknown venue {i.venue}"
            for p in self.programs.values()
            for i in p.items
            if i.venue not in self.venues
        ]
        problems += [f"programs.yaml has no title for {k}" for k in ("reception", "lunch") if k not in self.titles]
        if problems:
            raise ValueError("content/venues.yaml or programs.yaml: " + "; ".join(problems))
