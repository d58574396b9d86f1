"""The one vocabulary of measure kinds, and how each kind is compared, charted and modelled.

Every KPI of the catalogue (:data:`ccreview.kpis.catalogue.METRICS`) declares one of
:data:`MEASURE_KINDS`. The statistics work on fewer shapes of data, and these maps say which
one each kind of measure takes, so no module re-maps kinds by hand:

* a period comparison (:func:`ccreview.stats.comparisons.compare_periods`) tests
  :data:`COMPARISON_KIND` — proportions as proportions, rates and counts (events per day)
  as rates, durations and scores as samples of values;
* a change model (:mod:`ccreview.stats.its`, :mod:`ccreview.stats.did`) fits
  :data:`CHANGE_MODEL_KIND` — events out of an exposure as a rate, values as a continuous
  series;
* the technique study (:mod:`ccreview.stats.techniques`) charts :data:`CHART_SERIES_KIND`;
* snapshots (a state at an instant, such as the backlog) are neither compared nor modelled.
"""

from __future__ import annotations

__all__ = [
    "CHANGE_MODEL_KIND",
    "CHART_SERIES_KIND",
    "COMPARISON_KIND",
    "CONTINUOUS",
    "SHARE",
    "COUNT",
    "DURATION",
    "MEASURE_KINDS",
    "PROPORTION",
    "RATE",
    "SCORE",
    "SNAPSHOT",
    "VALUES",
]

#: kinds of measure, as the KPI catalogue declares them
PROPORTION, RATE, COUNT, DURATION, SCORE, SNAPSHOT = (
    "proportion", "rate", "count", "duration", "score", "snapshot")
MEASURE_KINDS = (PROPORTION, RATE, COUNT, DURATION, SCORE, SNAPSHOT)
#: measures that are samples of values (a statistic such as the median is reported)
VALUES = (DURATION, SCORE)
#: the change models' kinds for a series of values, and of events each trial has at most once
CONTINUOUS, SHARE = "continuous", "share"

#: measure kind -> kind of two-period comparison (counts are compared as events per day)
COMPARISON_KIND = {PROPORTION: PROPORTION, RATE: RATE, COUNT: RATE, DURATION: DURATION,
                   SCORE: DURATION}
#: measure kind -> kind of change model (a share of trials, events per exposure, or values)
CHANGE_MODEL_KIND = {PROPORTION: SHARE, RATE: RATE, COUNT: RATE, DURATION: CONTINUOUS,
                     SCORE: CONTINUOUS}
#: measure kind -> kind of weekly series the technique study charts (p, u or XmR chart)
CHART_SERIES_KIND = {PROPORTION: PROPORTION, RATE: RATE, COUNT: RATE, DURATION: CONTINUOUS,
                     SCORE: CONTINUOUS}
