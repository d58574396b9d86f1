"""ccreview."""
