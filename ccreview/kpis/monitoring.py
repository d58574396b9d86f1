"""Methods of monitoring contact handling compared on the centre's own data: each QA method's
coverage, precision, detection of critical errors, timeliness and cost; evaluators who score
apart from the others; agreement where two evaluators scored the same contact; and the
sample sizes a target precision or power needs.

Pure functions over the validated ``qa_evaluations`` (and ``contacts``), each returning a
tidy DataFrame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.data import columns as c
from ccreview.stats.comparisons import benjamini_hochberg
from ccreview.stats.intervals import wilson_interval
from ccreview.stats.proportion_tests import newcombe_difference
from ccreview.stats.sampling import (
    cohens_kappa,
    icc_two_way,
    n_two_proportions,
    power_two_proportions,
    sample_size_for_mean,
)

__all__ = [
    "DEFAULT_HOURS",
    "SCORE_BANDS",
    "agreement",
    "evaluator_leniency",
    "method_profile",
    "qa_sample_sizes",
    "strengths_and_weaknesses",
]

#: evaluator hours per evaluation, by method (a parameter: the centre's own figures replace them)
DEFAULT_HOURS = {"live": 0.5, "recorded": 0.4, "side_by_side": 0.75, "automated": 0.0, "mystery_shopper": 1.0}
#: score bands for weighted kappa (lower bounds): below 70, 70-80, 80-90, 90 and above
SCORE_BANDS = (70.0, 80.0, 90.0)
#: a difference in mean score smaller than this is not material (points)
MATERIAL_POINTS = 2.0


def method_profile(
    qa: pd.DataFrame, contacts: pd.DataFrame | None, *, hours: dict[str, float] = DEFAULT_HOURS
) -> pd.DataFrame:
    """One row per QA method: coverage, precision, detection, timeliness and cost.

    Returns
    -------
    DataFrame
        ``method``, ``evaluations``, ``contact_share`` (of answered contacts in the same span),
        ``agents`` (observed), ``agent_share``, ``per_agent`` (median evaluations per agent
        observed), ``mean_score``, ``score_sd``, ``precision_points`` (95% half-width of an agent's
        mean score at that median), ``critical``, ``critical_rate`` with ``critical_low`` /
        ``critical_high`` (Wilson 95%), ``reference`` (the most used method) and
        ``critical_vs_ref`` (difference with it, Newcombe 95% ``vs_ref_low``/``vs_ref_high``, BH
        ``vs_ref_q``), ``lag_days_median`` and
        ``lag_days_p90`` (contact end to evaluation), ``hours_each``, ``hours``.
    """
    qa = qa.assign(**{c.CRITICAL_ERROR: qa[c.CRITICAL_ERROR].astype("boolean")})
    by = qa.groupby(c.METHOD, observed=True)
    out = by.agg(
        evaluations=(c.EVALUATION_ID, "size"),
        agents=(c.AGENT, "nunique"),
        mean_score=(c.SCORE, "mean"),
        score_sd=(c.SCORE, "std"),
        critical=(c.CRITICAL_ERROR, lambda s: int(s.fillna(False).sum())),
        judged=(c.CRITICAL_ERROR, lambda s: int(s.notna().sum())),
    ).reset_index()
    per_agent = qa.groupby([c.METHOD, c.AGENT], observed=True).size().groupby(level=0).median()
    out["per_agent"] = out[c.METHOD].map(per_agent).astype(float)
    answered, all_agents = np.nan, np.nan
    if contacts is not None and len(contacts) and len(qa):
        span = (contacts[c.ARRIVED_AT] >= qa[c.EVALUATED_AT].min() - pd.Timedelta(days=7)) & (
            contacts[c.ARRIVED_AT] < qa[c.EVALUATED_AT].max()
        )
        live = contacts[span.to_numpy() & contacts[c.ANSWERED_AT].notna().to_numpy()]
        answered, all_agents = len(live), live[c.AGENT].nunique()
    out["contact_share"] = out["evaluations"] / answered
    out["agent_share"] = out["agents"] / all_agents
    t = stats.t.ppf(0.975, np.maximum(out["per_agent"] - 1, 1))
    out["precision_points"] = t * out["score_sd"] / np.sqrt(out["per_agent"])
    out["critical_rate"] = out["critical"] / out["judged"]
    out["critical_low"], out["critical_high"] = wilson_interval(
        out["critical"].to_numpy(), out["judged"].to_numpy()
    )
    # detection against the most used method (a deviant method would bias a pooled "rest")
    ref = out.loc[out["evaluations"].idxmax()] if len(out) else None
    if ref is not None:
        diff = newcombe_difference(
            np.full(len(out), ref["critical"]),
            np.full(len(out), ref["judged"]),
            out["critical"].to_numpy(),
            out["judged"].to_numpy(),
        )
        is_ref = (out[c.METHOD] == ref[c.METHOD]).to_numpy()
        p = np.where(is_ref, np.nan, diff["p_value"].to_numpy())
        out["reference"] = ref[c.METHOD]
        out["critical_vs_ref"] = np.where(is_ref, np.nan, diff["estimate"].to_numpy())
        out["vs_ref_low"] = np.where(is_ref, np.nan, diff["ci_low"].to_numpy())
        out["vs_ref_high"] = np.where(is_ref, np.nan, diff["ci_high"].to_numpy())
        out["vs_ref_q"] = benjamini_hochberg(p)[0]
    if contacts is not None and c.CONTACT_ID in qa and len(contacts):
        ended = qa[c.CONTACT_ID].map(
            contacts.drop_duplicates(c.CONTACT_ID).set_index(c.CONTACT_ID)[c.ENDED_AT]
        )
        lag = (qa[c.EVALUATED_AT] - pd.to_datetime(ended, utc=True)).dt.total_seconds() / 86400
        lags = lag.groupby(qa[c.METHOD].to_numpy()).quantile([0.5, 0.9]).unstack()
        out["lag_days_median"] = out[c.METHOD].map(lags[0.5]) if len(lags) else np.nan
        out["lag_days_p90"] = out[c.METHOD].map(lags[0.9]) if len(lags) else np.nan
    else:
        out["lag_days_median"] = out["lag_days_p90"] = np.nan
    out["hours_each"] = out[c.METHOD].map(hours).astype(float)
    out["hours"] = out["hours_each"] * out["evaluations"]
    return out.drop(columns=["judged"]).sort_values("evaluations", ascending=False).reset_index(drop=True)


def evaluator_leniency(qa: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Each evaluator's mean score against the other evaluators' on the same methods (Welch t,
    the method mix allowed for by comparing within methods and weighting by the evaluator's own
    mix), with Benjamini-Hochberg q-values; ``apart`` where q < ``alpha`` and the difference is
    at least :data:`MATERIAL_POINTS`.

    Returns
    -------
    DataFrame
        ``evaluator``, ``evaluations``, ``mean_score``, ``difference`` (points above the
        others), ``ci_low``, ``ci_high``, ``p_value``, ``q_value``, ``apart``.
    """
    rows = []
    qa = qa[qa[c.EVALUATOR].notna().to_numpy()]  # an unnamed evaluator cannot be compared
    method_mean = qa.groupby(c.METHOD, observed=True)[c.SCORE].transform("mean")
    centred = qa[c.SCORE] - method_mean  # the method mix taken out
    for evaluator, mine in centred.groupby(qa[c.EVALUATOR].to_numpy()):  # a few dozen evaluators
        others = centred[(qa[c.EVALUATOR] != evaluator).to_numpy(dtype=bool)]
        if len(mine) < 2 or len(others) < 2:
            continue
        test = stats.ttest_ind(mine, others, equal_var=False)
        se = np.sqrt(mine.var(ddof=1) / len(mine) + others.var(ddof=1) / len(others))
        diff = float(mine.mean() - others.mean())
        half = stats.t.ppf(0.975, test.df) * se
        rows.append(
            {
                "evaluator": evaluator,
                "evaluations": len(mine),
                "mean_score": float(qa.loc[mine.index, c.SCORE].mean()),
                "difference": diff,
                "ci_low": diff - half,
                "ci_high": diff + half,
                "p_value": float(test.pvalue),
            }
        )
    out = pd.DataFrame(
        rows, columns=["evaluator", "evaluations", "mean_score", "difference", "ci_low", "ci_high", "p_value"]
    )
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy(), alpha=alpha)[0] if len(out) else []
    out["apart"] = (out["q_value"] < alpha) & (out["difference"].abs() >= MATERIAL_POINTS)
    return out.sort_values("difference", ascending=False, key=abs).reset_index(drop=True)


def agreement(qa: pd.DataFrame) -> dict:
    """Agreement where a contact was scored twice (the first two evaluations of each contact,
    by different evaluators): Cohen's kappa on the critical-error flag, quadratic-weighted kappa
    on the score bands of :data:`SCORE_BANDS`, and the intraclass correlation of the scores
    (ICC(2,1), absolute agreement; the evaluators differ from contact to contact, so it is
    the agreement of a first and a second scoring).

    Returns
    -------
    dict
        ``pairs`` (int), ``critical`` and ``bands`` (kappa dicts), ``icc`` (ICC dict), or
        ``pairs`` 0 when no contact was scored twice by different evaluators.
    """
    scored = qa[qa[c.CONTACT_ID].notna().to_numpy()].sort_values(c.EVALUATED_AT, kind="stable")
    rank = scored.groupby(c.CONTACT_ID).cumcount()
    first = scored[(rank == 0).to_numpy()].set_index(c.CONTACT_ID)
    second = scored[(rank == 1).to_numpy()].set_index(c.CONTACT_ID)
    both = first.merge(second, left_index=True, right_index=True, suffixes=("_a", "_b"))
    both = both[(both[f"{c.EVALUATOR}_a"] != both[f"{c.EVALUATOR}_b"]).fillna(False).to_numpy(dtype=bool)]
    if len(both) < 2:
        return {"pairs": int(len(both))}
    bands = [
        np.searchsorted(SCORE_BANDS, both[f"{c.SCORE}_{s}"].to_numpy(dtype=float), side="right") for s in "ab"
    ]
    flags = [
        both[f"{c.CRITICAL_ERROR}_{s}"]
        .astype("boolean")
        .astype("Int64")
        .to_numpy(dtype=float, na_value=np.nan)
        for s in "ab"
    ]
    return {
        "pairs": int(len(both)),
        "critical": (cohens_kappa(flags[0], flags[1], categories=[0.0, 1.0])
                     if (np.isfinite(flags[0]) & np.isfinite(flags[1])).sum() >= 2 else None),
        "bands": cohens_kappa(
            bands[0], bands[1], weights="quadratic", categories=list(range(len(SCORE_BANDS) + 1))
        ),
        "icc": icc_two_way(both[[f"{c.SCORE}_a", f"{c.SCORE}_b"]].to_numpy(dtype=float), kind="agreement"),
    }


def qa_sample_sizes(
    qa: pd.DataFrame,
    *,
    margin_points: float = 5.0,
    baseline_rate: float | None = None,
    worse_rate: float | None = None,
    months: float = 3.0,
) -> pd.DataFrame:
    """What the QA sample can tell, against what it would need to.

    Returns
    -------
    DataFrame
        One row per question: ``question``, ``needed`` (evaluations), ``actual`` (per agent or
        per team in ``months``), ``verdict`` ("enough" or "too few"), ``detail``.
    """
    span_months = max((qa[c.EVALUATED_AT].max() - qa[c.EVALUATED_AT].min()).days / 30.44, 1.0)
    per_agent = qa.groupby(c.AGENT).size().median() * months / span_months
    sd = float(qa[c.SCORE].std())
    need_mean = sample_size_for_mean(sd, margin_points)
    rows = [{"question": f"An agent's mean score to within ±{margin_points:.0f} points (95%)",
             "needed": need_mean, "actual": float(per_agent),
             "verdict": "enough" if per_agent >= need_mean else "too few",
             "detail": f"score SD {sd:.1f} points; actual is the median agent's evaluations in "
                       f"{months:.0f} months"}]
    flags = qa[c.CRITICAL_ERROR].astype("boolean")
    observed = float(flags.mean()) if flags.notna().any() else np.nan
    rate = baseline_rate if baseline_rate is not None else observed
    if np.isfinite(rate) and 0 < rate < 0.5:  # no critical errors recorded: nothing to size
        worse = worse_rate if worse_rate is not None else min(2 * rate, 0.99)
        need = float(np.ceil(n_two_proportions(rate, worse, power=0.8)))
        actual = len(qa) / span_months * months / 2  # the period against the one before, half each
        power = float(power_two_proportions(rate, worse, max(actual, 1.0)))
        rows.append({"question": f"A rise in critical errors from {rate:.1%} to {worse:.1%} centre-wide, "
                                 "period on period",
                     "needed": need, "actual": actual, "verdict": "enough" if actual >= need else "too few",
                     "detail": f"80% power at 5% (two-sided; R's power.prop.test); power now {power:.0%}"})
    return pd.DataFrame(rows)


def strengths_and_weaknesses(profile: pd.DataFrame) -> pd.DataFrame:
    """Each method's strengths and weaknesses, built from the profile's numbers: the method that
    is best or worst on coverage, precision, detection, timeliness and cost says so.

    Returns
    -------
    DataFrame
        ``method``, ``strengths``, ``weaknesses`` (sentences joined by "; ").
    """
    notes: dict[str, dict[str, list[str]]] = {m: {"s": [], "w": []} for m in profile[c.METHOD]}
    dims = [
        (
            "contact_share",
            "highest",
            "covers the most contacts ({:.1%})",
            "covers the fewest contacts ({:.1%})",
        ),
        (
            "precision_points",
            "lowest",
            "the most precise agent scores (±{:.1f} points)",
            "the least precise agent scores (±{:.1f} points)",
        ),
        (
            "lag_days_median",
            "lowest",
            "the quickest feedback ({:.1f} days)",
            "the slowest feedback ({:.1f} days)",
        ),
        (
            "hours_each",
            "lowest",
            "the cheapest ({:.2f} evaluator hours each)",
            "the most costly ({:.2f} evaluator hours each)",
        ),
    ]
    for column, best, good, bad in dims:
        values = profile.set_index(c.METHOD)[column].dropna()
        if len(values) < 2 or values.nunique() < 2:
            continue
        top, bottom = (
            (values.idxmax(), values.idxmin()) if best == "highest" else (values.idxmin(), values.idxmax())
        )
        notes[top]["s"].append(good.format(values[top]))
        notes[bottom]["w"].append(bad.format(values[bottom]))
    for row in profile.itertuples(index=False):
        if not row.vs_ref_q < 0.05:
            continue
        before = row.critical_rate - row.critical_vs_ref
        versus = f"{row.critical_rate:.1%} against {before:.1%} by {row.reference}"
        if row.critical_vs_ref < 0:
            notes[row.method]["w"].append(f"finds fewer critical errors ({versus}, beyond chance)")
        else:
            notes[row.method]["s"].append(f"finds more critical errors ({versus}, beyond chance)")
    return pd.DataFrame(
        [
            {"method": m, "strengths": "; ".join(v["s"]) or "–", "weaknesses": "; ".join(v["w"]) or "–"}
            for m, v in notes.items()
        ]
    )
