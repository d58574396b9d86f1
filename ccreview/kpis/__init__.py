"""KPIs: the catalogue (every metric's definition) and the one computation of each
(observations, compute; contacts for every contact metric in one pass)."""
