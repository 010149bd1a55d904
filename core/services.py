"""The shared, read-only parts every rule may need: content, settings-derived rules, the clock, the catalogs.

bot/app.py builds one Services from the settings at start; every Session (and so every handler turn)
carries it. Nothing in it changes while the bot runs, except what the Signals tell their listeners and the
index of staff answers that `learned` keeps current (a cache of rows in the database). The knowledge index and
the gazetteer are built on first use or by `prepare` (core/prepared.py): questions need them, a start does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.content import Content
from core.desk import DailyLimits
from core.itinerary import PlanningRules
from core.joincode import BotIdentity
from core.knowledge.learned import LearnedKnowledge
from core.knowledge.places import Gazetteer
from core.knowledge.search import KnowledgeBase
from core.knowledge.views import HostDetails
from core.people import StaffDirectory
from core.prepared import Prepared
from core.registration import VisitRules
from core.reminders import ReminderRules
from core.signals import Signals
from core.venues import VenueCatalog


@dataclass(frozen=True)
class Services:
    content: Content
    staff: StaffDirectory
    rules: VisitRules
    clock: Clock
    tz: ZoneInfo
    identity: BotIdentity
    reviewed: Prepared[KnowledgeBase]  # the reviewed knowledge base (content/knowledge), indexed
    venues: VenueCatalog
    reminder_rules: ReminderRules
    limits: DailyLimits
    signals: Signals
    host: HostDetails
    retention_days: int  # personal fields of a visit are removed this many days after it ended
    planning: PlanningRules  # what a suggested plan keeps free (the Friday prayer break)
    learned: LearnedKnowledge  # `knowledge` and the staff answers saved since, one index (core.knowledge.learned)
    gazetteer: Prepared[Gazetteer]  # the places that are not the host, to tell a question about another place

    @property
    def knowledge(self) -> KnowledgeBase:
        """The reviewed knowledge base, built here if `prepare` has not built it yet."""
        return self.reviewed.get()

    @property
    def places(self) -> Gazetteer:
        """The gazetteer (core.knowledge.triage), built here if `prepare` has not built it yet."""
        return self.gazetteer.get()

    async def prepare(self) -> None:
        """Build what the first question needs, in worker threads: the gazetteer, then the knowledge index."""
        await self.gazetteer.ready()
        await self.reviewed.ready()
