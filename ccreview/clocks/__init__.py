"""Clocks: business calendars (business_hours), pause clocks (pauses) and period grids (periods).

May import config and data only; the analyses above read every elapsed time from here.
"""
