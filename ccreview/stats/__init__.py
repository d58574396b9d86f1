"""Statistics free of presentation: intervals, period comparisons, control charts and run rules,
change models (ITS, DiD) with verdicts, and the monitoring-technique study.

Imports no plotting, HTML or report code; results draw through ccreview.presentable.
"""
