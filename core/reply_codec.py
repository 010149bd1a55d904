"""A Reply as JSON and back, so a message can wait in the outbox (and survive a restart) before it is sent.

A Reply's values are what its template reads: plain values, dates and times, enums, and frozen dataclasses
of our own (views, records, content). They are written with their type, and read back only as types of
this project's own packages, so a row in the database can never make the bot import or build anything
else. Times keep their offset, which is all a template uses (it shows them in WIB or in their own zone).
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import functools
import importlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from core.messages import Reply

OUR_PACKAGES = ("core", "handlers", "storage")
_TYPE, _VALUE = "$type", "$value"


class UnreadableReply(ValueError):
    """A stored reply names a type this version does not have (renamed by an upgrade) or is damaged."""


def dump_reply(reply: Reply) -> str:
    return json.dumps(_dump(reply), ensure_ascii=False, separators=(",", ":"))


def load_reply(text: str) -> Reply:
    try:
        value = _load(json.loads(text))
    except (KeyError, TypeError, ValueError, AttributeError, ImportError) as error:
        raise UnreadableReply(str(error)) from error
    if not isinstance(value, Reply):
        raise UnreadableReply(f"not a reply: {type(value).__name__}")
    return value


@functools.cache
def _init_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _dump(value: Any) -> Any:
    """A value as JSON-ready data; how is decided once per class (_dumper_for), since every reply of a turn is
    written to the outbox before it is sent and this ran for each of its values."""
    cls = type(value)
    if cls in _PLAIN:  # exactly these: an enum is a str too, and must keep its type
        return value
    dumper = _DUMPERS.get(cls)
    if dumper is None:
        dumper = _DUMPERS[cls] = _dumper_for(cls)
    return dumper(value)


def _dumper_for(cls: type) -> Callable[[Any], Any]:
    if issubclass(cls, list):
        return lambda value: [_dump(v) for v in value]
    if issubclass(cls, tuple):
        return lambda value: {_TYPE: "tuple", _VALUE: [_dump(v) for v in value]}
    if dataclasses.is_dataclass(cls) and not issubclass(cls, type):
        name, init_fields = _name(cls), _init_fields(cls)
        return lambda value: {_TYPE: name, _VALUE: {field: _dump(getattr(value, field)) for field in init_fields}}
    if issubclass(cls, enum.Enum):
        name = _name(cls)
        return lambda value: {_TYPE: name, _VALUE: value.value}
    for scalar, kind in ((datetime, "datetime"), (date, "date"), (time, "time")):  # datetime is a date: first
        if issubclass(cls, scalar):
            return functools.partial(_dump_scalar, kind)
    if issubclass(cls, bytes):
        return lambda value: {_TYPE: "bytes", _VALUE: base64.b64encode(value).decode("ascii")}
    if issubclass(cls, frozenset):
        return lambda value: {_TYPE: "frozenset", _VALUE: [_dump(v) for v in value]}
    if issubclass(cls, Mapping):
        return _dump_mapping
    return _cannot_keep


def _dump_scalar(kind: str, value: date | time) -> Any:
    return {_TYPE: kind, _VALUE: value.isoformat()}


def _dump_mapping(value: Mapping[Any, Any]) -> Any:
    if not all(isinstance(k, str) for k in value):
        raise TypeError(f"a reply's mapping must have text keys: {value!r}")
    return {_TYPE: "dict", _VALUE: {k: _dump(v) for k, v in value.items()}}


def _cannot_keep(value: Any) -> Any:
    raise TypeError(f"cannot keep a {type(value).__name__} in the outbox")


_DUMPERS: dict[type, Callable[[Any], Any]] = {}


@functools.cache
def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_SCALARS = {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "time": time.fromisoformat}


def _load(value: Any) -> Any:
    if isinstance(value, list):
        return [_load(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind, inner = value[_TYPE], value[_VALUE]
    if kind in _SCALARS:
        return _SCALARS[kind](inner)
    if kind == "bytes":
        return base64.b64decode(inner)
    if kind == "tuple":
        return tuple(_load(v) for v in inner)
    if kind == "frozenset":
        return frozenset(_load(v) for v in inner)
    if kind == "dict":
        return {k: _load(v) for k, v in inner.items()}
    cls = _our_type(kind)
    if issubclass(cls, enum.Enum):
        return cls(inner)
    if dataclasses.is_dataclass(cls):
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        return cls(**{k: _load(v) for k, v in inner.items() if k in known})
    raise TypeError(f"{kind} is neither an enum nor a dataclass")


def _our_type(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    if module_name.partition(".")[0] not in OUR_PACKAGES:
        raise TypeError(f"{module_name} is not a module of this project")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type):
        raise TypeError(f"{name} is not a type")
    return found
