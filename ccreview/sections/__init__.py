"""The sections of the published reports, one object per notebook cell.

A notebook shows a section with one expression, e.g. ``sections.Compliance(review)``.
"""

from ccreview.sections.base import Section
from ccreview.sections.changes import ChangeEvidence, ChangeRecord, ChangeVerdicts
from ccreview.sections.incidents import (
    Compliance,
    DataHealth,
    Definitions,
    ExecutiveSummary,
    Handoffs,
    ResolutionTimes,
    Volumes,
)
from ccreview.sections.performance import ControlCharts, Performance, TechniqueEfficiency
from ccreview.sections.procedures import CaseForChange, Procedures

__all__ = [
    "CaseForChange",
    "ChangeEvidence",
    "ChangeRecord",
    "ChangeVerdicts",
    "Compliance",
    "ControlCharts",
    "DataHealth",
    "Definitions",
    "ExecutiveSummary",
    "Handoffs",
    "Performance",
    "Procedures",
    "ResolutionTimes",
    "Section",
    "TechniqueEfficiency",
    "Volumes",
]
