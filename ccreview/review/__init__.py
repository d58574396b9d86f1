"""One period's review: the data of the period sliced once, shared results computed once.

:func:`open_review` is what a notebook calls; :class:`Review` holds the period's slices
and caches what several sections read (the target clocks, the outcomes, the KPIs).
"""

from ccreview.review.review import Review, open_review

__all__ = ["Review", "open_review"]
