"""Feedback themes (``themes.yaml``): what comments are about, matched explainably.

A theme is a label, phrases (whole words, any case) and optional regular expressions.
The kit ships contact-centre defaults (``ccreview/config/themes.yaml``); a parameter
file's ``themes:`` key points at the organisation's own taxonomy instead. Patterns are
run by Arrow's regular-expression engine (RE2 syntax: no look-behind, no back-references),
so every pattern is checked with it when the file is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ccreview.config.yaml_files import check_keys, mapping_of, read_yaml, sequence
from ccreview.exceptions import ConfigError
from ccreview.wording import did_you_mean

__all__ = ["DEFAULT_THEMES_FILE", "DRIVERS", "Theme", "Themes", "load_themes", "phrase_pattern"]

#: the taxonomy shipped with the kit
DEFAULT_THEMES_FILE = Path(str(resources.files("ccreview").joinpath("config", "themes.yaml")))
#: handling measures a theme may correspond to (see :mod:`ccreview.feedback.drivers`)
DRIVERS = ("long_wait", "not_first_contact_resolved", "reassigned", "reopened", "breached_target")
_THEME_KEYS = ("label", "phrases", "patterns", "driver", "owner")
_ID = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Theme:
    """One theme: its id, label, the regular expression that marks it, and what it maps to."""

    id: str
    label: str
    phrases: tuple[str, ...]
    patterns: tuple[str, ...]
    driver: str | None = None
    owner: str | None = None

    @property
    def pattern(self) -> str:
        """One case-insensitive RE2 expression: any phrase as whole words, or any pattern."""
        parts = [phrase_pattern(p) for p in self.phrases] + [f"(?:{p})" for p in self.patterns]
        return "(?i)" + "|".join(parts)


@dataclass(frozen=True)
class Themes:
    """The taxonomy in use and the file it came from."""

    themes: tuple[Theme, ...]
    path: Path

    def __iter__(self):
        return iter(self.themes)

    def __len__(self) -> int:
        return len(self.themes)

    @property
    def labels(self) -> dict[str, str]:
        """Theme id -> label."""
        return {t.id: t.label for t in self.themes}


def phrase_pattern(phrase: str) -> str:
    """A phrase as whole words, any white space between them: ``on hold`` matches "on  hold"
    but not "won holdings"."""
    words = [re.escape(word) for word in phrase.split()]
    return r"\b" + r"\s+".join(words) + r"\b"


def _check_pattern(pattern: str, where: str, problems: list[str]) -> None:
    """A pattern must compile in Python and in Arrow's RE2 (which runs it)."""
    try:
        re.compile(pattern)
        pc.match_substring_regex(pa.array(["x"]), pattern=pattern, ignore_case=True)
    except (re.error, pa.ArrowInvalid) as exc:
        message = str(exc).splitlines()[0]
        problems.append(f"{where}: {pattern!r} is not a usable regular expression ({message}); "
                        "use RE2 syntax (no look-behind or back-references), or a phrase instead.")


def load_themes(path: str | Path | None = None, *, teams: list[str] | None = None) -> Themes:
    """Read a themes file (default: the kit's own), checking every theme at once.

    Parameters
    ----------
    path : str or Path, optional
        The organisation's ``themes.yaml``; None reads :data:`DEFAULT_THEMES_FILE`.
    teams : list of str, optional
        Teams of ``services.yaml``; a theme's ``owner`` must be one of them.

    Raises
    ------
    ConfigError
        Naming the file, theme and key of every problem.
    """
    path = Path(path) if path is not None else DEFAULT_THEMES_FILE
    data = read_yaml(path, ConfigError)
    problems: list[str] = []
    check_keys(data, ("themes",), where=str(path), problems=problems)
    found = mapping_of(data, "themes", path, problems, "theme id -> {label, phrases, patterns}")
    themes = []
    for theme_id, spec in found.items():
        where = f"{path}: themes: {theme_id}"
        if not isinstance(theme_id, str) or not _ID.fullmatch(theme_id):
            problems.append(f"{where}: a theme id is lower-case letters, digits and _ "
                            "(e.g. waiting_time).")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{where}: expected a mapping with label and phrases; got {spec!r}.")
            continue
        check_keys(spec, _THEME_KEYS, where=where, problems=problems)
        phrases = [str(p) for p in sequence(spec.get("phrases"), f"{where}: phrases", problems,
                                            "phrases") if str(p).strip()]
        patterns = [str(p) for p in sequence(spec.get("patterns"), f"{where}: patterns", problems,
                                             "regular expressions")]
        if not phrases and not patterns:
            problems.append(f"{where}: give at least one phrase or pattern, or the theme marks nothing.")
        for pattern in patterns:
            _check_pattern(pattern, f"{where}: patterns", problems)
        driver = spec.get("driver")
        if driver is not None and driver not in DRIVERS:
            problems.append(f"{where}: driver {driver!r} is not one of {', '.join(DRIVERS)}."
                            f"{did_you_mean(str(driver), DRIVERS)}")
        owner = spec.get("owner")
        if owner is not None and teams is not None and owner not in teams:
            problems.append(f"{where}: owner {owner!r} is not a team of services.yaml."
                            f"{did_you_mean(str(owner), teams)}")
        themes.append(Theme(theme_id, str(spec.get("label") or theme_id.replace("_", " ").capitalize()),
                            tuple(phrases), tuple(patterns), driver, owner))
    if not themes and not problems:
        problems.append(f"{path}: no themes are defined; list at least one under 'themes:'.")
    if problems:
        raise ConfigError("\n".join(problems))
    return Themes(tuple(themes), path)
