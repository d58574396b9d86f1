"""Configuration: criteria.yaml (criteria, rules), objectives and services, the parameter file.

Shared value parsing lives in values, KPI definition choices in kpi_settings. May import data.
"""
