"""ccreview: incident review and change evidence for contact centres.

The package is layered (see README, "Where things live"): cli / runner -> report -> review ->
{incidents, kpis} -> stats -> clocks -> config -> data -> exceptions, wording, presentable.
"""
