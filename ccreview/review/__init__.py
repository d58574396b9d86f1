"""One period's review: the data of the period sliced once, shared results computed once.

:func:`open_review` is what a notebook calls; :class:`Review` holds the period's slices
and caches what several sections read (the target clocks, the outcomes, the KPIs).
Both are loaded on first use, so importing :mod:`ccreview.review.parameters` (as
``ccreview check`` does) does not pull in every analysis.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Review", "open_review"]


def __getattr__(name: str) -> Any:  # PEP 562: Review and open_review on first use
    if name in __all__:
        return getattr(importlib.import_module("ccreview.review.review"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
