"""Drivers of dissatisfaction: how satisfaction and complaints relate to how the contact or
incident was handled.

A logistic regression (binomial GLM, statsmodels) of the outcome (a satisfied survey
answer, or a contact that led to a complaint) on the handling factors: a long wait, not
resolved at first contact, the incident reassigned, reopened or past its target, the
channel and the priority. Each factor is reported as an **average marginal effect**: how
many percentage points more or less likely the outcome is with the factor than without,
averaged over the customers observed (Stata's ``margins, dydx()``; Williams 2012, *Stata
Journal* 12:308-331), with a delta-method interval.

Customers of one day share its staffing, its outages and its mood, so the day is the unit
of evidence (DESIGN.md): the model holds a fixed effect per day (per week when days are too
thin), which keeps a bad day from being read as the effect of a factor that was common on
it, and the covariance is clustered by day (Cameron & Miller 2015, *J. Human Resources*
50:317-372), with Student's t on days - 1 degrees of freedom. Rows are aggregated to one
per day and pattern of factors before fitting (the same likelihood, so the large quarter's
2.3 M contacts fit in well under a second).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["FACTOR_WORDS", "MIN_RESPONSES", "average_marginal_effects", "fit_outcome_model"]

#: binary factor -> the customers it describes (for "customers who ... were N points less likely")
FACTOR_WORDS = {
    "long_wait": "who waited long (over the long wait set for their channel)",
    "not_first_contact_resolved": "whose contact did not resolve their issue first time",
    "reassigned": "whose incident was passed to another team",
    "reopened": "whose incident was reopened",
    "breached_target": "whose incident breached its target",
}
#: responses a factor needs on each side (with and without it) to be estimated at all
MIN_RESPONSES = 30
#: responses per day below which the fixed effects are per week
_MIN_PER_DAY = 30


def fit_outcome_model(frame: pd.DataFrame, *, outcome: str, factors: list[str],
                      categorical: tuple[str, ...] = (), day: str = "day",
                      confidence: float = 0.95, scale: float = 100.0) -> pd.DataFrame:
    """Average marginal effect of each factor on the probability of ``outcome``.

    Parameters
    ----------
    frame : DataFrame
        One row per response: the boolean ``outcome``, boolean ``factors``, categorical
        columns and the ``day`` (a date) it belongs to. Rows with a missing value in a
        column used are left out.
    outcome : str
        The boolean column modelled.
    factors : list of str
        Boolean factors; each one without enough responses on both sides
        (:data:`MIN_RESPONSES`) is left out, with the reason in ``attrs["notes"]``.
    categorical : tuple of str
        Columns whose levels are compared with the most common level.
    day : str
        The column of the unit of evidence (clusters and fixed effects).
    confidence : float
        Two-sided level of the intervals.
    scale : float
        Effects are reported per ``scale`` (100: percentage points).

    Returns
    -------
    DataFrame
        ``factor``, ``level`` (the categorical level, or ``""``), ``n_with``, ``n_without``,
        ``rate_with``, ``rate_without`` (raw), ``effect`` (adjusted, per ``scale``),
        ``ci_low``, ``ci_high``, ``p_value``, ``beyond_chance``; ``attrs`` hold ``notes``,
        ``days`` (clusters), ``responses`` and ``fixed_effects`` ("day" or "week").
    """
    notes: list[str] = []
    used = [col for col in [outcome, *factors, *categorical, day] if col in frame]
    data = frame[used].dropna()
    # categorical columns as categories of text: grouped and compared by their codes
    data = data.assign(**{col: data[col].astype(str).astype("category") if data[col].dtype != "category"
                          else data[col].cat.rename_categories(str) for col in categorical if col in data})
    keep_factors = []
    for factor in factors:
        if factor not in data:
            continue
        x = data[factor].astype(bool).to_numpy()
        if min(x.sum(), (~x).sum()) < MIN_RESPONSES:
            notes.append(f"{factor}: fewer than {MIN_RESPONSES} responses with or without it")
            continue
        keep_factors.append(factor)
    levels: dict[str, list] = {}
    for column in categorical:
        if column not in data:
            continue
        counts = data[column].value_counts()
        counts = counts[counts >= MIN_RESPONSES]
        if len(counts) >= 2:
            levels[column] = list(counts.index)  # the most common level first: the reference
        data = data[data[column].isin(counts.index).to_numpy()] if len(counts) >= 2 else data
    y = data[outcome].astype(bool).to_numpy()
    empty = _empty(notes)
    if not (keep_factors or levels) or len(data) < 2 * MIN_RESPONSES or y.all() or not y.any():
        if len(data) < 2 * MIN_RESPONSES:
            notes.append(f"only {len(data)} responses with every factor known")
        return empty
    days = pd.to_datetime(data[day]).dt.normalize()
    per_day = days.value_counts()
    unit = "day" if per_day.median() >= _MIN_PER_DAY else "week"
    block = days if unit == "day" else days.dt.to_period("W").dt.start_time
    # aggregate: one row per block, day and pattern of factors
    keys = {"block": block.to_numpy(), "cluster": days.to_numpy()}
    keys |= {f: data[f].astype(bool).to_numpy() for f in keep_factors}
    keys |= {col: data[col].to_numpy() for col in levels}
    grouped = pd.DataFrame(keys | {"y": y}).groupby(list(keys), sort=True, observed=True)["y"]
    cells = grouped.agg(["sum", "size"]).reset_index()
    raw = _raw_rates(cells, keep_factors, levels)  # from every cell: the rates as observed
    # blocks where every response had the same outcome carry no information under their
    # fixed effect (the conditional-likelihood argument); they are left out of the fit
    totals = cells.groupby("block")[["sum", "size"]].transform("sum")
    informative = (totals["sum"] > 0) & (totals["sum"] < totals["size"])
    dropped = int((~informative).sum())
    cells = cells[informative.to_numpy()].reset_index(drop=True)
    if len(cells) < 2:
        notes.append("too few days with both outcomes to fit")
        return empty
    if dropped:
        notes.append(f"{cells.shape[0]:,} day-and-pattern cells fitted; days on which every "
                     "response had the same outcome carry no information and were left out")
    design, columns = _design(cells, keep_factors, levels)
    result = _fit(cells, design)
    if result is None:
        notes.append("the model did not converge")
        return empty
    n_days = int(cells["cluster"].nunique())
    # the small-sample factor of Stata's and statsmodels' clustered covariance,
    # G / (G - 1) x (N - 1) / (N - K), counted in responses, not in aggregated cells
    responses = float(cells["size"].sum())
    factor = (n_days / (n_days - 1) * (responses - 1) / (responses - design.shape[1])
              if n_days > 1 else np.nan)  # one day: no between-day variation to judge by
    table = average_marginal_effects(
        design, result.params, result.cov_params() * factor, weights=cells["size"].to_numpy(),
        columns=columns, df=n_days - 1, confidence=confidence)
    table[["effect", "ci_low", "ci_high"]] *= scale
    table = raw.merge(table, on=["factor", "level"], how="left")
    table["beyond_chance"] = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    table.attrs.update(notes=notes, days=n_days, responses=int(len(data)), fixed_effects=unit)
    return table


def average_marginal_effects(design: np.ndarray, params: np.ndarray, cov: np.ndarray, *,
                             weights: np.ndarray, columns: dict[tuple[str, str], list[int]],
                             df: int, confidence: float = 0.95) -> pd.DataFrame:
    """Average discrete change in a logistic model's probability for each factor, with a
    delta-method interval.

    For a factor (its design columns ``columns[(factor, level)]``), every row is evaluated
    with the factor on and off (the other levels of its variable off), and the weighted
    mean of ``p1 - p0`` taken; its gradient ``mean(p1 (1-p1) x1 - p0 (1-p0) x0)`` carries
    the covariance ``cov`` of ``params`` into the standard error.

    Returns
    -------
    DataFrame
        ``factor``, ``level``, ``effect``, ``se``, ``ci_low``, ``ci_high``, ``p_value``
        (probabilities, not yet scaled).
    """
    params, cov = np.asarray(params, dtype=float), np.asarray(cov, dtype=float)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    q = stats.t.ppf(0.5 + confidence / 2, df) if df >= 1 else np.nan
    groups: dict[str, list[int]] = {}
    for (factor, _), cols in columns.items():
        groups.setdefault(factor, []).extend(cols)
    rows = []
    for (factor, level), cols in columns.items():
        on, off = design.copy(), design.copy()
        on[:, groups[factor]] = 0.0
        off[:, groups[factor]] = 0.0
        on[:, cols] = 1.0
        p1, p0 = _expit(on @ params), _expit(off @ params)
        effect = float(w @ (p1 - p0))
        gradient = (w * p1 * (1 - p1)) @ on - (w * p0 * (1 - p0)) @ off
        se = float(np.sqrt(max(gradient @ cov @ gradient, 0.0)))
        p_value = float(2 * stats.t.sf(abs(effect / se), df)) if se > 0 and df >= 1 else np.nan
        rows.append({"factor": factor, "level": level, "effect": effect, "se": se,
                     "ci_low": effect - q * se, "ci_high": effect + q * se, "p_value": p_value})
    return pd.DataFrame(rows, columns=["factor", "level", "effect", "se", "ci_low", "ci_high",
                                       "p_value"])


def _expit(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * eta))  # stable for large |eta|


def _design(cells: pd.DataFrame, factors: list[str], levels: dict[str, list]
            ) -> tuple[np.ndarray, dict[tuple[str, str], list[int]]]:
    """Factor columns, then level dummies (the reference left out), then block effects."""
    parts, columns, j = [], {}, 0
    for factor in factors:
        parts.append(cells[factor].to_numpy(dtype=float))
        columns[(factor, "")] = [j]
        j += 1
    for column, names in levels.items():
        for name in names[1:]:
            parts.append((cells[column] == name).to_numpy(dtype=float))
            columns[(column, name)] = [j]
            j += 1
    blocks = pd.get_dummies(cells["block"]).to_numpy(dtype=float)  # one per block: no intercept
    return np.column_stack([*parts, blocks]), columns


def _fit(cells: pd.DataFrame, design: np.ndarray):
    import statsmodels.api as sm

    endog = np.column_stack([cells["sum"], cells["size"] - cells["sum"]]).astype(float)
    groups = pd.factorize(cells["cluster"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return sm.GLM(endog, design, family=sm.families.Binomial()).fit(
                cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
        except (np.linalg.LinAlgError, ValueError):
            return None


def _raw_rates(cells: pd.DataFrame, factors: list[str], levels: dict[str, list]) -> pd.DataFrame:
    """The unadjusted share with the outcome, with and without each factor (or each level
    against the reference level), summed over the aggregated cells."""
    rows = []
    for factor in factors:
        x = cells[factor].to_numpy(dtype=bool)
        rows.append((factor, "", "", x, ~x))
    for column, names in levels.items():
        values = cells[column].to_numpy()
        rows += [(column, name, names[0], values == name, values == names[0]) for name in names[1:]]
    hits, size = cells["sum"].to_numpy(), cells["size"].to_numpy()
    out = [{"factor": factor, "level": level, "reference": reference,
            "n_with": int(size[x].sum()), "n_without": int(size[ref].sum()),
            "rate_with": hits[x].sum() / size[x].sum(), "rate_without": hits[ref].sum() / size[ref].sum()}
           for factor, level, reference, x, ref in rows]
    return pd.DataFrame(out, columns=["factor", "level", "reference", "n_with", "n_without",
                                      "rate_with", "rate_without"])


def _empty(notes: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(columns=["factor", "level", "reference", "n_with", "n_without", "rate_with",
                                  "rate_without", "effect", "se", "ci_low", "ci_high", "p_value",
                                  "beyond_chance"])
    table.attrs.update(notes=notes, days=0, responses=0, fixed_effects="")
    return table
