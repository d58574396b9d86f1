"""HTML building blocks for report output: tables, figures, notes, KPI tiles.

Every value taken from data or parameters is HTML-escaped here, so comments,
names and categories can never inject markup into a report.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ccreview.kpis.catalogue import METRICS
from ccreview.stats import kinds
from ccreview.wording import fmt_number, format_value, is_missing

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.pyplot as plt

__all__ = [
    "details_html",
    "figure_html",
    "fmt_change",
    "fmt_metric",
    "fmt_metric_pair",
    "note_html",
    "paragraphs_html",
    "priority_label",
    "table_html",
]


Formatter = Callable[[object], str]


def priority_label(priority: object) -> str:
    """``3`` -> ``"P3"``."""
    return f"P{int(priority)}"


def table_html(
    frame: pd.DataFrame,
    *,
    formats: Mapping[str, Formatter] | None = None,
    labels: Mapping[str, str] | None = None,
    caption: str | None = None,
    max_rows: int | None = None,
) -> str:
    """Render a DataFrame as an escaped, formatted HTML table.

    Numeric columns are right-aligned; ``formats`` maps column -> formatter;
    ``labels`` renames headers for readers.
    """
    formats = dict(formats or {})
    labels = dict(labels or {})
    shown = frame if max_rows is None else frame.head(max_rows)
    numeric = {col for col in shown.columns if pd.api.types.is_numeric_dtype(shown[col].dtype)}
    head = "".join(
        f'<th{" class=num" if col in numeric else ""} scope="col">'
        f"{html.escape(labels.get(col, str(col).replace('_', ' ')))}</th>"
        for col in shown.columns
    )
    body = []
    for row in shown.itertuples(index=False):  # report-sized tables only (tens of rows)
        cells = []
        for col, value in zip(shown.columns, row, strict=True):
            text = formats[col](value) if col in formats else _default(value)
            attrs = ""
            if col in numeric:
                raw = "" if is_missing(value) else f"{float(value):.10g}"
                attrs = f' class=num data-sort="{raw}"'
            cells.append(f"<td{attrs}>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = ""
    if max_rows is not None and len(frame) > max_rows:
        more = (f'<p class="ccr-small">Showing the first {max_rows:,} of {len(frame):,} rows; '
                "the download below has them all.</p>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<table class="ccr-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{more}")


def _default(value: object) -> str:
    if is_missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime(
            "%Y-%m-%d %H:%M")
    return str(value)


def figure_html(fig: plt.Figure, *, alt: str, caption: str | None = None) -> str:
    """Embed a Matplotlib figure as an inline PNG with alt text, then close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="ccr-figure"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(alt, quote=True)}">{cap}</figure>')


def note_html(text: str) -> str:
    """A highlighted caveat (small sample, missing table...) shown in the report body."""
    return f'<div class="ccr-note">{html.escape(text)}</div>'


def details_html(summary: str, body: str) -> str:
    """A collapsed block (methods, a long table) with a plain-text ``summary`` line; printed open."""
    if not body:
        return ""
    return f'<details class="ccr-details"><summary>{html.escape(summary)}</summary>{body}</details>'


def paragraphs_html(sentences: list[str]) -> str:
    """Escaped sentences as a bulleted list."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    return f"<ul>{items}</ul>"


def fmt_metric(value: object, name: str) -> str:
    """A metric's value in its unit (counts compared per day show one decimal)."""
    metric = METRICS[name]
    if metric.unit == "per 1,000":
        return fmt_number(value, 2)
    if metric.unit == "score":
        return fmt_number(value, 1)
    if metric.kind == kinds.COUNT and value is not None and not float(value).is_integer():
        return f"{fmt_number(value, 1)} a day"
    return format_value(value, metric.unit)


def fmt_metric_pair(after: object, before: object, name: str) -> tuple[str, str]:
    """Two values of a metric that differ, printed so that they differ: "21.4 s" and "20.9 s"
    where one decimal less would print "21 s against 21 s"."""
    first, second = fmt_metric(after, name), fmt_metric(before, name)
    if first != second or after is None or before is None or float(after) == float(before):
        return first, second
    unit = METRICS[name].unit
    for digits in (1, 2, 3):
        if unit == "seconds":
            first, second = (f"{fmt_number(v, digits)} s" for v in (after, before))
        elif unit == "share":
            first, second = (f"{100 * float(v):.{digits + 1}f}%" for v in (after, before))
        else:
            first, second = (fmt_number(v, digits + 1) for v in (after, before))
        if first != second:
            break
    return first, second


def fmt_change(value: object, name: str, scale: str) -> str:
    """A change on the scale it was estimated on: points, a ratio, or the metric's unit."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    value = float(value)
    if scale == "ratio":
        return "–" if np.isinf(value) else f"×{value:.2f}"
    metric = METRICS[name]
    if metric.unit == "share":
        text = f"{abs(100 * value):.1f} pts"
    elif metric.unit == "seconds" and abs(value) < 10:  # a few seconds: one decimal tells apart
        text = f"{abs(value):.1f} s"
    else:
        text = fmt_metric(abs(value), name)
    # what rounds to zero is shown without a sign ("0.0 s", never "−0.0 s")
    zero = not any(ch in "123456789" for ch in text)
    sign = "±" if zero else "+" if value > 0 else "−"
    return sign + text
