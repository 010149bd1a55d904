"""tests/data/plan_seed.yaml in memory: a delegation with a published two-day plan and the moment its questions are
asked, shared by tests/test_plan_questions.py and bench/faq.py (which call core.plan_questions on it directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.yamlfile import read_yaml
from storage.agenda import AgendaItem
from storage.delegations import NewDelegation, VisitMode

SEED = Path(__file__).resolve().parent / "data" / "plan_seed.yaml"


@dataclass(frozen=True)
class Seed:
    delegation: NewDelegation
    items: dict[str, AgendaItem]  # by the seed's key (reception, lunch1 …), in the plan's order
    now: datetime

    @property
    def plan(self) -> list[AgendaItem]:
        return list(self.items.values())

    def keys(self, items: list[AgendaItem] | tuple[AgendaItem, ...]) -> list[str]:
        """The seed keys of `items`, to compare a selection with what a question should get."""
        by_id = {item.id: key for key, item in self.items.items()}
        return [by_id[i.id] for i in items]


def load_seed(path: Path = SEED) -> Seed:
    raw = read_yaml(path)
    d = raw["delegation"]
    delegation = NewDelegation(
        institution=d["institution"],
        province_code=str(d["province_code"]),
        head_name=d["head_name"],
        head_position=d["head_position"],
        planned_size=int(d["planned_size"]),
        mode=VisitMode(d.get("mode", "onsite")),
        arrival_date=date.fromisoformat(str(d["arrival"])),
        departure_date=date.fromisoformat(str(d["departure"])),
        topics=tuple(d.get("topics", ("public-services",))),
        topics_note=None,
        contact_name=d["contact_name"],
        contact_phone=d["contact_phone"],
    )
    items = {
        i["key"]: AgendaItem(
            starts_at=datetime.fromisoformat(i["at"]),
            minutes=int(i["minutes"]),
            venue_id=i["venue"],
            title=i["title"]["id"],
            title_en=i["title"]["en"],
            host_officer=i.get("host_officer"),
            notes=i.get("notes"),
            id=n,
            uid=f"seed-{i['key']}",
        )
        for n, i in enumerate(raw["items"], 1)
    }
    return Seed(delegation, items, datetime.fromisoformat(raw["now"]))
