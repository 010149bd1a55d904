"""Reading the reviewed YAML content: one function, with libyaml's parser when PyYAML was built with it.

The pure-Python parser took about 0.55 s for the 65 knowledge files at every start (and every restart after
a crash); libyaml reads them in about 0.06 s. Both accept the same safe subset of YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The document in `path` (UTF-8), as plain dicts, lists and scalars."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SafeLoader)


def require_text(value: object, where: str) -> None:
    """Raise when YAML read a bare word as something else: yes/no/on/off/true as a boolean ("NO" for Norway is
    False), 38 as a number. In a word or name list that is always a mistake; quote it."""
    if isinstance(value, dict):
        for key, item in value.items():
            require_text(key, where)
            require_text(item, f"{where}: {key}")
    elif isinstance(value, list):
        for item in value:
            require_text(item, where)
    elif not isinstance(value, str):
        raise ValueError(f'{where}: {value!r} is not text; quote words such as "no", "on", "true" or "38"')
