"""Feedback analyses: themes in comment text, candidate new themes, drivers of
dissatisfaction, trends and enhancement candidates."""
