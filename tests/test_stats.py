"""Wilson intervals against Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3."""

import numpy as np
import pytest

from ccreview.stats.intervals import wilson_interval


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe 1998 Table I, example (a), method 3
        (15, 148, 0.0624, 0.1605),  # example (b)
        (0, 20, 0.0, 0.1611),  # example (c)
        (1, 29, 0.0061, 0.1718),  # example (d)
    ],
)
def test_wilson_matches_newcombe_table_1(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert float(lo) == pytest.approx(low, abs=5e-5)
    assert float(hi) == pytest.approx(high, abs=5e-5)


def test_wilson_is_vectorised_and_nan_for_empty_groups():
    lo, hi = wilson_interval(np.array([81, 0]), np.array([263, 0]))
    assert lo[0] == pytest.approx(0.2553, abs=5e-5)
    assert np.isnan(lo[1]) and np.isnan(hi[1])


@pytest.mark.parametrize("n", [1, 5, 37, 1000, 24_364, 10**6])
def test_wilson_bounds_hold_the_rate_at_0_and_100_percent(n):
    """Exactly: the Wilson low bound of 0 successes is 0 and the high bound of n out of n is 1
    (Wilson 1927, the score interval's end points at p = 0 and p = 1); rounding once put the
    low bound above 0%, and a chart's error bar below zero raised."""
    low, high = wilson_interval(np.array([0, n]), np.array([n, n]))
    assert low[0] == 0.0 and high[1] == 1.0
    rates = np.array([0.0, 1.0])
    assert np.all(rates - low >= 0) and np.all(high - rates >= 0)


def test_compliance_chart_draws_0_and_100_percent():
    """A priority with 0% or 100% met once raised "'yerr' must not contain negative values"."""
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from ccreview.report.plots import plot_compliance

    low, high = wilson_interval(np.array([0, 1000, 3]), np.array([1000, 1000, 7]))
    rates = pd.DataFrame({"target": ["response"] * 3, "priority": [1, 2, 3],
                          "rate": [0.0, 1.0, 3 / 7], "ci_low": low, "ci_high": high})
    assert plot_compliance(rates) is not None
