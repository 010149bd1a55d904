"""How the rendered templates read (issue 12.21, 12.22): counts with the right form of their noun, no "(s)", one
name for the host committee in English, and the host's contact left out cleanly when none is configured."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from bot.render import TEMPLATES_DIR, Renderer
from core.content import CONTENT_DIR
from core.locale import LOCALES
from core.messages import Label, Reply
from tests.test_templates import message_templates, parameter_sets

HOST = "Pemkab Banyuwangi"
TWICE = re.compile(rf"{HOST}\W+(?:\w+\W+)?{HOST}")
# A count of one and its noun, past words such as "other approved" that may stand between them.
ONE_AND_ITS_NOUN = re.compile(r"(?<![\w.,:#/–-])1 (?:(?:other|more|past|approved|registered|coming|visit)\s+)*(\w+)")
NOT_PLURALS = frozenset({"is", "was", "has", "its", "this", "as", "yours", "us"})


def is_plural(word: str) -> bool:
    return word in ("people", "ppl") or (word.endswith("s") and word not in NOT_PLURALS)


@pytest.fixture(scope="module")
def plain_host() -> Renderer:
    """The templates as a fresh installation renders them: the default host name and no HOST_CONTACT."""
    return Renderer(ZoneInfo("Asia/Jakarta"), {"host_name": HOST, "host_contact": None})


@pytest.fixture(scope="module")
def plain_renderings(plain_host: Renderer) -> Callable[[str], list[tuple[str, str]]]:
    """every_rendering(plain_host, locale, parameter_sets()), made once per locale for the tests that read it (the
    same templates with the same values render the same text; rendering them all takes seconds)."""
    made: dict[str, list[tuple[str, str]]] = {}

    def rendered(locale: str) -> list[tuple[str, str]]:
        if locale not in made:
            made[locale] = every_rendering(plain_host, locale, parameter_sets())
        return made[locale]

    return rendered


def every_rendering(renderer: Renderer, locale: str, sets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(template, text) of every message template rendered with each parameter set."""
    return [
        (template, "\n".join(renderer.render_reply(Reply(template, params), locale).parts))
        for template in message_templates(locale)
        for params in sets
    ]


def with_ones(value: Any) -> Any:
    """The value with every count in it set to 1 and every list cut to one element (so `|length` is 1 too)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 1
    if isinstance(value, list | tuple):
        return type(value)(with_ones(v) for v in value[:1])
    if isinstance(value, dict):
        return {k: with_ones(v) for k, v in list(value.items())[:1]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: with_ones(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def test_no_english_template_leaves_the_plural_to_the_reader(
    plain_renderings: Callable[[str], list[tuple[str, str]]],
) -> None:
    """Issue 12.22: "question(s)", "visit(s)": a count takes the form of its noun (the `plural` filter)."""
    left = sorted({t for t, text in plain_renderings("en") if "(s)" in text})
    assert not left, f"(s) in {left}"


def test_a_count_of_one_takes_the_singular_in_english(plain_host: Renderer) -> None:
    """Issue 12.22: "(yours has 1 characters)": every count in every template set to 1 reads "1 character"."""
    wrong = set()
    ones = [{name: with_ones(value) for name, value in params.items()} for params in parameter_sets()]
    for template, text in every_rendering(plain_host, "en", ones):
        wrong |= {f"{template}: {m.group(0)!r}" for m in ONE_AND_ITS_NOUN.finditer(text) if is_plural(m.group(1))}
    for name, params in re.findall(r"{% macro (\w+)\(([^)]*)\)", (TEMPLATES_DIR / "en" / "_labels.j2").read_text()):
        label = plain_host.label(Label(name, {p.strip(): 1 for p in params.split(",") if p.strip()}), "en")
        wrong |= {f"label {name}: {m.group(0)!r}" for m in ONE_AND_ITS_NOUN.finditer(label) if is_plural(m.group(1))}
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize(("count", "english"), [(0, "0 visits"), (1, "1 visit"), (2, "2 visits"), (21, "21 visits")])
def test_the_plural_filter_follows_each_languages_rule(plain_host: Renderer, count: int, english: str) -> None:
    """English takes the singular for one only; Indonesian does not inflect, so it always takes the second form."""
    template = plain_host.env.from_string('{{ n|plural("visit", "visits") }}')
    assert template.render(n=count, locale="en") == english
    assert template.render(n=count, locale="id") == f"{count} visits"
    with pytest.raises(UndefinedError):  # a count the code does not pass is a mistake, not "0 visits"
        template.render(locale="en")


# Every other way English once named the host committee; one term is kept: "the <host name> committee".
OTHER_NAMES = re.compile(r"organi[sz](?:ing|ed) committee|host committee|committee admins", re.I)


def test_english_names_the_host_committee_one_way(plain_renderings: Callable[[str], list[tuple[str, str]]]) -> None:
    """Issue 12.22: refusals said "committee admins" in one place and "organizing committee" in another."""
    rendered = plain_renderings("en")
    found = {f"{t}: {m.group(0)}" for t, text in rendered for m in OTHER_NAMES.finditer(text)}
    for path in sorted(CONTENT_DIR.rglob("*.yaml")):
        found |= {f"{path.name}: {m.group(0)}" for m in OTHER_NAMES.finditer(path.read_text(encoding="utf-8"))}
    assert not found, sorted(found)


@pytest.mark.parametrize("locale", LOCALES)
def test_without_a_host_contact_no_template_repeats_the_host_or_leaves_empty_parentheses(
    plain_renderings: Callable[[str], list[tuple[str, str]]], locale: str
) -> None:
    """Issue 12.21: wherever a template shows the host's contact, none configured leaves no trace."""
    wrong = [(t, text) for t, text in plain_renderings(locale) if TWICE.search(text) or re.search(r"\(\s*\)", text)]
    assert not wrong, wrong[:3]


# The desk writes to officials: "Bapak/Ibu", never "Anda" or "kamu", and no chat words. "-mu" as a suffix is not
# looked for: as a whole word it cannot be told from "ilmu" or "tamu".
INFORMAL = re.compile(r"\b(?:anda|kamu|kau|aja|nggak|gak|udah|yuk|oke|dong|sih)\b", re.I)
# The desk speaks as "kami"; "saya" only in a button label, where it is the user speaking ("Pakai nama saya").
FIRST_PERSON = re.compile(r"\bsaya\b", re.I)
LABELS = "_labels.j2"
# (template, word) pairs a template may keep, each with its reason; e.g. a user's own words quoted as an example.
ALLOWED: dict[tuple[str, str], str] = {}


def test_indonesian_templates_address_officials_formally() -> None:
    """Every Indonesian template addresses the reader as "Bapak/Ibu" and speaks for the desk as "kami"."""
    root = TEMPLATES_DIR / "id"
    found = []
    for path in sorted(root.rglob("*.j2")):
        name = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = [m.group(0) for m in INFORMAL.finditer(line)]
            if name != LABELS:
                words += [m.group(0) for m in FIRST_PERSON.finditer(line)]
            found += [f"{name}:{number}: {w!r}" for w in words if (name, w.lower()) not in ALLOWED]
    assert not found, "\n".join(found)
