"""The greeting (issue 12.20): "Selamat pagi, Bapak/Ibu Budi Santoso" by the host's clock and the name the user gave
in a form, not "👋 Halo budi!" with the chat handle."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.render import Renderer
from core.clock import DayPart, FakeClock, part_of_day
from core.locale import LOCALES
from core.people import Addressee
from tests.support import UP_TO_SUMMARY, ChatUser, Press, Recorder, play, register

WIB = ZoneInfo("Asia/Jakarta")


def at(clock: FakeClock, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, 11, 25, hour, minute, tzinfo=WIB))


async def greeting(user: ChatUser) -> str:
    [start] = await user.says("/start")
    assert start.template == "menu/start" and "Halo" not in start.text and "Hello" not in start.text
    return start.text.splitlines()[0]


@pytest.mark.parametrize(
    ("clock_time", "part"),
    [
        (time(4, 0), DayPart.MORNING),
        (time(10, 59), DayPart.MORNING),
        (time(11, 0), DayPart.MIDDAY),
        (time(14, 59), DayPart.MIDDAY),
        (time(15, 0), DayPart.AFTERNOON),
        (time(17, 59), DayPart.AFTERNOON),
        (time(18, 0), DayPart.EVENING),
        (time(0, 30), DayPart.EVENING),
        (time(3, 59), DayPart.EVENING),
    ],
)
def test_the_part_of_the_day_is_read_on_the_hosts_clock(clock_time: time, part: DayPart) -> None:
    moment = datetime(2026, 11, 25, clock_time.hour, clock_time.minute, tzinfo=WIB)
    assert part_of_day(moment.astimezone(ZoneInfo("America/New_York")), WIB) is part


async def test_a_newcomer_is_greeted_by_the_time_of_day_and_their_chat_name(
    recorder: Recorder, clock: FakeClock
) -> None:
    budi = ChatUser(recorder, "budi")
    at(clock, 8)
    assert await greeting(
        budi
    ) == "👋 Selamat pagi, Bapak/Ibu budi. Selamat datang di meja delegasi Pemkab Banyuwangi. " + (
        "Kami membantu mendaftarkan kunjungan <i>studi tiru</i>, menghubungkan peserta dengan delegasinya, dan memberi "
        "kabar selama kunjungan."
    )
    at(clock, 21)
    assert (await greeting(budi)).startswith("👋 Selamat malam, Bapak/Ibu budi.")


async def test_a_participant_is_greeted_by_the_name_they_gave_when_joining(
    recorder: Recorder, coordinator: ChatUser, clock: FakeClock
) -> None:
    code = await register(coordinator)
    member = ChatUser(recorder, "budi")
    await play(
        member,
        [
            (f"/gabung {code}", ["join/welcome", "join/ask_name"]),
            ("Budi Santoso", ["join/ask_position"]),
            ("Camat", ["join/ask_unit"]),
            ("-", ["join/confirm"]),
            (Press("confirm"), ["join/joined"]),
        ],
    )
    at(clock, 13)
    assert (await greeting(member)).startswith("👋 Selamat siang, Bapak/Ibu Budi Santoso. Selamat datang kembali.")


async def test_a_coordinator_is_greeted_by_the_contact_name_of_their_registration(
    recorder: Recorder, clock: FakeClock
) -> None:
    rina = ChatUser(recorder, "rina_cjr")
    at(clock, 16)
    assert (await greeting(rina)).startswith("👋 Selamat sore, Bapak/Ibu rina_cjr.")  # no form filled in yet
    up_to_contact = UP_TO_SUMMARY[: UP_TO_SUMMARY.index((Press("use_my_name"), ["registration/ask_contact_phone"]))]
    await play(
        rina,
        [
            *up_to_contact,
            ("Rina Marlina", ["registration/ask_contact_phone"]),
            ("0812 3456 7890", ["registration/summary"]),
        ],
    )
    await rina.presses("confirm")
    assert (await greeting(rina)).startswith("👋 Selamat sore, Bapak/Ibu Rina Marlina. Selamat datang kembali")


async def test_a_name_that_carries_its_form_of_address_is_not_given_another(
    coordinator: ChatUser, clock: FakeClock
) -> None:
    await register(coordinator)  # "Bu Rina", her chat name taken as the contact name
    at(clock, 19)
    assert (await greeting(coordinator)).startswith("👋 Selamat malam, Bu Rina. Selamat datang kembali")


async def test_english_readers_are_greeted_in_english(recorder: Recorder, clock: FakeClock) -> None:
    dedi = ChatUser(recorder, "Dedi Mulyadi", language_code="en")
    at(clock, 7)
    assert (await greeting(dedi)).startswith("👋 Good morning, Dedi Mulyadi. I am the Pemkab Banyuwangi delegation")
    at(clock, 12)
    assert (await greeting(dedi)).startswith("👋 Good afternoon, Dedi Mulyadi.")
    at(clock, 18)
    assert (await greeting(dedi)).startswith("👋 Good evening, Dedi Mulyadi.")


async def test_staff_are_greeted_on_duty(staff: ChatUser, clock: FakeClock) -> None:
    at(clock, 9)
    assert (await greeting(staff)).startswith("👋 Selamat pagi, Bapak/Ibu pak_staf. Selamat bertugas di meja delegasi")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_part_of_the_day_has_its_greeting(renderer: Renderer, locale: str) -> None:
    for part in DayPart:
        for role in ("staff", "coordinator", "participant", "newcomer"):
            params = {"role": role, "daypart": part, "addressee": Addressee("Budi", titled=False)}
            assert "Budi" in renderer.render("menu/start", locale, params)


async def test_a_greeting_in_the_middle_of_a_form_is_answered_in_kind(
    recorder: Recorder, coordinator: ChatUser, clock: FakeClock
) -> None:
    code = await register(coordinator)
    member = ChatUser(recorder, "Dedi")
    await play(member, [(f"/gabung {code}", ["join/welcome", "join/ask_name"])])
    at(clock, 14)
    [where, _question] = await member.says("halo")
    assert where.template == "menu/in_flow"
    assert (
        where.text.startswith("👋 Selamat siang, Bapak/Ibu Dedi. Bapak/Ibu sedang mengisi") and "Halo" not in where.text
    )
