"""Base of the report sections: one object per notebook cell.

Each section takes a :class:`~ccreview.review.review.Review`, computes (or reuses) its
results, and shows itself with ``_repr_html_``: narrative built from the
numbers, charts with alt text, escaped tables. ``.table`` holds the main tidy
DataFrame, ``.plot(ax=None)`` draws the main chart where there is one, and the
tables listed in ``.downloads`` are published beside the report as CSV files.

A section that raises stops only itself: in its place the report says, in plain words,
that it could not be computed and why; the traceback goes to the cell's stderr (kept in
the executed notebook, left out of the HTML); and a marker output tells the runner, which
then publishes the rest but marks the run failed, so the failure is not missed.
"""

from __future__ import annotations

import functools
import html
import sys
import traceback

import pandas as pd

from ccreview.data.redact import csv_text
from ccreview.exceptions import CCReviewError
from ccreview.report.plots import use_style
from ccreview.report.publish import CSS, DOWNLOAD_MIMETYPE, SECTION_FAILURE_MIMETYPE, download_name
from ccreview.report.sanitize import EMPTY_SECTION_MIMETYPE
from ccreview.review.review import Review

__all__ = ["Section"]


def _guarded(method, fallback: str | None):
    """Run a section's ``__init__`` or ``_body_html``; on an error, record it on the
    section (the first one only) and return ``fallback`` instead of letting the error
    stop the notebook."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if getattr(self, "_failure", None) is not None:
            return fallback
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # any failure stops this section only
            self._failure = exc
            self.downloads = {}
            print(f"{type(self).__name__} could not be computed:", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)
            return fallback

    return call


_STYLE_SHOWN = False


def _stylesheet_once() -> str:
    """The report's stylesheet, with the first section a kernel shows: in JupyterLab the tiles,
    notes and tables then look as they do in the published report, and links that only work
    beside a published page (downloads, other reports) are hidden. Published pages carry the
    same stylesheet in their head, so this copy changes nothing there."""
    global _STYLE_SHOWN
    if _STYLE_SHOWN:
        return ""
    _STYLE_SHOWN = True
    return (f"<style>{CSS}\nbody:not(.ccr-report) .ccr-downloads, "
            "body:not(.ccr-report) .ccr-report-link { display: none; }</style>")


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in words a reader of the report understands: the kit's own
    errors already say what to fix; anything else is a fault in the kit."""
    if isinstance(exc, CCReviewError):
        return str(exc)
    return (f"the kit met a situation in this data it does not handle ({type(exc).__name__}); "
            "this is a fault in the kit, not in the data. Please report it with the run log")


class Section:
    """Base of the report sections: HTML plus the tables published for download."""

    #: file stem -> table, published as downloads/<stem>.csv
    downloads: dict[str, pd.DataFrame]
    #: the error that stopped this section (None when it computed)
    _failure: BaseException | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name, fallback in (("__init__", None), ("_body_html", "")):
            if name in cls.__dict__:
                setattr(cls, name, _guarded(cls.__dict__[name], fallback))
        if "_repr_mimebundle_" in cls.__dict__:  # its extras read results a failure lacks
            own = cls.__dict__["_repr_mimebundle_"]

            @functools.wraps(own)
            def bundle(self, include=None, exclude=None):
                if self.failed:
                    return Section._repr_mimebundle_(self, include, exclude)
                return own(self, include, exclude)

            cls._repr_mimebundle_ = bundle

    @property
    def failed(self) -> bool:
        """Whether this section could not be computed."""
        return self._failure is not None

    def __init__(self, review: Review) -> None:
        use_style()
        self.review = review
        self.downloads = {}

    def _body_html(self) -> str:  # pragma: no cover - every section overrides it
        raise NotImplementedError

    def _failure_html(self) -> str:
        title = html.escape(type(self).__name__)
        return ('<div class="ccr-note ccr-section-failed" role="alert"><strong>This part of the '
                f"report ({title}) could not be computed.</strong> "
                f"{html.escape(failure_reason(self._failure))}. The rest of the report is not "
                "affected. The technical detail is in the run log and in the executed notebook "
                "kept with the run.</div>")

    def __repr__(self) -> str:
        if self.failed:
            return f"<{type(self).__name__}: could not be computed: {failure_reason(self._failure)}>"
        table = getattr(self, "table", None)
        shape = (f"table of {len(table):,} rows × {table.shape[1]} columns"
                 if isinstance(table, pd.DataFrame) else "no table")
        files = ", ".join(download_name(stem) for stem in self.downloads) or "none"
        return f"<{type(self).__name__}: {shape}; downloads: {files}>"

    def _repr_html_(self) -> str:
        body = self._body_html()
        if self.failed:
            return self._failure_html()
        body = _stylesheet_once() + body
        published = self._published_downloads()
        if published:
            links = " · ".join(
                f'<a href="downloads/{html.escape(download_name(stem))}">'
                f"{html.escape(download_name(stem))}</a>" for stem in published)
            body += f'<p class="ccr-small ccr-downloads">Download (CSV): {links}</p>'
        return body

    def _published_downloads(self) -> dict[str, pd.DataFrame]:
        """The downloads with at least one row: a header-only file is not offered."""
        return {stem: frame for stem, frame in self.downloads.items()
                if isinstance(frame, pd.DataFrame) and len(frame)}

    def empty_reason(self) -> str | None:
        """Why this section has nothing to show (a file not supplied), or None: an empty section
        is left off the published page, with one line saying what was not supplied."""
        return None

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        reason = None if self.failed else self.empty_reason()
        if reason:
            return {"text/html": f'<p class="ccr-small">{html.escape(reason)}</p>',
                    EMPTY_SECTION_MIMETYPE: {"section": type(self).__name__, "reason": reason}}
        bundle = {"text/html": self._repr_html_()}
        if self.failed:
            bundle[SECTION_FAILURE_MIMETYPE] = {
                "section": type(self).__name__, "reason": failure_reason(self._failure),
                "error": f"{type(self._failure).__name__}: {self._failure}"}
            return bundle
        published = self._published_downloads()
        if published:
            bundle[DOWNLOAD_MIMETYPE] = {"files": [
                {"name": download_name(stem), "csv": csv_text(frame)}
                for stem, frame in published.items()]}
        return bundle
