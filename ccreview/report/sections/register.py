"""The recommendations register as it stands after this run, and what earlier recommendations
achieved (the closed loop)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ccreview.config.register import OPEN_STATUSES, REGISTER_COLUMNS, read_register
from ccreview.report.formatting import note_html, paragraphs_html
from ccreview.report.recommendations import recommendations
from ccreview.report.sections.base import Section
from ccreview.review.register import update_register
from ccreview.review.review import Review
from ccreview.wording import plural

__all__ = ["RecommendationsRegister", "closed_loop", "updated_register"]

_PRIORITY = {"high": 0, "medium": 1, "low": 2}


def updated_register(review: Review) -> pd.DataFrame:
    """This run's recommendations merged into the register of the parameter file (computed
    once per review); an empty register when the parameter file keeps none."""
    cached = getattr(review, "_updated_register", None)
    if cached is not None:
        return cached
    current = recommendations(review).rename(columns={"recommendation": "title"})
    current["action"] = current["title"]
    # ISO dates, as the register is read back (read_register)
    current["due"] = pd.to_datetime(current["due"], format="%d %b %Y", errors="coerce").dt.strftime(
        "%Y-%m-%d").fillna("")
    register = (read_register(review.params.register_path) if review.params.register_path
                else pd.DataFrame(columns=REGISTER_COLUMNS))
    on = (review.as_of - pd.Timedelta(microseconds=1)).strftime("%Y-%m-%d")
    updated = update_register(register, current[["recommendation_id", "title", "action", "owner",
                                                 "priority", "due", "metric", "evidence"]],
                              run=review.params.run, on=on)
    review._updated_register = updated
    return updated


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
        self.loop = closed_loop(review, register)
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
        earlier = table[table["proposed_on"].ne("") & (pd.to_datetime(
            table["proposed_on"], errors="coerce") < review.params.start.tz_localize(None))]
        if len(earlier):
            implemented = earlier["status"].isin(["implemented", "closed"])
            said.append(f"Of {plural(len(earlier), 'recommendation')} from earlier periods, "
                        f"{int(implemented.sum())} {'was' if implemented.sum() == 1 else 'were'} "
                        "implemented.")
        for row in self.loop.itertuples(index=False):
            said.append(f"{row.title} ({row.change_id}): {row.evidence}")
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
        columns = ("recommendation_id", "title", "owner", "priority", "status", "due", "change_id",
                   "evidence", "evidence_now")
        labels = {"recommendation_id": "id", "change_id": "change", "evidence_now": "this run"}
        head = "".join(f'<th scope="col">{_escape(labels.get(k, k.replace("_", " ")))}</th>'
                       for k in columns)
        body = []
        for row in self.table.itertuples(index=False):  # the register: tens of rows
            cells = []
            for key in columns:
                text = _escape(getattr(row, key))
                if key == "evidence" and text:
                    page = ("feedback_review.html" if str(row.recommendation_id).startswith("feedback-")
                            else "incident_review.html")
                    text += (f' <a class="ccr-report-link" href="{page}">evidence</a>')
                cells.append(f"<td>{text}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        return (f'<table class="ccr-table"><caption>The register after this run, open items first'
                f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _escape(text: object) -> str:
    return html.escape("" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text))
