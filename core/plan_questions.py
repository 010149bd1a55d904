"""Questions about a visit's own plan ("di mana makan siang nanti?", "what's next?", "jadwal Cianjur besok"):
which questions they are, and which of the plan's items answer them. Pure and fast (no I/O): core.plan_lookup
finds the plan, the handler shows the items as /jadwal does.

A question is about the plan when it has a word saying so (own_visit, when, schedule, a day, next, later, hotel,
leave, liaison or an activity only a plan has: content/plan_questions.yaml) and asks something. Every other
word must then name something in the plan (a word of an item's title or of its venue), or the question is left
to the knowledge base: "besok hujan?" asks about the weather, "apa itu smart kampung" names a place without
saying it is about the visit. A question asking what only a plan answers (next, leaving the hotel, the liaison,
lunch or the reception) may carry one word the plan does not know ("makan siang nanti, bawa uang?").
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from core.knowledge.text import words
from core.plan_cues import Cue, Meaning, Phrase, PlanCues, near
from core.plan_days import DayRef, date_at, day_of, figure_dates, resolve_day
from core.venues import VenueCatalog
from storage.agenda import NewAgendaItem
from storage.delegations import Delegation

LEAVE_MARGIN = timedelta(minutes=15)
"""Time kept in hand when telling visitors when to leave the hotel: boarding, a late bus, finding the room."""

Item = TypeVar("Item", bound=NewAgendaItem)
_CONTEXT = frozenset(
    {Cue.OWN_VISIT, Cue.WHEN, Cue.SCHEDULE, Cue.NEXT, Cue.LATER, Cue.HOTEL, Cue.LEAVE, Cue.LIAISON, Cue.ACTIVITY}
)
"""Words saying a question is about the visit (a day named says so too); a place or a start or end does not."""
_STRONG = frozenset({Cue.NEXT, Cue.LEAVE, Cue.LIAISON, Cue.ACTIVITY})
"""What only a plan answers: a question asking it is the plan's despite a word the plan does not know."""


class Asked(enum.StrEnum):
    """What a plan question asks for; the templates word the answer by it."""

    NEXT = "next"  # the first item starting after now
    DAY = "day"  # every item of the day(s)
    ACTIVITY = "activity"  # the items of an activity or place (on the day, if one is named)
    START = "start"  # the first item of the day
    END = "end"  # the last item of the day, or of the visit
    LEAVE = "leave"  # the day's first item, and when to leave the hotel for it
    LIAISON = "liaison"  # the items naming a host officer
    PLAN = "plan"  # the whole visit


@dataclass(frozen=True)
class PlanQuestion:
    asked: Asked
    days: tuple[DayRef, ...]
    activities: tuple[str, ...]
    places: tuple[str, ...]
    rest: tuple[str, ...]  # the other words: a title's, a delegation's name, or a sign the question is not the plan's
    words: tuple[str, ...]  # every word as typed (chat spellings and short names spelled out), to name a delegation
    strong: bool  # asks what only a plan answers: it is the plan's whatever its other words

    @property
    def understood(self) -> bool:
        """Answerable without seeing the plan: nothing is left over that only the plan could explain."""
        return understood(self, self.rest)

    @property
    def only_a_place(self) -> bool:
        """It asks nothing but when or where a named place is ("kapan kita ke De Djawatan?"): no day, next, start,
        end, leaving, liaison or activity. Someone with no plan to answer from is better served by the place's card.
        """
        return self.asked is Asked.ACTIVITY and bool(self.places) and not (self.days or self.activities)

    def about(self, delegation: Delegation) -> PlanQuestion:
        """The question without the words naming `delegation` ("jadwal Cianjur besok" is "jadwal besok")."""
        name = _institution_words(delegation)
        return replace(self, rest=tuple(w for w in self.rest if not any(near(w, n) for n in name)))


MAX_UNKNOWN_WORDS = 1
"""How many words the plan does not know a question asking what only a plan has may carry ("makan siang nanti,
bawa uang?"); with more it is about something else ("jemput bola rawat warga", "ferries leave Ketapang")."""


def understood(question: PlanQuestion, unknown: Sequence[str]) -> bool:
    """The question is the plan's when no word is left that the plan does not know, or (asking what only a plan
    has) at most MAX_UNKNOWN_WORDS."""
    return not unknown or (question.strong and len(unknown) <= MAX_UNKNOWN_WORDS)


def read(question: str, cues: PlanCues, *, visit_named: bool = False) -> PlanQuestion | None:
    """The plan question `question` is, or None when it is not one (the knowledge base answers it). `visit_named`:
    it names a delegation (staff asking about it: "jam berapa Kukar ke MPP?"), which says as much as "kita"."""
    days, text = figure_dates(question.lower())
    spelled = cues.spelled(text)
    tokens = [cues.word(w) for w in spelled]
    found: list[Meaning] = []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        taken = date_at(tokens, i, cues)
        if taken:
            day, i = taken
            days.append(day)
            continue
        length, meaning = _phrase_at(tokens, i, cues)
        if meaning is not None and meaning.cue is not Cue.IGNORE:
            found.append(meaning)
        elif meaning is None and not spelled[i].isdigit() and len(spelled[i]) >= 3:
            rest.append(spelled[i])  # as typed: a typo is corrected only into a cue
        i += length
    days += [d for m in found if (d := day_of(m)) is not None]
    said = {m.cue for m in found}
    about_the_visit = bool(visit_named or days or said & _CONTEXT)
    asks = bool(days or rest or said - {Cue.OWN_VISIT, Cue.WHEN, Cue.HOTEL, Cue.ABOUT_A_THING})
    if not (about_the_visit and asks):
        return None
    if Cue.ABOUT_A_THING in said and not (visit_named or said & {Cue.OWN_VISIT, Cue.SCHEDULE}):
        return None
    return PlanQuestion(
        asked=_asked(said, bool(days)),
        days=tuple(dict.fromkeys(days)),
        activities=tuple(dict.fromkeys(str(m.value) for m in found if m.cue is Cue.ACTIVITY)),
        places=tuple(dict.fromkeys(str(m.value) for m in found if m.cue is Cue.PLACE)),
        rest=tuple(dict.fromkeys(rest)),
        words=tuple(spelled),
        strong=bool(said & _STRONG),
    )


def _asked(cues: set[Cue], has_day: bool) -> Asked:
    for cue, asked in ((Cue.LIAISON, Asked.LIAISON), (Cue.LEAVE, Asked.LEAVE), (Cue.NEXT, Asked.NEXT)):
        if cue in cues:
            return asked
    if (Cue.START in cues) != (Cue.END in cues):
        return Asked.START if Cue.START in cues else Asked.END
    if cues & {Cue.ACTIVITY, Cue.PLACE}:
        return Asked.ACTIVITY
    return Asked.DAY if has_day else Asked.PLAN


def _phrase_at(tokens: Sequence[str], i: int, cues: PlanCues) -> tuple[int, Meaning | None]:
    """The longest phrase starting at `i`, and how many words it takes; (1, None) when none does."""
    for length in range(min(cues.longest, len(tokens) - i), 0, -1):
        meaning = cues.phrases.get(tuple(tokens[i : i + length]))
        if meaning is not None:
            return length, meaning
    return 1, None


# --- which items answer it ----------------------------------------------------------------------


@dataclass(frozen=True)
class Selection(Generic[Item]):
    asked: Asked
    items: tuple[Item, ...]  # in order
    days: tuple[date, ...]  # the days meant, where the host is; none: the whole visit
    understood: bool  # the question is this plan's: see understood()
    leave_at: datetime | None = None  # LEAVE: when to leave the hotel (an estimate)
    lead_minutes: int | None = None  # LEAVE: how long before the item that is (travel and margin)

    @property
    def nothing(self) -> bool:
        return not self.items


def select(
    question: PlanQuestion,
    items: Sequence[Item],
    *,
    now: datetime,
    tz: ZoneInfo,
    venues: VenueCatalog,
    cues: PlanCues,
) -> Selection[Item]:
    """The items of the plan that answer `question`, asked at `now`."""
    ordered = sorted(items, key=lambda i: i.starts_at)
    today = now.astimezone(tz).date()
    plan_days = sorted({i.day(tz) for i in ordered})
    days = [d for ref in question.days if (d := resolve_day(ref, today, plan_days)) is not None]
    topic, unknown = _topic(question, ordered, venues, cues)
    answered = understood(question, unknown)
    asked = question.asked
    if topic is not None and asked in (Asked.DAY, Asked.PLAN, Asked.START, Asked.END):
        asked = Asked.ACTIVITY  # "jam berapa makan siang selesai": the lunch items, with their times
    if not days and topic is None and asked in (Asked.START, Asked.LEAVE):
        coming = _coming_day(ordered, now, today, tz)
        days = [coming] if coming else []
    if not days and (question.days or asked is Asked.START or (asked is Asked.LEAVE and topic is None)):
        return Selection(asked, (), (), answered)  # a day the visit does not have, or the visit is over
    meant = [i for i in (ordered if topic is None else topic) if not days or i.day(tz) in days]
    chosen = _choose(asked, meant, now, tz, by_day=bool(days), for_topic=topic is not None)
    if asked is not Asked.LEAVE or not chosen:
        return Selection(asked, tuple(chosen), tuple(days), answered)
    first = chosen[0]
    lead = timedelta(minutes=venues.travel_minutes(cues.hotels_near, first.venue_id)) + LEAVE_MARGIN
    days = days or [first.day(tz)]
    return Selection(asked, (first,), tuple(days), answered, first.starts_at - lead, int(lead.total_seconds()) // 60)


def _choose(
    asked: Asked, meant: list[Item], now: datetime, tz: ZoneInfo, *, by_day: bool, for_topic: bool
) -> list[Item]:
    """Of the items meant (on the days named, of the activity named), those answering what is asked."""
    if asked is Asked.NEXT:
        return [i for i in meant if i.starts_at > now][:1]
    if asked in (Asked.START, Asked.END):  # each day's first or last item; no day: the visit's last
        groups: dict[date | None, list[Item]] = {}
        for item in meant:
            groups.setdefault(item.day(tz) if by_day else None, []).append(item)
        return [group[0 if asked is Asked.START else -1] for group in groups.values()]
    if asked is Asked.LEAVE:  # the day's first item; "kapan berangkat ke De Djawatan": the next one there
        coming = [i for i in meant if i.starts_at > now] if for_topic else []
        return (coming or meant)[:1]
    if asked is Asked.LIAISON:
        return [i for i in meant if i.host_officer]
    return meant


def _coming_day(ordered: Sequence[NewAgendaItem], now: datetime, today: date, tz: ZoneInfo) -> date | None:
    """The day the visitors are about to start: today until its first item has begun, then the next day."""
    todays = [i for i in ordered if i.day(tz) == today]
    if todays and todays[0].starts_at > now:
        return today
    later = [i.day(tz) for i in ordered if i.day(tz) > today]
    return later[0] if later else None


def _topic(
    question: PlanQuestion, ordered: Sequence[Item], venues: VenueCatalog, cues: PlanCues
) -> tuple[list[Item] | None, list[str]]:
    """The items that best match what the question names (its activities, places and other words: the most of
    them), None when it names nothing the plan has; and the question's other words that no item has."""
    titles = [_title_words(i.title, i.title_en) for i in ordered]
    scores = [0] * len(ordered)
    for key in question.activities:
        _score(scores, [any(_contains(t, p) for p in cues.activities.get(key, ())) for t in titles])
    for place in question.places:
        named = [any(_contains(t, p) for p in cues.place_names.get(place, ())) for t in titles]
        _score(scores, named if any(named) else [i.venue_id == place for i in ordered])
    unknown = []
    if question.rest:
        said = [set(t) | _venue_words(i.venue_id, venues) for i, t in zip(ordered, titles, strict=True)]
        for word in question.rest:
            hits = [word in s for s in said]
            unknown += [] if any(hits) else [word]
            _score(scores, hits)
    if not (question.activities or question.places or any(scores)):
        return None, unknown
    best = max(scores, default=0)
    return [i for i, s in zip(ordered, scores, strict=True) if best and s == best], unknown


def _score(scores: list[int], hits: Sequence[bool]) -> None:
    for n, hit in enumerate(hits):
        scores[n] += hit


@lru_cache(maxsize=4096)
def _title_words(title: str, title_en: str | None) -> Phrase:
    """An item's title in both languages as words; cached, as folding is most of the time a question takes."""
    return tuple(words(f"{title} . {title_en or ''}"))


@lru_cache(maxsize=1024)
def _venue_words(venue_id: str, venues: VenueCatalog) -> frozenset[str]:
    return frozenset(words(f"{venues.label(venue_id, 'id')} {venues.label(venue_id, 'en')}"))


def _contains(text: Phrase, phrase: Phrase) -> bool:
    n = len(phrase)
    return any(text[i : i + n] == phrase for i in range(len(text) - n + 1))


# --- which delegation staff mean ----------------------------------------------------------------


def match_delegation(question: PlanQuestion, delegations: Sequence[Delegation], cues: PlanCues) -> Delegation | None:
    """The delegation the question names by a distinctive word of its institution ("kutai", "kartanegara") or a
    short name content spells out ("kukar"); the one naming most of its words when several do, None when tied."""
    asked = set(question.words)
    scored = []
    for delegation in delegations:
        name = _institution_words(delegation)
        said = {w for w in name if any(near(a, w) for a in asked)}
        distinctive = {w for w in said if w not in cues.generic_institution_words and len(w) >= 3}
        if distinctive:
            scored.append(((len(distinctive), len(said)), delegation))
    scored.sort(key=lambda s: s[0], reverse=True)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _institution_words(delegation: Delegation) -> set[str]:
    return set(words(delegation.institution))
