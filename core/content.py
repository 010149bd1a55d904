"""The reviewed YAML content the flows need: provinces, innovation themes, and answer vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from core.yamlfile import read_yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
TIME_ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}


class Bilingual:
    """Content named in both languages (the names come from the YAML, never from code)."""

    name: str
    name_en: str

    def display(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name


@dataclass(frozen=True)
class Province(Bilingual):
    code: str
    name: str
    name_en: str
    tz: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Region(Bilingual):
    """An island group, to choose a province in two short steps."""

    id: str
    name: str
    name_en: str
    provinces: tuple[Province, ...]


@dataclass(frozen=True)
class Theme(Bilingual):
    id: str
    name: str
    name_en: str


@dataclass(frozen=True)
class ProvinceMatch:
    """The province a typed text most likely means, or candidates when it is unclear."""

    province: Province | None
    candidates: tuple[Province, ...] = ()
    exact: bool = False  # typed as its name or an alias; a match found by fuzzy matching is only a guess


def _load(name: str, directory: Path) -> Any:
    return read_yaml(directory / name)


class Content:
    """Loaded once at start; read-only afterwards."""

    SURE_SCORE = 88
    MAYBE_SCORE = 75

    def __init__(self, directory: Path = CONTENT_DIR) -> None:
        self.directory = directory
        province_data = _load("provinces.yaml", directory)
        self.provinces = tuple(
            Province(
                code=str(p["code"]),
                name=p["name"],
                name_en=p.get("name_en") or p["name"],
                tz=p["tz"],
                aliases=tuple(p.get("aliases") or ()),
            )
            for p in province_data["provinces"]
        )
        self.regions = tuple(
            Region(
                r["id"],
                r["name"],
                r["name_en"],
                tuple(p for p in self.provinces if p.code[0] in {str(x) for x in r["code_prefixes"]}),
            )
            for r in province_data["regions"]
        )
        self.themes = tuple(Theme(t["id"], t["name"], t["name_en"]) for t in _load("themes.yaml", directory)["themes"])
        answers = _load("answers.yaml", directory)
        self.visit_mode_words: dict[str, frozenset[str]] = {
            mode: frozenset(w.lower() for w in words) for mode, words in answers["visit_modes"].items()
        }
        self.skip_words = frozenset(w.lower() for w in answers["skip"])
        salutations = _load("salutations.yaml", directory)
        self.forms_of_address = frozenset(w.lower() for w in salutations["forms_of_address"])
        self.yes_words = frozenset(w.lower() for w in answers["yes"])
        self.no_words = frozenset(w.lower() for w in answers["no"])
        self.done_words = frozenset(w.lower() for w in answers["done"])
        self._validate()

    def _validate(self) -> None:
        if len(self.provinces) != 38 or len({p.code for p in self.provinces}) != 38:
            raise ValueError("content/provinces.yaml must list the 38 provinces once each")
        bad = [p.code for p in self.provinces if p.tz not in TIME_ZONES]
        if bad:
            raise ValueError(f"provinces with an unknown time zone: {bad}")
        grouped = sorted(p.code for r in self.regions for p in r.provinces)
        if grouped != sorted(p.code for p in self.provinces):
            raise ValueError("every province must belong to exactly one region in content/provinces.yaml")

    def province(self, code: str) -> Province:
        for candidate in self.provinces:
            if candidate.code == code:
                return candidate
        raise KeyError(code)

    def region(self, region_id: str) -> Region:
        for candidate in self.regions:
            if candidate.id == region_id:
                return candidate
        raise KeyError(region_id)

    def theme(self, theme_id: str) -> Theme:
        for candidate in self.themes:
            if candidate.id == theme_id:
                return candidate
        raise KeyError(theme_id)

    @cached_property
    def _province_names(self) -> dict[str, Province]:
        names: dict[str, Province] = {}
        for p in self.provinces:
            for name in (p.name, p.name_en, *p.aliases, f"provinsi {p.name}", f"prov {p.name}"):
                names[utils.default_process(name)] = p
        return names

    @cached_property
    def _province_names_unspaced(self) -> dict[str, Province]:
        """The names without their spaces: "jawabarat" is Jawa Barat typed, not a typo of it."""
        return {name.replace(" ", ""): p for name, p in self._province_names.items()}

    def match_province(self, text: str) -> ProvinceMatch:
        """Tolerant matching: exact names, abbreviations and English names, then fuzzy matching for typos."""
        query = utils.default_process(text)
        for prefix in ("provinsi ", "propinsi ", "prov ", "province of ", "province "):
            if query.startswith(prefix):
                query = query[len(prefix) :]
        if not query:
            return ProvinceMatch(None)
        exact = self._province_names.get(query) or self._province_names_unspaced.get(query.replace(" ", ""))
        if exact is not None:
            return ProvinceMatch(exact, exact=True)
        scored = process.extract(query, list(self._province_names), scorer=fuzz.WRatio, processor=None, limit=8)
        ranked: list[tuple[Province, float]] = []
        for name, score, _ in scored:
            province = self._province_names[name]
            if all(province != seen for seen, _ in ranked):
                ranked.append((province, score))
        if not ranked or ranked[0][1] < self.MAYBE_SCORE:
            return ProvinceMatch(None)
        best, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best_score >= self.SURE_SCORE and best_score - runner_up >= 5:
            return ProvinceMatch(best)
        return ProvinceMatch(None, tuple(p for p, s in ranked[:3] if s >= self.MAYBE_SCORE))
