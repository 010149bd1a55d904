"""Guessing join codes: erasing one's data does not reset the count, and many accounts at once are slowed down."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from bot.app import Core
from core.clock import FakeClock
from core.join_limits import KEPT_FOR, PRESSURE_WRONG_CODES
from storage.db import fetch_all
from tests.conftest import CoreFactory
from tests.support import ChatUser, Press, Recorder, play, register

WRONG = [f"{letter * 4}2345" for letter in "ABCDEFGHJK"]  # well-formed codes that open nothing


async def rows(core: Core, sql: str) -> list[dict[str, object]]:
    async with core.database.transaction() as conn:
        return [dict(r) for r in await fetch_all(conn, sql)]


async def erase(user: ChatUser) -> None:
    await play(user, [("/hapusdata", ["privacy/holdings"]), (Press("erase_my_data"), ["privacy/erased"])])


async def test_erasing_ones_data_between_guesses_does_not_reset_the_lock(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    code = await register(coordinator)
    guesser = ChatUser(recorder, "Penebak", external_id="70012")
    await play(
        guesser,
        [
            (f"/gabung {WRONG[0]}", [("join/errors/unknown_code", "4"), "join/ask_code"]),
            (WRONG[1], [("join/errors/unknown_code", "3"), "join/ask_code"]),
            (WRONG[2], ["join/errors/unknown_code", "join/ask_code"]),
            (WRONG[3], [("join/errors/unknown_code", "1"), "join/ask_code"]),
        ],
    )
    before = await rows(recorder.core, "SELECT id FROM users WHERE external_id = '70012'")
    await erase(guesser)
    clock.advance(timedelta(minutes=5))
    await play(
        guesser,
        [
            (f"/gabung {WRONG[4]}", [("join/errors/locked", "11:05")]),  # the fifth wrong code, a new account
            (f"/gabung {code}", ["join/errors/locked"]),
        ],
    )
    after = await rows(recorder.core, "SELECT id FROM users WHERE external_id = '70012'")
    assert before != after  # the erasure did detach the account: the count followed the person, not the row
    clock.advance(timedelta(hours=1))
    await play(guesser, [(f"/gabung {code}", ["join/welcome", "join/ask_name"])])


async def test_what_an_erasure_keeps_of_wrong_codes_names_nobody(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock
) -> None:
    core = recorder.core
    await register(coordinator)
    guesser = ChatUser(recorder, "Pak Penebak Rahasia", external_id="70012")
    await play(guesser, [(f"/gabung {code}", ["join/errors/unknown_code", "join/ask_code"]) for code in WRONG[:3]])
    await erase(guesser)
    await core.tasks.wait()  # the checkpoint after the commit

    kept = await rows(core, "SELECT * FROM join_failures")
    assert len(kept) == 3 and {tuple(row) for row in kept} == {("id", "identity", "at")}
    identities = {row["identity"] for row in kept}
    assert len(identities) == 1
    [identity] = identities
    assert isinstance(identity, bytes) and len(identity) == 32
    assert identity != hashlib.sha256(b"console\x0070012").digest()  # keyed: not computable from the id alone
    for path in (p for p in core.settings.data_dir.iterdir() if p.name.startswith("delegasi.sqlite3")):
        raw = path.read_bytes()
        for value in (*WRONG[:3], "Pak Penebak Rahasia"):
            assert value.encode() not in raw, (path.name, value)

    clock.advance(KEPT_FOR + timedelta(minutes=1))
    await core.retention.run()
    assert await rows(core, "SELECT id FROM join_failures") == []


async def test_many_accounts_guessing_at_once_get_one_check_a_minute_while_a_right_code_joins(
    coordinator: ChatUser, recorder: Recorder, clock: FakeClock, make_core: CoreFactory
) -> None:
    code = await register(coordinator)  # 10:00 WIB
    guessers = [ChatUser(recorder, f"Akun {n}", external_id=str(80000 + n)) for n in range(40)]
    for n, guesser in enumerate(guessers):  # one a second, each with its own wrong code
        answer, asked = await guesser.says(f"/gabung {n:04d}ZZZZ")
        assert asked.template == "join/ask_code"
        if n < PRESSURE_WRONG_CODES:
            assert answer.template == "join/errors/unknown_code"
        else:  # from the 31st wrong code in a minute: checked, but answered like the pause
            assert answer.template == "join/errors/busy" and set(answer.reply.params) == {"until"}
            assert f"{n:04d}ZZZZ" not in answer.text
        clock.advance(timedelta(seconds=1))

    # 10:00:40: the right code opens for anyone who has not just typed a wrong one ...
    await play(ChatUser(recorder, "Bu Tamu"), [(f"/gabung {code}", ["join/welcome", "join/ask_name"])])
    # ... and waits for one who has: the code is not even looked at, so the answer cannot depend on it
    right, _ = await guessers[0].says(f"/gabung {code}")
    wrong, _ = await guessers[1].says(f"/gabung {WRONG[0]}")
    assert right.template == wrong.template == "join/errors/busy"
    assert "mulai pukul 10:01 WIB" in right.text  # a minute after its wrong code at 10:00:00
    assert right.text.replace("10:01", "10:02") == wrong.text  # the same words, whatever was typed
    assert len(await rows(recorder.core, "SELECT id FROM join_failures")) == 40  # refusals unchecked, uncounted

    # The pause is in the database: a restart does not lift it.
    await recorder.core.close()
    restarted = Recorder(await make_core())
    again = ChatUser(restarted, "Akun 1", external_id="80001")
    await play(again, [(f"/gabung {WRONG[1]}", [("join/errors/busy", "10:02"), "join/ask_code"])])

    clock.advance(timedelta(seconds=20))  # 10:01:00: still 39 wrong codes within the minute, but Akun 0's pause is over
    first = ChatUser(restarted, "Akun 0", external_id="80000")
    await play(first, [(f"/gabung {code}", ["join/welcome", "join/ask_name"])])

    clock.advance(timedelta(minutes=1))  # 10:02:00: no wrong code within the last minute, guessing as before
    await play(again, [(f"/gabung {WRONG[2]}", [("join/errors/unknown_code", "3"), "join/ask_code"])])


async def test_the_pause_is_explained_in_english(recorder: Recorder, clock: FakeClock) -> None:
    for n in range(PRESSURE_WRONG_CODES + 1):
        await ChatUser(recorder, f"Akun {n}", external_id=str(80000 + n)).says(f"/gabung {n:04d}ZZZZ")
    visitor = ChatUser(recorder, "Ms Lee", language_code="en-GB")
    clock.advance(timedelta(seconds=10))
    await play(
        visitor,
        [
            (f"/gabung {WRONG[0]}", [("join/errors/busy", "Many join codes are being tried"), "join/ask_code"]),
            (WRONG[1], [("join/errors/busy", "try again from 10:02 WIB"), "join/ask_code"]),
        ],
    )
