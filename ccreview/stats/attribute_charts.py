"""Attribute control charts: p charts for shares and u charts for rates, with Laney's correction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ccreview.exceptions import ParameterError
from ccreview.stats.chart_limits import _group_codes, gap_and_revision_notes, group_centres, revised_limits
from ccreview.stats.control_charts import (
    CENTRE,
    D2,
    IN_BASELINE,
    LCL,
    MIN_BASELINE_POINTS,
    SET_ASIDE,
    SIGMA,
    UCL,
    VALUE,
    ControlChart,
    N,
    P,
    U,
    _array,
    _baseline_mask,
    _finish,
    _frequency_word,
    _labels,
    _shown,
)
from ccreview.stats.run_rules import (
    DEFAULT_RULES,
    SIGMAS,
    resolve_rules,
)
from ccreview.wording import plural

__all__ = [
    "laney_sigma_z",
    "p_chart",
    "u_chart",
]


def laney_sigma_z(values: np.ndarray, centre: float, sigma: np.ndarray, in_base: np.ndarray) -> float:
    """Laney's sigma_z: the spread of the baseline's z-scores between neighbouring periods,
    MR-bar(z) / 1.128 (Laney 2002, Quality Engineering 14:531-537). 1 when the counts vary as
    binomial (p) or Poisson (u) sampling alone would make them; above 1 when the process moves
    from period to period more than sampling explains (overdispersion)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - centre) / sigma
    z = np.where(in_base, z, np.nan)
    pairs = ~np.isnan(z[1:]) & ~np.isnan(z[:-1])
    if pairs.sum() < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(z))[pairs]) / D2)


def _attribute_chart(kind: str, counts: object, sizes: object, *, index: object, baseline: object,
                     rules: str | Iterable[str], count_name: str, size_name: str,
                     laney: bool | str = False, groups: object = None, revise: bool = True,
                     shown: object = None) -> ControlChart:
    rules = resolve_rules(rules)
    c = _array(counts, count_name)
    n = _array(sizes, size_name, len(c))
    labels = _labels(counts, index, len(c))
    in_base = _baseline_mask(baseline, labels)
    codes = _group_codes(groups, len(c))
    keep = _shown(shown, len(c))
    bad = (c < 0) | (n < 0)
    if kind == P:
        bad |= c > n
    if bad.any():
        where = ", ".join(str(v) for v in labels[bad][:5])
        rule = f"0 <= {count_name} <= {size_name}" if kind == P else f"{count_name} and {size_name} >= 0"
        raise ParameterError(f"{count_name}/{size_name}: {int(bad.sum())} period(s) break {rule} "
                             f"(periods {where}); correct the counts.")
    n = np.where(np.isnan(n) | ~keep, 0.0, n)
    usable = (n > 0) & ~np.isnan(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(usable, c / n, np.nan)
    counts_known = np.where(usable, c, 0.0)

    def limits(mask: np.ndarray):
        centre = group_centres(counts_known, n, mask, codes)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = centre * (1 - centre) if kind == P else centre
            sigma = np.where(usable, np.sqrt(spread / n), np.nan)
        sigma_z = laney_sigma_z(value, centre, sigma, mask) if laney else np.nan
        widen = laney is True or (laney == "auto" and sigma_z > 1)
        if widen and np.isfinite(sigma_z):
            sigma = sigma * sigma_z
        return centre, sigma, {"sigma_z": sigma_z if widen else np.nan}

    centre, sigma, extra, set_aside = revised_limits(limits, value, in_base & usable, revise=revise)
    used = in_base & usable & ~set_aside
    total_n = n[used].sum()
    overall = float(counts_known[used].sum() / total_n) if total_n > 0 else np.nan
    warnings = []
    if np.isfinite(extra["sigma_z"]):
        periods = {"daily ": "days", "weekly ": "weeks", "monthly ": "months"}.get(
            _frequency_word(labels), "periods")
        factor = extra["sigma_z"]
        warnings.append(f"Laney's {kind}' chart: the {periods} vary {factor:.{2 if factor < 1.1 else 1}f} "
                        "times as much as "
                        f"{'binomial' if kind == P else 'Poisson'} sampling alone would make them "
                        "in the baseline, so the limits are widened by that factor (Laney 2002): "
                        "with large volumes, classic limits would treat that ordinary movement "
                        "as signals.")
    lcl = np.maximum(centre - SIGMAS * sigma, 0.0)
    ucl = centre + SIGMAS * sigma
    if kind == P:
        ucl = np.minimum(ucl, 1.0)
    warnings += gap_and_revision_notes(labels, ~usable, keep, set_aside, groups is not None)
    if not total_n > 0:
        warnings.append("The baseline has no cases, so the centre line and limits cannot be computed "
                        "and nothing can signal; choose a baseline with data.")
    elif overall == 0 or (kind == P and overall == 1):
        what = "no events" if overall == 0 else "nothing but events"
        warnings.append(f"The baseline has {what}, so sigma is zero: any other value is flagged.")
    elif int(used.sum()) < MIN_BASELINE_POINTS:
        word = _frequency_word(labels)
        warnings.append(f"The baseline has only {plural(int(used.sum()), word + 'point')}; limits are "
                        f"rough until there are at least {MIN_BASELINE_POINTS}.")
    columns = {VALUE: value, CENTRE: centre, LCL: lcl, UCL: ucl, SIGMA: sigma, N: n,
               IN_BASELINE: in_base, SET_ASIDE: set_aside}
    return _finish(kind, labels, columns, rules=rules, centre=overall, baseline_points=int(used.sum()),
                   warnings=warnings, shown=keep)


def p_chart(defectives: Sequence[float] | pd.Series, sample_sizes: Sequence[float] | pd.Series, *,
            index: Sequence | None = None, baseline: object = None,
            rules: str | Iterable[str] = DEFAULT_RULES, laney: bool | str = False, groups: object = None,
            revise: bool = True, shown: object = None) -> ControlChart:
    """p chart of a share (events / cases) per period, with varying case counts.

    Parameters
    ----------
    defectives, sample_sizes : array-like
        Events (e.g. breaches, abandons) and cases per period; ``0 <= defectives <= n``.
        A period with n = 0 has no value and cannot signal.
    index, baseline, rules, groups, revise, shown
        As for :func:`xmr_chart`.
    laney : bool or "auto"
        Laney's p' chart: multiply each sigma by :func:`laney_sigma_z` of the baseline
        (``"auto"``: only when it is above 1, i.e. the weeks vary more than sampling explains).

    Notes
    -----
    p̄ = Σ defectives / Σ n over the baseline; each point has sigma √(p̄(1 − p̄)/nᵢ) and
    limits p̄ ± 3 sigma clipped to [0, 1].
    """
    return _attribute_chart(P, defectives, sample_sizes, index=index, baseline=baseline, rules=rules,
                            count_name="defectives", size_name="sample_sizes", laney=laney, groups=groups,
                            revise=revise, shown=shown)


def u_chart(counts: Sequence[float] | pd.Series, units: Sequence[float] | pd.Series, *,
            index: Sequence | None = None, baseline: object = None,
            rules: str | Iterable[str] = DEFAULT_RULES, laney: bool | str = False, groups: object = None,
            revise: bool = True, shown: object = None) -> ControlChart:
    """u chart of a count per unit (e.g. complaints per 1,000 contacts) per period.

    Parameters
    ----------
    counts, units : array-like
        Events and exposure (units, may be fractional) per period. A period with no
        units has no value and cannot signal.
    index, baseline, rules, groups, revise, shown
        As for :func:`xmr_chart`; ``laney`` as for :func:`p_chart`.

    Notes
    -----
    ū = Σ counts / Σ units over the baseline; sigma √(ū/nᵢ); lower limit clipped at 0.
    """
    return _attribute_chart(U, counts, units, index=index, baseline=baseline, rules=rules,
                            count_name="counts", size_name="units", laney=laney, groups=groups,
                            revise=revise, shown=shown)
