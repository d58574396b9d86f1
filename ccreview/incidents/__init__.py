"""Incident analyses: targets on business-hours clocks, the per-incident criterion table,
procedure rules, priority grading and handoffs between teams. Pure: DataFrames in and out."""
