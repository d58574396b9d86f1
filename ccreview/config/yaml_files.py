"""Small helpers shared by the YAML-backed configuration readers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ccreview.wording import did_you_mean

__all__ = ["check_keys", "read_yaml"]


def read_yaml(path: Path, error: type[Exception]) -> dict[str, Any]:
    """Read a YAML mapping, raising ``error`` with the file and line on bad syntax."""
    if not path.is_file():
        raise error(f"{path}: file not found.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
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
