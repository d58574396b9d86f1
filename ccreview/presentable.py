"""Result objects that draw themselves in a notebook, without the analysis knowing how.

The analysis layers (``stats``, ``incidents``, ...) return small result objects with
``.table`` and ``.plot(ax=None)`` and an HTML view for notebooks. Drawing is presentation,
which lives in :mod:`ccreview.report.views`; so a result class inherits
:class:`Presentable`, and the report layer registers the functions that draw it with
:func:`register_view`. On the first call the views module is imported by name, as pandas
loads its plotting backend (``pandas.options.plotting.backend``), so the analysis code
never imports presentation code and the layers keep pointing down.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["VIEWS_MODULE", "Presentable", "register_view"]

#: the module whose import registers every view (the report layer's)
VIEWS_MODULE = "ccreview.report.views"

_VIEWS: dict[tuple[type, str], Callable[..., Any]] = {}


def register_view(cls: type, *, plot: Callable[..., Any] | None = None,
                  html: Callable[[Any], str] | None = None) -> None:
    """Register how instances of ``cls`` (and its subclasses) are drawn and shown as HTML."""
    if plot is not None:
        _VIEWS[(cls, "plot")] = plot
    if html is not None:
        _VIEWS[(cls, "html")] = html


def _view(obj: object, kind: str) -> Callable[..., Any] | None:
    for attempt in range(2):
        for klass in type(obj).__mro__:
            found = _VIEWS.get((klass, kind))
            if found is not None:
                return found
        if attempt == 0:
            importlib.import_module(VIEWS_MODULE)
    return None


class Presentable:
    """Mixin: ``.plot(ax=None, **options)`` and ``_repr_html_`` through the registered views."""

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Draw the result on ``ax`` (a new Axes when None) and return the Axes."""
        view = _view(self, "plot")
        if view is None:
            raise TypeError(f"{type(self).__name__} has no chart.")
        return view(self, ax=ax, **options)

    def _repr_html_(self) -> str | None:
        view = _view(self, "html")
        return None if view is None else view(self)
