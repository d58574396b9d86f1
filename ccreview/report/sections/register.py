"""The recommendations register as it stands after this run, and what earlier recommendations
achieved (the closed loop)."""

from __future__ import annotations

import html
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from ccreview.config.register import OPEN_STATUSES, REGISTER_COLUMNS, read_register
from ccreview.report.formatting import note_html, paragraphs_html
from ccreview.report.recommendations import next_review_date, recommendations
from ccreview.report.sections.base import Section
from ccreview.review.register import update_register
from ccreview.review.review import Review
from ccreview.wording import plural

__all__ = ["RecommendationsRegister", "closed_loop", "earlier_recommendations", "updated_register"]

_PRIORITY = {"high": 0, "medium": 1, "low": 2}
#: each review's updated register, computed once (the summary and the register page share it)
_UPDATED: WeakKeyDictionary = WeakKeyDictionary()


def updated_register(review: Review, *, current: pd.DataFrame | None = None) -> pd.DataFrame:
    """This run's recommendations (``current``, default :func:`recommendations`) merged into the
    register of the parameter file, computed once per review; with no register kept, this
    run's recommendations alone."""
    if review in _UPDATED:
        return _UPDATED[review]
    current = (recommendations(review) if current is None else current).rename(
        columns={"recommendation": "action"})
    # ISO dates, as the register is read back (read_register)
    current["due"] = next_review_date(review.params.start, review.params.end).strftime("%Y-%m-%d")
    register = (read_register(review.params.register_path) if review.params.register_path
                else pd.DataFrame(columns=REGISTER_COLUMNS))
    on = (review.as_of - pd.Timedelta(microseconds=1)).strftime("%Y-%m-%d")
    updated = update_register(register, current[["recommendation_id", "title", "action", "owner",
                                                 "priority", "due", "metric", "evidence"]],
                              run=review.params.run, on=on)
    _UPDATED[review] = updated
    return updated


def earlier_recommendations(review: Review, register: pd.DataFrame | None = None) -> list[str]:
    """What became of recommendations: how many of earlier periods' were implemented, and what
    each implemented one linked to a change achieved (from the change evaluation)."""
    register = updated_register(review) if register is None else register
    proposed = pd.to_datetime(register["proposed_on"], format="%Y-%m-%d", errors="coerce")
    earlier = register[(proposed < review.params.start.tz_localize(None)).to_numpy()]
    said = []
    if len(earlier):
        implemented = int(earlier["status"].isin(["implemented", "closed"]).sum())
        said.append(f"Of {plural(len(earlier), 'recommendation')} from earlier periods, {implemented} "
                    f"{'was' if implemented == 1 else 'were'} implemented.")
    said += [f"{row.title} ({row.change_id}): {row.evidence}"
             for row in closed_loop(review, register).itertuples(index=False)]
    return said


def closed_loop(review: Review, register: pd.DataFrame) -> pd.DataFrame:
    """Implemented (or closed) recommendations linked to a change of the register, with the
    change's measured effect from the change evaluation: ``recommendation_id``, ``title``,
    ``change_id``, ``verdict`` and ``evidence``."""
    done = register[register["status"].isin(["implemented", "closed"]) & register["change_id"].ne("")]
    known = set(review.data["changes"]["change_id"].astype(str)) if "changes" in review.data else set()
    rows = []
    for row in done.itertuples(index=False):  # the register: a handful of rows
        if row.change_id not in known:
            rows.append((row.recommendation_id, row.title, row.change_id, "unknown change",
                         f"{row.change_id} is not in the change register."))
            continue
        evaluation = review.change_evaluation(row.change_id)
        rows.append((row.recommendation_id, row.title, row.change_id,
                     evaluation.verdict.verdict, evaluation.verdict.sentence))
    return pd.DataFrame(rows, columns=["recommendation_id", "title", "change_id", "verdict", "evidence"])


class RecommendationsRegister(Section):
    """Every recommendation, carried across periods: status, owner, due date, and what came of it."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        register = updated_register(review)
        order = register["priority"].map(_PRIORITY).fillna(3)
        is_open = register["status"].isin(OPEN_STATUSES)
        self.table = register.assign(_open=~is_open, _order=order).sort_values(
            ["_open", "_order"], kind="stable").drop(columns=["_open", "_order"]).reset_index(drop=True)
        self.downloads = {"recommendations_register": register}

    def _body_html(self) -> str:
        review, table = self.review, self.table
        if not len(table):
            return note_html("No recommendation, open or earlier, is on record.")
        counts = table["status"].value_counts()
        new = int(table["evidence_now"].eq("new").sum())
        gone = table["evidence_now"].str.startswith("not found") & table["status"].isin(OPEN_STATUSES)
        said = [f"{plural(len(table), 'recommendation')} on record: " + ", ".join(
            f"{n} {s}" for s, n in counts.items()) + f"; {new} new this run."]
        said += earlier_recommendations(review, table)
        if gone.any():
            said.append(f"{plural(int(gone.sum()), 'open recommendation')} no longer found by this run: "
                        "resolved by itself? The owner should check, then close it or keep it open.")
        path = review.params.register_path
        said.append("To keep this run's register, copy downloads/recommendations_register.csv over "
                     f"{path.name} (beside the parameter file), after checking it."
                     if path else "The parameter file keeps no register (recommendations:), so "
                     "recommendations are not carried to the next run; start one from "
                     "downloads/recommendations_register.csv.")
        return paragraphs_html(said) + self._table_html()

    def _table_html(self) -> str:
        """The register, each row's evidence one click from the report that holds it."""
        columns = ("recommendation_id", "title", "action", "owner", "priority", "status", "due",
                   "change_id", "evidence", "evidence_now")
        labels = {"recommendation_id": "id", "change_id": "change", "evidence_now": "this run"}
        head = "".join(f'<th scope="col">{_escape(labels.get(k, k.replace("_", " ")))}</th>'
                       for k in columns)
        body = []
        for row in self.table.itertuples(index=False):  # the register: tens of rows
            cells = []
            for key in columns:
                text = _escape(getattr(row, key))
                if key == "evidence" and text and row.evidence_now in ("new", "found again"):
                    # the evidence is in this run's reports (an older row's is in an older run's)
                    page = ("feedback_review.html" if str(row.recommendation_id).startswith("feedback-")
                            else "incident_review.html")
                    text += (f' <a class="ccr-report-link" href="{page}">evidence</a>')
                cells.append(f"<td>{text}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        return (f'<table class="ccr-table"><caption>The register after this run, open items first'
                f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _escape(text: object) -> str:
    return html.escape("" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text))
