"""Small helpers shared by the YAML-backed configuration readers.

Parameter and configuration files are read strictly: a key given twice is an error (YAML
would silently keep the second), aliases (``*name``) are refused (a few lines of them can
expand to gigabytes), and a file over :data:`MAX_BYTES` is refused unread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ccreview.wording import did_you_mean

__all__ = ["MAX_BYTES", "check_keys", "mapping_of", "read_yaml", "records", "sequence"]

#: no parameter or configuration file needs more than this
MAX_BYTES = 1 << 20


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML without aliases and without repeated keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "YAML aliases (*name) are not allowed in "
                                       "ccreview files; write the value out", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    None, None, f"key {key!r} is given twice (also on line {seen[key] + 1}); "
                    "keep one: YAML would silently use the last", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, error: type[Exception]) -> dict[str, Any]:
    """Read a YAML mapping, raising ``error`` with the file and line on bad syntax."""
    if not path.is_file():
        raise error(f"{path}: file not found.")
    if path.stat().st_size > MAX_BYTES:
        raise error(f"{path}: {path.stat().st_size:,} bytes is too large for a parameter or "
                    f"configuration file (at most {MAX_BYTES:,}); is it the right file?")
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_StrictLoader)  # safe: a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}{where}: not valid YAML: {problem}.") from None
    except ValueError as exc:  # YAML accepted the syntax but the value is impossible
        raise error(f"{path}: {exc} (an impossible date such as 2026-09-31?). "
                    "Correct the value.") from None
    if data is None:
        raise error(f"{path}: the file is empty.")
    if not isinstance(data, Mapping):
        raise error(f"{path}: expected a mapping of keys to values at the top level.")
    return dict(data)


def check_keys(
    mapping: Mapping[str, Any], allowed: Iterable[str], *, where: str, problems: list[str]
) -> None:
    """Append a problem for every key of ``mapping`` not in ``allowed``, with a suggestion."""
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            problems.append(
                f"{where}: unknown key {key!r}.{did_you_mean(key, allowed)} "
                f"Allowed keys: {', '.join(allowed)}."
            )


def mapping_of(data: dict, key: str, path: Path | str, problems: list[str], shape: str) -> dict:
    """``data[key]`` when it is a mapping (or absent: empty); otherwise a problem naming
    the shape expected."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{path}: {key}: expected a mapping of {shape}; got a "
                        f"{type(value).__name__}.")
        return {}
    return value


def sequence(value: Any, where: str, problems: list[str], shape: str) -> list:
    """``value`` when it is a list (or absent: empty); otherwise a problem naming the shape."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list of {shape}; got a {type(value).__name__}.")
        return []
    return value


def records(value: Any, where: str, problems: list[str], shape: str,
             keys: tuple[str, ...]) -> list[dict]:
    """A list of mappings (each one checked for unknown keys); entries of another shape
    are problems."""
    out = []
    for i, item in enumerate(sequence(value, where, problems, shape), start=1):
        if not isinstance(item, dict):
            problems.append(f"{where}[{i}]: expected {shape}, e.g. "
                            f"{{{', '.join(f'{k}: ...' for k in keys[:2])}}}; got {item!r}.")
            continue
        check_keys(item, keys, where=f"{where}[{i}]", problems=problems)
        out.append(item)
    return out
