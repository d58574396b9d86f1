"""Load a run's parameter file, checked against the KPI catalogue and the control-chart rules.

The parameter file's structure is read in :mod:`ccreview.config.parameters`; the names it
may use (KPI ids, run rules) belong to the layers above configuration, so they are passed
in from here, the lowest layer that knows both.
"""

from __future__ import annotations

from pathlib import Path

from ccreview.config.parameters import RunParameters, read_parameters
from ccreview.kpis.catalogue import METRICS
from ccreview.stats.run_rules import RULE_SETS, RULES

__all__ = ["load_parameters"]


def load_parameters(path: str | Path) -> RunParameters:
    """Read and check a run parameter file and the configuration it points at.

    Raises
    ------
    ParameterError
        Listing every problem in the parameter file and the criteria, objectives
        and services files it points at, with did-you-mean suggestions.
    """
    return read_parameters(path, metrics=METRICS, chart_rules=[*RULE_SETS, *RULES])
