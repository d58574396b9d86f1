"""Presentation: formatting, plots, views of result objects, narrative, recommendations, the
report sections, publishing and templates. The only layer that draws or writes HTML."""
