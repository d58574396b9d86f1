"""The sections of the published reports, one object per notebook cell.

A notebook shows a section with one expression, e.g. ``sections.Compliance(review)``.
"""

from ccreview.report.sections.base import Section
from ccreview.report.sections.changes import ChangeEvidence, ChangeRecord, ChangeVerdicts
from ccreview.report.sections.debriefs import MajorIncidents
from ccreview.report.sections.definitions import Definitions
from ccreview.report.sections.feedback import (
    DissatisfactionDrivers,
    EnhancementCandidates,
    FeedbackThemes,
    FeedbackTrends,
)
from ccreview.report.sections.incidents import Compliance, Handoffs, ResolutionTimes, Volumes
from ccreview.report.sections.major import (
    ContactSurge,
    IncidentDebriefs,
    MajorIncidentRecord,
    MajorIncidentTimeline,
    StaffingWhatIf,
)
from ccreview.report.sections.monitoring import EvaluatorAgreement, MonitoringMethods, QaSampleSize
from ccreview.report.sections.performance import ControlCharts, Performance, TechniqueEfficiency
from ccreview.report.sections.procedures import CaseForChange, Procedures
from ccreview.report.sections.register import RecommendationsRegister
from ccreview.report.sections.summary import DataHealth, ExecutiveSummary

__all__ = [
    "CaseForChange",
    "ChangeEvidence",
    "ChangeRecord",
    "ChangeVerdicts",
    "Compliance",
    "ContactSurge",
    "ControlCharts",
    "DataHealth",
    "Definitions",
    "DissatisfactionDrivers",
    "EnhancementCandidates",
    "EvaluatorAgreement",
    "ExecutiveSummary",
    "FeedbackThemes",
    "FeedbackTrends",
    "Handoffs",
    "IncidentDebriefs",
    "MajorIncidentRecord",
    "MajorIncidentTimeline",
    "MajorIncidents",
    "MonitoringMethods",
    "Performance",
    "Procedures",
    "QaSampleSize",
    "RecommendationsRegister",
    "ResolutionTimes",
    "Section",
    "StaffingWhatIf",
    "TechniqueEfficiency",
    "Volumes",
]
