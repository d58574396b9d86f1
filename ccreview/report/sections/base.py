"""Base of the report sections: one object per notebook cell.

Each section takes a :class:`~ccreview.review.review.Review`, computes (or reuses) its
results, and shows itself with ``_repr_html_``: narrative built from the
numbers, charts with alt text, escaped tables. ``.table`` holds the main tidy
DataFrame, ``.plot(ax=None)`` draws the main chart where there is one, and the
tables listed in ``.downloads`` are published beside the report as CSV files.
"""

from __future__ import annotations

import html

import pandas as pd

from ccreview.data.redact import redact_frame
from ccreview.report.plots import use_style
from ccreview.report.publish import DOWNLOAD_MIMETYPE, download_name
from ccreview.review.review import Review

__all__ = ["Section"]


class Section:
    """Base of the report sections: HTML plus the tables published for download."""

    #: file stem -> table, published as downloads/<stem>.csv
    downloads: dict[str, pd.DataFrame]

    def __init__(self, review: Review) -> None:
        use_style()
        self.review = review
        self.downloads = {}

    def _body_html(self) -> str:  # pragma: no cover - every section overrides it
        raise NotImplementedError

    def _repr_html_(self) -> str:
        body = self._body_html()
        if self.downloads:
            links = " · ".join(
                f'<a href="downloads/{html.escape(download_name(stem))}">'
                f"{html.escape(download_name(stem))}</a>" for stem in self.downloads)
            body += f'<p class="ccr-small ccr-downloads">Download (CSV): {links}</p>'
        return body

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/html": self._repr_html_()}
        if self.downloads:
            bundle[DOWNLOAD_MIMETYPE] = {"files": [
                {"name": download_name(stem), "csv": redact_frame(frame).to_csv(index=False)}
                for stem, frame in self.downloads.items()]}
        return bundle
