"""Data: the canonical tables (columns, schema), readers, parsing, validation with quarantine,
the validated data set (dataset), the prepared hand-over to notebooks, redaction, importers/.

The bottom layer of the analysis: imports nothing of ccreview but exceptions and wording.
"""
