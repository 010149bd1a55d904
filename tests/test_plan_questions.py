"""Questions about the visit's own plan: which questions they are and which items answer them (on the seed plan of
tests/data/plan_seed.yaml, asked at its `now`: the first visit day, 06:30 WIB), then end to end through the router:
a participant, someone in no visit, a member of an unpublished visit, an English reader and host staff."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app import Core
from core.clock import FakeClock
from core.plan_cues import PlanCues
from core.plan_questions import LEAVE_MARGIN, Asked, match_delegation, read, select
from core.venues import VenueCatalog
from core.visits import submit_registration
from storage.agenda import insert_item, set_plan_published
from storage.delegations import Delegation, NewDelegation
from storage.users import Role, upsert_user
from tests.plan_seed import Seed, load_seed
from tests.support import ChatUser, Recorder, join_as, play

WIB = ZoneInfo("Asia/Jakarta")
DAY_ONE = ["reception", "mpp", "lunch1", "smart-kampung", "close1"]
DAY_TWO = ["djawatan", "kemiren", "lunch2", "boom", "farewell"]


@pytest.fixture(scope="module")
def venues() -> VenueCatalog:
    return VenueCatalog()


@pytest.fixture(scope="module")
def cues(venues: VenueCatalog) -> PlanCues:
    return PlanCues.load(venues)


@pytest.fixture(scope="module")
def seed() -> Seed:
    return load_seed()


def ask(
    text: str, seed: Seed, venues: VenueCatalog, cues: PlanCues, now: datetime | None = None
) -> tuple[Asked, list[str]]:
    """What the question asks and the seed keys of the items answering it."""
    question = read(text, cues)
    assert question is not None, f"{text!r} is a question about the plan"
    selection = select(question, seed.plan, now=now or seed.now, tz=WIB, venues=venues, cues=cues)
    assert selection.understood, f"{text!r} is answered from the plan"
    return selection.asked, seed.keys(selection.items)


SELECTIONS = [
    ("acara selanjutnya apa", Asked.NEXT, ["reception"]),
    ("habis ini ke mana", Asked.NEXT, ["reception"]),
    ("what's next?", Asked.NEXT, ["reception"]),
    ("jadwal hari ini", Asked.DAY, DAY_ONE),
    ("what's on today", Asked.DAY, DAY_ONE),
    ("besok kita ke mana saja", Asked.DAY, DAY_TWO),
    ("what's on tomorrow?", Asked.DAY, DAY_TWO),
    ("agenda kamis", Asked.DAY, DAY_TWO),  # 10 December 2026 is a Thursday
    ("schedule for Thursday", Asked.DAY, DAY_TWO),
    ("jadwal 10 Desember", Asked.DAY, DAY_TWO),
    ("schedule for 10 December", Asked.DAY, DAY_TWO),
    ("jadwal 10/12", Asked.DAY, DAY_TWO),
    ("agenda hari pertama", Asked.DAY, DAY_ONE),
    ("where is lunch", Asked.ACTIVITY, ["lunch1", "lunch2"]),
    ("makan siang besok di mana?", Asked.ACTIVITY, ["lunch2"]),
    ("what time is lunch tomorrow", Asked.ACTIVITY, ["lunch2"]),
    ("di mana makan siang nanti?", Asked.ACTIVITY, ["lunch1"]),
    ("where is the welcome reception", Asked.ACTIVITY, ["reception"]),
    ("penerimaan jam berapa?", Asked.ACTIVITY, ["reception"]),
    ("kapan kita ke De Djawatan?", Asked.ACTIVITY, ["djawatan"]),
    ("kapan kita ke pantai boom", Asked.ACTIVITY, ["boom"]),  # the item named after it, not the farewell there too
    ("kapan pelepasan?", Asked.ACTIVITY, ["farewell"]),
    ("jam berapa acara besok dimulai", Asked.START, ["djawatan"]),
    ("what time do we start today?", Asked.START, ["reception"]),
    ("kapan acara hari ini selesai", Asked.END, ["close1"]),
    ("when do we go home?", Asked.END, ["farewell"]),  # no day named: the last item of the visit
    ("siapa LO kita?", Asked.LIAISON, ["reception", "mpp", "smart-kampung"]),
    ("who is our liaison officer", Asked.LIAISON, ["reception", "mpp", "smart-kampung"]),
    ("siapa pendamping kita di MPP?", Asked.LIAISON, ["mpp"]),
    ("agenda tanggal 10 desember", Asked.DAY, DAY_TWO),
    ("kapan kita ke kemiren?", Asked.ACTIVITY, ["kemiren"]),
    ("jam berapa ke Waroeng Kemarang?", Asked.ACTIVITY, ["lunch1", "lunch2"]),  # the time of a place: the visit's
    ("selama di sana makan siangnya di mana?", Asked.ACTIVITY, ["lunch1", "lunch2"]),  # "selama" is no "selasa"
    ("jdwl bsk", Asked.DAY, DAY_TWO),  # chat spellings
    ("bsk kt ke mn", Asked.DAY, DAY_TWO),
    ("jadwall besokk", Asked.DAY, DAY_TWO),  # a typo in words of five letters or more
]


@pytest.mark.parametrize(("text", "asked", "keys"), SELECTIONS, ids=[s[0] for s in SELECTIONS])
def test_a_question_selects_the_items_that_answer_it(
    text: str, asked: Asked, keys: list[str], seed: Seed, venues: VenueCatalog, cues: PlanCues
) -> None:
    assert ask(text, seed, venues, cues) == (asked, keys)


def test_next_is_the_first_item_starting_after_now(seed: Seed, venues: VenueCatalog, cues: PlanCues) -> None:
    at_lunch = datetime(2026, 12, 9, 12, 0, tzinfo=WIB)
    assert ask("acara selanjutnya apa", seed, venues, cues, now=at_lunch) == (Asked.NEXT, ["smart-kampung"])
    evening = datetime(2026, 12, 9, 19, 0, tzinfo=WIB)
    assert ask("what's next", seed, venues, cues, now=evening) == (Asked.NEXT, ["djawatan"])


def test_leaving_the_hotel_is_the_first_item_less_the_travel_and_the_margin(
    seed: Seed, venues: VenueCatalog, cues: PlanCues
) -> None:
    assert timedelta(minutes=15) == LEAVE_MARGIN
    question = read("jam berapa kita harus berangkat dari hotel?", cues)
    assert question is not None
    selection = select(question, seed.plan, now=seed.now, tz=WIB, venues=venues, cues=cues)
    assert selection.asked is Asked.LEAVE and seed.keys(selection.items) == ["reception"]
    # the reception at 08:30 is 10 minutes from the town-centre hotels (content/venues.yaml), less 15 in hand
    assert selection.leave_at == datetime(2026, 12, 9, 8, 5, tzinfo=WIB) and selection.lead_minutes == 25

    tomorrow = read("when should we leave the hotel tomorrow?", cues)
    assert tomorrow is not None
    selection = select(tomorrow, seed.plan, now=seed.now, tz=WIB, venues=venues, cues=cues)
    assert seed.keys(selection.items) == ["djawatan"]  # 08:00, an hour's drive away
    assert selection.leave_at == datetime(2026, 12, 10, 6, 45, tzinfo=WIB)

    once_begun = datetime(2026, 12, 9, 9, 0, tzinfo=WIB)  # today's first item has begun: the next visit day's
    selection = select(question, seed.plan, now=once_begun, tz=WIB, venues=venues, cues=cues)
    assert seed.keys(selection.items) == ["djawatan"]


def test_a_day_without_items_selects_nothing_and_says_which_day(
    seed: Seed, venues: VenueCatalog, cues: PlanCues
) -> None:
    for text in ("jadwal hari jumat", "agenda lusa", "what's on Friday?"):
        question = read(text, cues)
        assert question is not None
        selection = select(question, seed.plan, now=seed.now, tz=WIB, venues=venues, cues=cues)
        assert selection.understood and selection.nothing, text
        assert selection.days == (datetime(2026, 12, 11).date(),), text
    dinner = read("makan malam di mana?", cues)  # an activity the plan does not have
    assert dinner is not None
    assert select(dinner, seed.plan, now=seed.now, tz=WIB, venues=venues, cues=cues).nothing


@pytest.mark.parametrize(
    "text",
    [
        "apa itu smart kampung",
        "jam buka mal pelayanan publik",
        "tiket de djawatan berapa",
        "Apa itu Jemput Bola Rawat Warga?",  # "jemput" is a plan word, but this asks what a programme is
        "gmn cara ke kawah ijen?",
        "thanks, see you later",
    ],
)
def test_a_place_or_an_innovation_alone_is_not_a_plan_question(text: str, cues: PlanCues) -> None:
    assert read(text, cues) is None


def test_a_question_only_about_a_place_says_so(cues: PlanCues) -> None:
    """Someone with no plan to answer from is better served by the place's card (handlers/asking.py)."""
    cases = [("kapan kita ke De Djawatan?", True), ("kapan kita ke MPP besok?", False), ("jadwal besok", False)]
    for text, only in cases:
        question = read(text, cues)
        assert question is not None and question.only_a_place is only, text


@pytest.mark.parametrize(
    "text",
    [
        "besok hujan gak?",  # the weather
        "Is the public service mall open on Saturdays?",
        "jadwal kereta ke Surabaya",
        "How often do ferries leave Ketapang for Gilimanuk?",
        "Apakah ada hotel dekat Pendopo yang menerima tamu rombongan 50 orang?",
    ],
)
def test_a_question_with_words_the_plan_does_not_know_is_left_to_the_knowledge_base(
    text: str, seed: Seed, venues: VenueCatalog, cues: PlanCues
) -> None:
    question = read(text, cues)
    if question is not None:
        assert not question.understood
        assert not select(question, seed.plan, now=seed.now, tz=WIB, venues=venues, cues=cues).understood


def delegation(seed: Seed, institution: str, id_: int) -> Delegation:
    fields = {f: getattr(seed.delegation, f) for f in NewDelegation.__dataclass_fields__}
    return Delegation(
        **(fields | {"institution": institution}),
        id=id_,
        join_code=f"CODE{id_:04d}",
        coordinator_id=1,
        status="approved",  # type: ignore[arg-type]
        created_at=seed.now,
    )


def test_staff_name_a_delegation_by_a_distinctive_word_or_a_short_name(seed: Seed, cues: PlanCues) -> None:
    kukar = delegation(seed, seed.delegation.institution, 1)
    others = [delegation(seed, "Pemkab Cianjur", 2), delegation(seed, "Pemkab Kutai Timur", 3), kukar]
    for text in ("jadwal kutai kartanegara besok", "Kukar lunch where?", "kartanegara makan siang di mana"):
        question = read(text, cues)
        assert question is not None
        assert match_delegation(question, others, cues) == kukar, text
    cianjur = read("jadwal Cianjur besok", cues)
    assert cianjur is not None and match_delegation(cianjur, others, cues) == others[0]
    timur = read("agenda Kutai Timur hari ini", cues)
    assert timur is not None and match_delegation(timur, others, cues) == others[1]
    kutai = read("agenda kutai hari ini", cues)  # both Kutai delegations: it does not say which
    assert kutai is not None and match_delegation(kutai, others, cues) is None
    pemkab = read("jadwal pemkab besok", cues)
    assert pemkab is not None and match_delegation(pemkab, others, cues) is None

    named = read("Kukar lunch where?", cues)
    assert named is not None and not named.understood  # "kutai kartanegara" is no word of the plan…
    assert named.about(kukar).understood  # …but the delegation's name


# --- through the router ------------------------------------------------------------------------


async def seed_visit(core: Core, seed: Seed, *, published: bool) -> Delegation:
    """The seed's delegation and plan, as staff would have saved (and published) it."""
    now = core.services.clock.now()
    async with core.database.transaction() as conn:
        coordinator = await upsert_user(
            conn,
            channel="console",
            external_id="koordinator-kukar",
            chat_id="koordinator-kukar",
            display_name="Rahmat",
            default_language="id",
            role=Role.MEMBER,
            now=now,
        )
        visit = await submit_registration(
            conn, seed.delegation, coordinator_id=coordinator.id, clock=core.services.clock
        )
        for item in seed.plan:
            await insert_item(conn, visit.id, item, uid=item.uid, now=now)
        if published:
            await set_plan_published(conn, visit.id, now)
    return visit


async def test_a_participant_asks_where_lunch_is_and_gets_the_item_in_both_zones_with_a_map_button(
    core: Core, recorder: Recorder, clock: FakeClock
) -> None:
    seed = load_seed()
    visit = await seed_visit(core, seed, published=True)
    member = await join_as(recorder, "Pak Andi", visit.join_code)
    clock.set(seed.now)
    [answer] = await member.says("di mana makan siang nanti?")
    assert answer.template == "plan/answer"
    assert "11:45–12:45 WIB (12:45 WITA)" in answer.text and "Makan siang khas Osing" in answer.text
    assert "Waroeng Kemarang" in answer.text and "Makan siang</b>" not in answer.text  # not tomorrow's lunch
    assert answer.labels == ["📍 Waroeng Kemarang"]
    [venue] = await member.presses("text")
    assert venue.template == "plan/venue" and "Waroeng Kemarang" in venue.text

    [leave] = await member.says("jam berapa kita berangkat dari hotel?")
    assert "08:05 WIB</b> (09:05 WITA)" in leave.text and "perkiraan" in leave.text
    [none] = await member.says("jadwal hari jumat")
    assert none.template == "plan/answer_none" and "Jumat, 11 Desember 2026" in none.text
    assert "Kamis, 10 Desember 2026" in none.text  # the visit's days
    [card] = await member.says("apa itu smart kampung")
    assert card.template == "questions/answer"  # the knowledge base still answers about a place


async def test_someone_in_no_visit_is_told_how_to_see_a_schedule(recorder: Recorder) -> None:
    stranger = ChatUser(recorder, "Bu Sari")
    await play(stranger, [("jadwal besok", [("plan/no_visit", "/jadwal")])])
    await play(stranger, [("/tanya kapan makan siang?", [("plan/no_visit", "/gabung")])])


async def test_a_member_of_an_unpublished_visit_is_told_it_is_not_published_yet(
    core: Core, recorder: Recorder, clock: FakeClock
) -> None:
    seed = load_seed()
    visit = await seed_visit(core, seed, published=False)
    member = await join_as(recorder, "Pak Andi", visit.join_code)
    clock.set(seed.now)
    await play(member, [("acara selanjutnya apa?", [("plan/answer_unpublished", "/status")])])
    [weather] = await member.says("besok hujan gak?")  # not the plan's: the knowledge base's
    assert weather.template.startswith("questions/")


async def test_an_english_reader_gets_the_english_titles(core: Core, recorder: Recorder, clock: FakeClock) -> None:
    seed = load_seed()
    visit = await seed_visit(core, seed, published=True)
    member = await join_as(recorder, "Mr Andi", visit.join_code)
    await play(member, [("/bahasa en", ["menu/language_set"])])
    clock.set(seed.now)
    [answer] = await member.says("where is lunch tomorrow?")
    assert answer.template == "plan/answer" and answer.recipient.locale == "en"
    assert "12:30–13:30 WIB (13:30 WITA)" in answer.text and "<b>Lunch</b>" in answer.text
    assert "Makan siang" not in answer.text and "Thursday, 10 December 2026" in answer.text
    [officers] = await member.says("who is our liaison officer?")
    assert "Ibu Rina Suryani" in officers.text and "Visit to the Public Service Mall" in officers.text


async def test_staff_ask_about_a_named_delegation_published_or_not(
    core: Core, recorder: Recorder, staff: ChatUser, clock: FakeClock
) -> None:
    seed = load_seed()
    await seed_visit(core, seed, published=False)
    clock.set(seed.now)
    [answer] = await staff.says("Kukar lunch where?")
    assert answer.template == "plan/answer" and "belum diterbitkan" in answer.text
    assert "Makan siang khas Osing" in answer.text and "<b>Makan siang</b>" in answer.text  # both days' lunches
    [tomorrow] = await staff.says("jadwal kutai kartanegara besok")
    assert "Jalan pagi di hutan trembesi De Djawatan" in tomorrow.text and "Penerimaan" not in tomorrow.text
    [walk] = await staff.says("Kukar ke De Djawatan jam berapa?")  # the delegation named says it is its visit
    assert "08:00–09:30 WIB (09:00 WITA)" in walk.text
    await play(staff, [("jadwal besok", [("plan/answer_which", "Pemkab Kutai Kartanegara")])])
