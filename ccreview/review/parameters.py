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

__all__ = ["load_parameters", "resolve_parameters_file"]

#: the project folder of a checkout (``ccreview/..``), where ``parameters/`` lies
PROJECT = Path(__file__).resolve().parents[2]


def resolve_parameters_file(path: str | Path) -> Path:
    """The parameter file a notebook means: ``path`` as given when it exists; else, for a
    relative path such as the notebooks' default ``../parameters/demo.yaml``, the same path
    from the kit's ``notebooks/`` folder, so a notebook copied anywhere still finds it."""
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    beside_kit = (PROJECT / "notebooks" / given).resolve()
    return beside_kit if beside_kit.exists() else given


def load_parameters(path: str | Path) -> RunParameters:
    """Read and check a run parameter file and the configuration it points at.

    Raises
    ------
    ParameterError
        Listing every problem in the parameter file and the criteria, objectives
        and services files it points at, with did-you-mean suggestions.
    """
    return read_parameters(resolve_parameters_file(path), metrics=METRICS,
                           chart_rules=[*RULE_SETS, *RULES])
