"""Enhancement candidates: the feedback themes most worth acting on, ranked with their evidence.

A theme's priority multiplies three things a review lead weighs:

* **reach** — how many customers' comments carry it in the period;
* **strength** — how strongly it goes with dissatisfaction: the share of those customers'
  feedback that was a complaint or an unsatisfied survey answer (a theme of compliments
  ranks low however common it is), raised by the adjusted effect of the handling factor the
  theme corresponds to (``driver:`` in ``themes.yaml``) when that effect is beyond chance;
* **agreement** — whether agents' or resolver teams' own feedback points at the same
  weakness (at least :data:`AGREEMENT_SHARE` of their comments): then both voices see it,
  and the score is doubled.

Nothing here is a model to trust blindly: every factor is printed beside the rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.feedback.tagging import UNCOVERED

__all__ = ["AGREEMENT_SHARE", "CANDIDATE_COLUMNS", "enhancement_candidates"]

#: share of internal comments that counts as internal voices agreeing
AGREEMENT_SHARE = 0.02
CANDIDATE_COLUMNS = ["rank", "theme", "label", "customers", "negative_share", "driver",
                     "driver_effect", "internal_share", "agreement", "rising", "score"]


def enhancement_candidates(comments: pd.DataFrame, matrix: pd.DataFrame, *, themes,
                           negative: np.ndarray, drivers: pd.DataFrame | None = None,
                           rising: set[str] | None = None) -> pd.DataFrame:
    """Themes ranked by reach x strength x agreement.

    Parameters
    ----------
    comments, matrix : DataFrame
        The period's comments (with ``voice``) and their theme matrix.
    themes : Themes
        The taxonomy (for labels and each theme's ``driver``).
    negative : ndarray of bool
        Per comment, whether its feedback was a complaint or an unsatisfied answer.
    drivers : DataFrame, optional
        :func:`ccreview.feedback.drivers.fit_outcome_model` of satisfaction: ``factor``,
        ``effect`` (points, negative = less satisfied) and ``beyond_chance``.
    rising : set of str, optional
        Themes whose share rose beyond chance (:mod:`ccreview.feedback.trends`).

    Returns
    -------
    DataFrame
        :data:`CANDIDATE_COLUMNS`, best first; themes no customer mentioned are left out.
    """
    voice = comments["voice"].to_numpy()
    external, internal = voice == "customers", voice != "customers"
    hits = matrix.drop(columns=[UNCOVERED], errors="ignore")
    effects = {}
    if drivers is not None and len(drivers):
        clear = drivers[drivers["beyond_chance"].astype(bool) & drivers["level"].eq("")]
        effects = dict(zip(clear["factor"], clear["effect"], strict=True))
    rising = rising or set()
    rows = []
    for theme in themes:
        if theme.id not in hits:
            continue
        hit = hits[theme.id].to_numpy()
        customers = int((hit & external).sum())
        if not customers:
            continue
        negative_share = float(negative[hit & external].mean())
        effect = effects.get(theme.driver) if theme.driver else None
        strength = negative_share * (1 + abs(effect) / 100 if effect is not None and effect < 0 else 1)
        internal_share = float(hit[internal].mean()) if internal.any() else np.nan
        agreement = bool(internal.any() and internal_share >= AGREEMENT_SHARE)
        rows.append({"theme": theme.id, "label": theme.label, "customers": customers,
                     "negative_share": negative_share, "driver": theme.driver or "",
                     "driver_effect": effect if effect is not None else np.nan,
                     "internal_share": internal_share, "agreement": agreement,
                     "rising": theme.id in rising,
                     "score": customers * strength * (2 if agreement else 1)})
    table = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS[1:])
    table = table.sort_values(["score", "customers"], ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def negative_feedback(comments: pd.DataFrame, *, satisfied_from: dict[str, float]) -> np.ndarray:
    """Per comment: a complaint, or a survey answer below the scale's satisfied level."""
    kind = comments[c.KIND].astype("string").fillna("")
    score = comments[c.SCORE].to_numpy(dtype=float, na_value=np.nan)
    floor = comments[c.SCALE].astype("string").map(satisfied_from).to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        unsatisfied = kind.eq("survey").to_numpy() & (score < floor)
    return kind.eq("complaint").to_numpy() | unsatisfied
