"""Typed button actions: built from their declaration, read back by the one table, and every other press stale."""

from __future__ import annotations

import importlib
import json
import pkgutil
import random
from datetime import date

import pytest

import handlers
from handlers.actions import ACTIONS, DAY, ID, TEXT, WORD, Action, ActionTable, Signal, pair
from tests.support import UP_TO_SUMMARY, ChatUser, Press, Recorder, play

ALL = [importlib.import_module(f"handlers.{m.name}") for m in pkgutil.iter_modules(handlers.__path__)]


def test_every_declared_action_has_a_handler_in_the_table() -> None:
    declared = {value.key for module in ALL for value in vars(module).values() if isinstance(value, Action | Signal)}
    assert declared, "the handler modules declare their actions at module level"
    assert declared <= set(ACTIONS.declared()), f"declared without a handler: {declared - set(ACTIONS.declared())}"


def test_a_button_carries_its_argument_and_is_read_back_with_its_type() -> None:
    table = ActionTable()
    seen: list[object] = []

    async def record(turn: object, value: object = None) -> list[object]:
        seen.append(value)
        return []

    approve, day, apply, erase = (
        Action("demo:approve", ID),
        Action("demo:day", DAY),
        Action("demo:apply", pair(ID, WORD)),
        Signal("demo:erase"),
    )
    for action in (approve, day, apply, erase):
        table.bind(action, record)
    assert approve(42) == "demo:approve:42"
    assert day(date(2026, 12, 10)) == "demo:day:2026-12-10"
    assert apply((7, "half-day")) == "demo:apply:7:half-day"
    assert erase() == "demo:erase"
    for data in ("demo:approve:42", "demo:day:2026-12-10", "demo:apply:7:half-day", "demo:erase"):
        assert table.resolve(data) is not None, data


@pytest.mark.parametrize(
    "data",
    [
        "demo:approve:abc",  # not an id
        "demo:approve:-1",
        "demo:approve",  # no argument
        "demo:day:2026-13-40",
        "demo:apply:7",  # half a pair
        "demo:apply:x:half-day",
        "demo:erase:now",  # an argument where none is declared
        "demo:unknown:1",
        "",
        "::",
    ],
)
def test_malformed_or_unknown_data_resolves_to_nothing(data: str) -> None:
    table = ActionTable()

    async def handler(turn: object, value: object = None) -> list[object]:
        return []

    for action in (Action("demo:approve", ID), Action("demo:day", DAY), Action("demo:apply", pair(ID, WORD))):
        table.bind(action, handler)
    table.bind(Signal("demo:erase"), handler)
    assert table.resolve(data) is None


def test_the_64_byte_limit_is_checked_where_the_button_is_built() -> None:
    choose = Action("demo:choose", TEXT)
    assert len(choose("x" * 52).encode()) == 64
    with pytest.raises(ValueError, match="64 bytes"):
        choose("x" * 53)
    with pytest.raises(ValueError, match="64 bytes"):
        choose("é" * 27)  # bytes, not characters


def test_an_action_is_declared_once_and_never_ambiguously() -> None:
    table = ActionTable()

    async def handler(turn: object, value: object = None) -> list[object]:
        return []

    table.bind(Action("demo:open", ID), handler)
    with pytest.raises(ValueError, match="twice"):
        table.bind(Action("demo:open", WORD), handler)
    with pytest.raises(ValueError, match="ambiguous"):
        table.bind(Action("demo", WORD), handler)  # "demo:open:1" could mean either


async def test_a_forged_or_mangled_button_gets_the_stale_answer_and_the_flow_goes_on(coordinator: ChatUser) -> None:
    await play(
        coordinator,
        [
            ("/daftar", ["registration/intro", "registration/ask_institution"]),
            ("Pemkab Cianjur", ["registration/ask_province"]),
        ],
    )
    for data in ("appr:approve:abc", "nothing:here", "reg:province", "plan:apply:1", "priv:erase:x"):
        sent = await coordinator.presses_action(data)
        assert [s.template for s in sent] == ["errors/stale_button", "registration/ask_province"], data
    await play(coordinator, [(Press("text"), ["registration/ask_province"])])  # the island buttons still work


async def test_a_conversation_saved_before_answers_were_recorded_goes_on_at_its_step(coordinator: ChatUser) -> None:
    """An upgrade in the middle of a registration: the row has no answered steps; those before its step count."""
    await play(coordinator, [("/daftar", ["registration/intro", "registration/ask_institution"])])
    core = coordinator.recorder.core
    async with core.database.transaction() as conn:
        draft = {"institution": "Pemkab Cianjur", "province_code": "32", "topics_done": False}  # an older draft
        await conn.execute(
            "UPDATE conversations SET step = 'head', data = ?, answered = NULL",
            (json.dumps(draft),),
        )
    await play(
        coordinator,
        [
            ("Herman Suherman, Bupati", ["registration/ask_size"]),
            ("45", ["registration/ask_mode"]),
        ],
    )
    async with core.database.transaction() as conn:
        row = await (await conn.execute("SELECT answered FROM conversations")).fetchone()
    assert row is not None
    assert json.loads(row[0]) == ["institution", "province", "province_check", "head", "size"]  # every step before


FORGED_ARGUMENTS = (
    "",
    "0",
    "1",
    "2",
    "-1",
    "9" * 19,  # past SQLite's 64-bit integers
    str(2**63),
    "²",  # a digit to str.isdigit, not to int()
    "abc",
    "r:",
    "r:nowhere",
    "t:nothing",
    "edit:nothing",
    "edit:province",
    "confirm",
    "save",
    "send",
    "audience",
    "me",
    "skip",
    "yes",
    "35",
    "onsite",
    "virtual",
    "2026-12-10",
    "2026-13-45",
    "1:half-day",
    "1:when",
    "pulau-merah",
    "cuaca",
    "lounge-pelayanan-publik",
    "x" * 60,
    "<b>&",
)


async def test_no_forged_button_is_answered_with_an_internal_error(coordinator: ChatUser, staff: ChatUser) -> None:
    """Every declared key with every kind of forged argument, pressed by a member and by staff, inside a flow
    and outside one: each gets an answer of its own or the stale-button answer, never "internal error"."""
    rng = random.Random(20261201)
    await play(coordinator, [("/daftar", ["registration/intro", "registration/ask_institution"])])
    presses = [f"{key}:{argument}" for key in ACTIONS.declared() for argument in FORGED_ARGUMENTS]
    presses += [key for key in ACTIONS.declared()]
    presses += ["".join(rng.choice("ab:0-9é") for _ in range(rng.randint(0, 20))) for _ in range(300)]
    rng.shuffle(presses)
    for user in (coordinator, staff):
        for data in presses:
            if len(data.encode()) > 64:
                continue
            sent = await user.presses_action(data)
            assert "errors/internal" not in [s.template for s in sent], (user.name, data)


async def test_no_forged_value_for_the_current_step_of_a_flow_is_an_internal_error(
    recorder: Recorder, staff: ChatUser
) -> None:
    """At every step of registering, the step's own button with every kind of forged value."""
    for reached in range(1, len(UP_TO_SUMMARY) + 1):
        user = ChatUser(recorder, f"Koordinator {reached}")
        await play(user, UP_TO_SUMMARY[:reached])
        core = recorder.core
        async with core.database.transaction() as conn:
            [(step,)] = await conn.execute_fetchall(
                "SELECT step FROM conversations c JOIN users u ON u.id = c.user_id WHERE u.external_id = ?",
                (user.external_id,),
            )
        for argument in FORGED_ARGUMENTS:
            sent = await user.presses_action(f"reg:{step}:{argument}")
            assert "errors/internal" not in [s.template for s in sent], (step, argument)
    for argument in FORGED_ARGUMENTS:
        await staff.says("/batal")
        await play(
            staff,
            [("/siaran", ["broadcast/ask_audience"]), (Press("audience_delegation"), ["broadcast/ask_delegation"])],
        )
        sent = await staff.presses_action(f"siaran:target:{argument}")
        assert "errors/internal" not in [s.template for s in sent], ("target", argument)
    for opening in ("/siaran", "/agenda"):
        for argument in FORGED_ARGUMENTS:
            await staff.says("/batal")
            await staff.says(opening)
            for key in ("siaran:audience", "siaran:target", "agenda:minutes", "agenda:venue", "plan:open"):
                sent = await staff.presses_action(f"{key}:{argument}")
                assert "errors/internal" not in [s.template for s in sent], (opening, key, argument)
