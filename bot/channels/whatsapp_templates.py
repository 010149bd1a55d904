"""The approved message templates that stand in for a message outside WhatsApp's 24-hour window.

content/whatsapp_templates.yaml holds the templates to submit to Meta, one per purpose (reminder, broadcast,
notice), in Indonesian and English; WHATSAPP_TEMPLATE_<PURPOSE> overrides a name. Which purpose stands in for
a message is read from the bot template that message uses (`stands_in_for`, a name or a folder/), with one
default purpose for the rest. The template says who writes ({{1}}, HOST_NAME) and the message itself on one
line ({{2}}, shortened at a word): the essential values are all in it, and the full message, with its buttons,
map and files, follows when the user replies or taps the template's button.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from core.locale import DEFAULT_LOCALE, LOCALES
from core.yamlfile import read_yaml

TEMPLATES_FILE = Path(__file__).resolve().parents[2] / "content" / "whatsapp_templates.yaml"
SUMMARY_LIMIT = 600
"""Characters of the message in a template's {{2}}: the body, with its own words, stays within Meta's 1,024."""
PLACEHOLDERS = ("{{1}}", "{{2}}")
_ENDS_A_SENTENCE = re.compile(r"[.!?…:)]$")


class TemplatesFileError(ValueError):
    """content/whatsapp_templates.yaml, or a WHATSAPP_TEMPLATE_ setting, is not what this module can use."""


@dataclass(frozen=True)
class TemplateSpec:
    """One template to submit: its name, category and, per language, its body and its quick-reply button."""

    purpose: str
    name: str
    category: str
    bodies: Mapping[str, str]
    buttons: Mapping[str, str]
    stands_in_for: tuple[str, ...] = ()
    default: bool = False

    def covers(self, template: str) -> bool:
        return any(
            template == name or (name.endswith("/") and template.startswith(name)) for name in self.stands_in_for
        )


@dataclass(frozen=True)
class StandIn:
    """One template send: its name and language, the body's parameters and the button's payload."""

    name: str
    language: str
    params: tuple[str, ...]
    payload: str


def summary(html: str) -> str:
    """A rendered message (Telegram HTML) as one line of plain text within SUMMARY_LIMIT, cut at a word.

    A template's parameter may hold no line breaks, tabs or runs of spaces; striptags folds every run of
    whitespace into one space and turns entities back into characters."""
    text = Markup(html).striptags()
    if len(text) > SUMMARY_LIMIT:
        cut = text[: SUMMARY_LIMIT - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:-") + "…"
    return text if _ENDS_A_SENTENCE.search(text) else f"{text}."


def components(stand_in: StandIn) -> list[dict[str, Any]]:
    """The template send's components as the Graph API takes them: the body's parameters, the button's payload."""
    body = {"type": "body", "parameters": [{"type": "text", "text": text} for text in stand_in.params]}
    button = {"type": "button", "sub_type": "quick_reply", "index": 0,
              "parameters": [{"type": "payload", "payload": stand_in.payload}]}  # fmt: skip
    return [body, button]


class StandIns:
    def __init__(self, specs: Mapping[str, TemplateSpec], host_name: str, payload: str) -> None:
        defaults = [spec for spec in specs.values() if spec.default]
        if len(defaults) != 1:
            raise TemplatesFileError("exactly one template must be the default (default: true)")
        self.specs = specs
        self._default = defaults[0]
        self._host_name = host_name
        self._payload = payload

    @classmethod
    def load(cls, host_name: str, payload: str, names: Mapping[str, str], path: Path = TEMPLATES_FILE) -> StandIns:
        """The file's templates, with the names the settings give (a purpose the file lacks is an error)."""
        specs = read_specs(path)
        unknown = sorted(set(names) - set(specs))
        if unknown:
            settings = ", ".join(f"WHATSAPP_TEMPLATE_{purpose.upper()}" for purpose in unknown)
            raise TemplatesFileError(f"{settings}: no such template purpose in {path.name} ({', '.join(specs)})")
        named = {purpose: replace(spec, name=names.get(purpose, spec.name)) for purpose, spec in specs.items()}
        return cls(named, host_name, payload)

    def for_reply(self, template: str, locale: str, html: str) -> StandIn | None:
        """The template to send in place of a message (the bot's `template`, rendered as `html`); None when the
        settings switched it off."""
        spec = next((s for s in self.specs.values() if s.covers(template)), self._default)
        if not spec.name:
            return None
        language = locale if locale in spec.bodies else DEFAULT_LOCALE
        return StandIn(spec.name, language, (self._host_name, summary(html)), self._payload)


def read_specs(path: Path = TEMPLATES_FILE) -> dict[str, TemplateSpec]:
    """The templates of the file, checked: every language the bot speaks, both placeholders, a button."""
    document = read_yaml(path)
    if not isinstance(document, Mapping) or not document:
        raise TemplatesFileError(f"{path.name} must map purposes to templates")
    return {str(purpose): _spec(str(purpose), entry) for purpose, entry in document.items()}


def _spec(purpose: str, entry: Any) -> TemplateSpec:
    if not isinstance(entry, Mapping):
        raise TemplatesFileError(f"{purpose}: not a template")
    bodies, buttons = entry.get("body") or {}, entry.get("button") or {}
    for locale in LOCALES:
        body = bodies.get(locale)
        if not isinstance(body, str) or any(body.count(p) != 1 for p in PLACEHOLDERS):
            raise TemplatesFileError(f"{purpose}: the {locale} body must hold {{{{1}}}} and {{{{2}}}} once each")
        if not isinstance(buttons.get(locale), str) or not 0 < len(buttons[locale]) <= 25:
            raise TemplatesFileError(f"{purpose}: the {locale} button needs a label of 1 to 25 characters")
    return TemplateSpec(
        purpose=purpose,
        name=str(entry.get("name") or ""),
        category=str(entry.get("category") or "UTILITY"),
        bodies={locale: str(bodies[locale]) for locale in LOCALES},
        buttons={locale: str(buttons[locale]) for locale in LOCALES},
        stands_in_for=tuple(str(name) for name in entry.get("stands_in_for") or ()),
        default=bool(entry.get("default")),
    )
