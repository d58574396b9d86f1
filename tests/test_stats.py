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
