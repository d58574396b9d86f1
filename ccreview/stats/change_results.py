"""What the change models return: ITS and DiD results with their verdict and headline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ccreview.presentable import Presentable
from ccreview.stats.change_models import (
    CI_HIGH,
    CI_LOW,
    CONTROL,
    COUNTERFACTUAL,
    ESTIMATE,
    FITTED,
    GROUP,
    STD_ERROR,
    TREATED,
)
from ccreview.stats.change_verdicts import (
    TOO_LITTLE_DATA,
    Verdict,
    _change,
    _interval,
    _level,
    minimum_detectable_effect,
    verdict,
)
from ccreview.wording import plural

__all__ = [
    "DiDResult",
    "ITSResult",
    "ParallelTrends",
]


@dataclass
class _Result(Presentable):
    """What both estimators return; see :class:`ITSResult` and :class:`DiDResult`."""

    table: pd.DataFrame
    effect: pd.DataFrame
    fitted: pd.DataFrame
    n_before: int
    n_after: int
    warnings: list[str]
    kind: str
    implemented_on: pd.Timestamp | None
    excluded: list[pd.Timestamp]
    first_post_period: pd.Timestamp | None
    period: str = "week"
    unit: str | None = None
    confidence: float = 0.95
    #: why no effect was estimated (None when it was)
    reason: str | None = None
    model: object = field(default=None, repr=False)
    #: periods left out because they held a special cause (also in ``excluded``)
    special_causes: list[pd.Timestamp] = field(default_factory=list)
    #: "ar1" or "independent" (:mod:`ccreview.stats.change_fits`)
    errors: str = "ar1"
    #: the estimated correlation of one period's error with the next (None if not modelled)
    autocorrelation: float | None = None
    #: fewest periods needed on each side of the change
    min_periods: int = 8

    _title = "Before and after the change"
    _against = "expected had the earlier trend continued"

    def verdict(self, *, expected_effect: float, expected_direction: str | None = None,
                min_after: int | None = None, label: str = "the metric") -> Verdict:
        """:func:`verdict` for this result, with its MDE (2.80 x the effect's standard error);
        ``min_after`` defaults to the model's ``min_periods``."""
        min_after = self.min_periods if min_after is None else min_after
        row = self.effect.iloc[0]
        mde = minimum_detectable_effect(row[STD_ERROR]) if np.isfinite(row[STD_ERROR]) else None
        sentence = verdict(row[ESTIMATE], row[CI_LOW], row[CI_HIGH], expected_effect=expected_effect,
                           expected_direction=expected_direction, mde=mde, n_after=self.n_after,
                           min_after=min_after, first_post_period=self.first_post_period, period=self.period,
                           unit=self.unit, label=label, confidence=self.confidence)
        if self.reason and (self.implemented_on is None or self.n_after >= min_after):
            return Verdict(TOO_LITTLE_DATA, self.reason)
        return sentence

    def headline(self) -> str:
        """One sentence: post-change level, counterfactual and the difference with its interval."""
        row = self.effect.iloc[0]
        if not np.isfinite(row[ESTIMATE]):
            return f"No effect could be estimated. {self.reason or ''}".strip()
        return (f"Over the {plural(self.n_after, self.period)} after the change, the fitted level was "
                f"{_level(row[FITTED], self.unit)} against {_level(row[COUNTERFACTUAL], self.unit)} "
                f"{self._against}: a difference of {_change(row[ESTIMATE], self.unit)} "
                f"({_interval(row[CI_LOW], row[CI_HIGH], self.unit, self.confidence)}).")

    def _series(self) -> list[tuple[pd.DataFrame, str, tuple[int, int]]]:
        """(rows, label, (point colour, fit colour) as indices of the report palette) per series."""
        return [(self.fitted, "Observed", (0, 3))]

    def _notes(self) -> list[str]:
        return []


@dataclass
class ITSResult(_Result):
    """Interrupted time series: ``.table`` (coefficients), ``.effect`` (one row: average effect
    after the change), ``.fitted`` (per period: observed, fitted, counterfactual, post, excluded),
    ``.n_before``, ``.n_after``, ``.warnings`` (plain sentences), ``.excluded`` (periods left out)."""


@dataclass
class ParallelTrends:
    """Pre-change check, judged as equivalence rather than as "no significant difference".

    ``estimate``, ``ci_low`` and ``ci_high``: how far the gap between the changed and the
    comparison group drifted before the change, projected to the middle of the post-change
    periods, on the metric's scale: the bias that drift would put into the difference in
    differences. The interval is at ``level`` (1 - 2 alpha, as in a two one-sided tests
    equivalence test, Schuirmann 1987). ``parallel`` is True when that whole interval lies within
    +-``margin``, False when it does not, and None when it could not be checked. ``p_value`` is
    the ordinary test of a difference in pre-change slopes, shown for reference only.
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    parallel: bool | None
    sentence: str
    margin: float = np.nan
    level: float = 0.90


@dataclass
class DiDResult(_Result):
    """Difference in differences: as :class:`ITSResult`, plus ``.parallel_trends``; ``.fitted``
    has a ``group`` column (treated or control)."""

    parallel_trends: ParallelTrends | None = None
    #: the model let the gap between the groups keep its pre-change drift (parallel trends not
    #: confirmed): a comparative interrupted time series
    drift_allowed: bool = False

    _title = "Changed group and comparison group"

    @property
    def _against(self) -> str:
        return ("expected from the comparison group, with the gap between the groups drifting as it "
                "did before" if self.drift_allowed else "expected from the comparison group's change")

    def _series(self) -> list[tuple[pd.DataFrame, str, tuple[int, int]]]:
        treated = self.fitted[self.fitted[GROUP] == TREATED]
        control = self.fitted[self.fitted[GROUP] == CONTROL].assign(**{COUNTERFACTUAL: np.nan})
        return [(treated, "Changed group", (0, 3)), (control, "Comparison group", (1, 2))]

    def _notes(self) -> list[str]:
        return [self.parallel_trends.sentence] if self.parallel_trends is not None else []
