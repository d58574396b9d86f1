"""Small statistical building blocks shared by the analyses."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["wilson_interval"]


def wilson_interval(
    successes: np.ndarray | int, n: np.ndarray | int, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, vectorised.

    Parameters
    ----------
    successes, n : array-like of int
        Successes and trials; where ``n == 0`` both bounds are NaN.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    low, high : ndarray

    Notes
    -----
    Wilson (1927); method 3 of Newcombe (1998), *Statistics in Medicine*
    17:857-872, whose Table I values the tests reproduce.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low, high = centre - half, centre + half
        # the interval always holds the estimate; rounding put the low bound of 0 out of 1,000
        # at 2e-19, above the rate, and a chart's error bar of -2e-19 raised (issue #12)
        low, high = np.minimum(low, p), np.maximum(high, p)
    low = np.where(n > 0, np.clip(low, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(high, 0, 1), np.nan)
    return low, high
