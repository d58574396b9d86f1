"""Run rules for control charts (Western Electric, Nelson) on standardised z-scores, vectorised."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ccreview.exceptions import ParameterError

__all__ = [
    "DEFAULT_RULES",
    "NELSON",
    "RULES",
    "RULE_SETS",
    "WESTERN_ELECTRIC",
    "detect",
    "detect_array",
    "false_signal_rate",
    "resolve_rules",
    "z_scores",
]


#: rule name -> plain-language description, in the order reports list them
RULES: dict[str, str] = {
    "beyond_limits": "One point outside the control limits (more than 3 sigma from the centre line).",
    "two_of_three": "Two of three points in a row more than 2 sigma from the centre line, on the same side.",
    "four_of_five": "Four of five points in a row more than 1 sigma from the centre line, on the same side.",
    "eight_same_side": "Eight points in a row on the same side of the centre line.",
    "nine_same_side": "Nine points in a row on the same side of the centre line.",
    "six_trend": "Six points in a row steadily increasing, or steadily decreasing.",
    "fourteen_alternating": "Fourteen points in a row alternating up and down.",
    "fifteen_within_one_sigma": "Fifteen points in a row within 1 sigma of the centre line (either side): "
                                "less variation than the limits expect.",
    "eight_outside_one_sigma": "Eight points in a row more than 1 sigma from the centre line (either side), "
                               "none within 1 sigma.",
}


#: Western Electric (1956) Statistical Quality Control Handbook, rules 1-4
WESTERN_ELECTRIC = ("beyond_limits", "two_of_three", "four_of_five", "eight_same_side")


#: Nelson (1984), J. Quality Technology 16:237-239, tests 1-8 in order
NELSON = ("beyond_limits", "nine_same_side", "six_trend", "fourteen_alternating", "two_of_three",
          "four_of_five", "fifteen_within_one_sigma", "eight_outside_one_sigma")


#: names that stand for a whole set of rules
RULE_SETS: dict[str, tuple[str, ...]] = {"western_electric": WESTERN_ELECTRIC, "nelson": NELSON}


DEFAULT_RULES = WESTERN_ELECTRIC


def resolve_rules(rules: str | Iterable[str]) -> tuple[str, ...]:
    """Rule names in order, without repeats, with set names (``"nelson"``) expanded.

    Raises
    ------
    ParameterError
        For an unknown name, with the closest known names suggested.
    """
    names = [rules] if isinstance(rules, str) else list(rules)
    out: list[str] = []
    for name in names:
        if name in RULE_SETS:
            out.extend(RULE_SETS[name])
        elif name in RULES:
            out.append(name)
        else:
            known = [*RULES, *RULE_SETS]
            close = difflib.get_close_matches(str(name), known, n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(
                f"rules: unknown control-chart rule {name!r}.{hint} Known rules: {', '.join(RULES)}; "
                f"or a set: {', '.join(RULE_SETS)}.")
    return tuple(dict.fromkeys(out))


def z_scores(values: np.ndarray, *, centre: np.ndarray | float, sigma: np.ndarray | float) -> np.ndarray:
    """Standardised distance of each value from the centre line, ``(value - centre) / sigma``.

    Broadcasts, so ``values`` may be 2-D (series × points). Where sigma is 0 a value on
    the centre line scores 0 and any other value ±inf; missing inputs give NaN.
    """
    values = np.asarray(values, dtype=float)
    diff = values - np.asarray(centre, dtype=float)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / sigma
    flat = (sigma == 0) & ~np.isnan(diff)
    return np.where(flat, np.sign(diff) * np.where(diff == 0, 0.0, np.inf), z)


def _window_sum(flags: np.ndarray, width: int) -> np.ndarray:
    """How many of the last ``width`` points (fewer at the start) are True, along the last axis."""
    total = np.cumsum(flags, axis=-1, dtype=np.int32)
    out = total.copy()
    out[..., width:] -= total[..., :-width]
    return out


def _run(flags: np.ndarray, length: int) -> np.ndarray:
    """True where the last ``length`` points are all True."""
    return _window_sum(flags, length) >= length


def _k_of_m_same_side(z: np.ndarray, *, beyond: float, k: int, m: int) -> np.ndarray:
    fired = np.zeros(z.shape, dtype=bool)
    for side in (1.0, -1.0):
        out = side * z > beyond
        fired |= out & (_window_sum(out, m) >= k)
    return fired


def _same_side(z: np.ndarray, length: int) -> np.ndarray:
    return _run(z > 0, length) | _run(z < 0, length)


def _on_points(flags: np.ndarray, offset: int, shape: tuple[int, ...]) -> np.ndarray:
    """Put flags computed on differences back onto the points they end at."""
    out = np.zeros(shape, dtype=bool)
    out[..., offset:] = flags[..., : max(shape[-1] - offset, 0)]
    return out


def _trend(z: np.ndarray, length: int) -> np.ndarray:
    steps = np.diff(z, axis=-1)  # step i ends at point i + 1
    return _on_points(_run(steps > 0, length - 1) | _run(steps < 0, length - 1), 1, z.shape)


def _alternating(z: np.ndarray, length: int) -> np.ndarray:
    steps = np.diff(z, axis=-1)
    turns = steps[..., 1:] * steps[..., :-1] < 0  # turn i: step i + 1 reverses step i, ends at point i + 2
    return _on_points(_run(turns, length - 2), 2, z.shape)


_RULE_FUNCTIONS = {
    "beyond_limits": lambda z: np.abs(z) > SIGMAS,
    "two_of_three": lambda z: _k_of_m_same_side(z, beyond=2.0, k=2, m=3),
    "four_of_five": lambda z: _k_of_m_same_side(z, beyond=1.0, k=4, m=5),
    "eight_same_side": lambda z: _same_side(z, 8),
    "nine_same_side": lambda z: _same_side(z, 9),
    "six_trend": lambda z: _trend(z, 6),
    "fourteen_alternating": lambda z: _alternating(z, 14),
    "fifteen_within_one_sigma": lambda z: _run(np.abs(z) < 1.0, 15),
    "eight_outside_one_sigma": lambda z: _run(np.abs(z) > 1.0, 8),
}


def detect_array(z: np.ndarray, *, rules: str | Iterable[str] = DEFAULT_RULES) -> dict[str, np.ndarray]:
    """Which points fire each rule, as boolean arrays shaped like ``z``.

    Parameters
    ----------
    z : array-like of float
        Z-scores (:func:`z_scores`) along the last axis: one series (1-D) or many
        (2-D, series × points). NaN marks a missing point.
    rules : str or iterable of str
        Names from :data:`RULES` or :data:`RULE_SETS`.

    Returns
    -------
    dict
        Rule name -> bool ndarray, in the order of ``rules``.
    """
    z = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore"):
        return {name: _RULE_FUNCTIONS[name](z) for name in resolve_rules(rules)}


def detect(z: np.ndarray, *, rules: str | Iterable[str] = DEFAULT_RULES) -> pd.DataFrame:
    """Which points fire each rule: a boolean DataFrame, one column per rule.

    A 1-D ``z`` gives one row per point; a 2-D ``z`` (series × points) gives one row
    per (``series``, ``point``) pair. For speed on many series use :func:`detect_array`.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim not in (1, 2):
        raise ParameterError(f"z: expected a 1-D or 2-D array of z-scores, got {z.ndim} dimensions.")
    fired = detect_array(z, rules=rules)
    index = (pd.RangeIndex(z.shape[-1], name="point") if z.ndim == 1 else
             pd.MultiIndex.from_product([range(z.shape[0]), range(z.shape[1])], names=["series", "point"]))
    return pd.DataFrame({name: flags.reshape(-1) for name, flags in fired.items()}, index=index)


def _rule_labels(fired: dict[str, np.ndarray], size: int) -> np.ndarray:
    """Comma-joined names of the rules each point fires ("" if none)."""
    labels = pd.Series("", index=range(size), dtype=object)
    for name, flags in fired.items():
        labels = labels + np.where(flags, RULE_SEPARATOR + name, "")
    return labels.str.removeprefix(RULE_SEPARATOR).to_numpy(dtype=object)


#: control limits sit this many sigmas from the centre line
SIGMAS = 3.0


RULE_SEPARATOR = ", "


def false_signal_rate(rules: str | Iterable[str] = DEFAULT_RULES, *, points: int,
                      baseline_points: int | None = None, groups: int = 1,
                      replicates: int = 20_000, seed: int = 0) -> float:
    """The chance that a stable process (independent normal points) shows at least one signal
    of ``rules`` somewhere in ``points`` consecutive points: what one chart of a quarter says by
    chance alone. With ``baseline_points`` the limits are estimated as the charts estimate them
    (centre = the baseline's mean, sigma = its mean moving range / 1.128), which raises the rate:
    limits from 26 weeks judged on 13 signal about twice as often as known limits would
    (Quesenberry 1993, J Qual Technol 25:237). ``groups`` > 1 (7 for the weekdays of a daily
    chart) gives each group its own estimated centre. Simulated, seeded (20,000 runs: +-0.3
    points)."""
    if points < 1:
        return 0.0
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(replicates), int(points)))
    if baseline_points is not None and baseline_points >= 2:
        base = rng.standard_normal((int(replicates), int(baseline_points)))
        g = max(1, min(int(groups), int(baseline_points)))
        means = np.stack([base[:, j::g].mean(axis=1) for j in range(g)], axis=1)
        centre = means[:, (int(baseline_points) + np.arange(int(points))) % g]
        resid = base - means[:, np.arange(int(baseline_points)) % g]
        sigma = np.abs(np.diff(resid, axis=1)).mean(axis=1, keepdims=True) / 1.128
        z = (z - centre) / sigma
    fired = detect_array(z, rules=rules)
    anywhere = np.zeros(int(replicates), dtype=bool)
    for flags in fired.values():
        anywhere |= flags.any(axis=1)
    return float(anywhere.mean())
