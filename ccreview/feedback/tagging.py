"""Tag every comment with the themes of a taxonomy, explainably and without a loop over rows.

Each theme is one case-insensitive regular expression (:class:`~ccreview.config.themes.Theme`).
The distinct comments are matched once per theme by Arrow's RE2 kernel, then spread back
to the rows, so 286k comments take well under a second per theme. A comment may carry
several themes; one that none covers is *uncovered* and feeds
:func:`ccreview.feedback.discovery.propose_themes`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccreview.config.themes import Themes
from ccreview.data import columns as c
from ccreview.stats.intervals import wilson_interval

__all__ = ["UNCOVERED", "VOICES", "comments_of", "theme_matrix", "theme_shares", "voice_of"]

#: the pseudo-theme of comments no theme covers
UNCOVERED = "uncovered"
#: whose voice a feedback row is, in report order
VOICES = ("customers", "agents", "resolver teams")


def voice_of(feedback: pd.DataFrame) -> pd.Series:
    """``customers`` (external feedback), ``agents`` or ``resolver teams`` (internal, by kind)."""
    kind = feedback[c.KIND].astype("string")
    internal = feedback[c.SOURCE].astype("string").eq("internal").fillna(False)
    voice = np.where(~internal, "customers", np.where(kind.eq("resolver_team").fillna(False),
                                                       "resolver teams", "agents"))
    return pd.Series(voice, index=feedback.index, name="voice")


def comments_of(feedback: pd.DataFrame) -> pd.DataFrame:
    """The feedback rows with a comment that is not blank: ``feedback_id``, ``received_at``,
    ``voice``, ``kind``, ``score``, ``scale``, ``team``, ``comment`` and the links."""
    if c.COMMENT not in feedback or not len(feedback):
        return feedback.iloc[0:0].assign(voice=pd.Series(dtype=object))
    text = feedback[c.COMMENT].astype("string")
    keep = text.str.strip().str.len().gt(0).fillna(False).to_numpy()
    out = feedback.loc[keep].copy()
    out["voice"] = voice_of(out)
    out[c.COMMENT] = text[keep]
    return out


def theme_matrix(comments: pd.Series, *, themes: Themes) -> pd.DataFrame:
    """Which themes each comment carries.

    Parameters
    ----------
    comments : Series of str
        Comment texts (missing values carry no theme).
    themes : Themes
        The taxonomy (:func:`ccreview.config.themes.load_themes`).

    Returns
    -------
    DataFrame
        Index of ``comments``; one boolean column per theme id, then ``uncovered``
        (no theme matched).
    """
    codes, uniques = pd.factorize(comments.astype("string"), use_na_sentinel=True)
    distinct = pa.array(np.asarray(uniques, dtype=object), type=pa.large_string())
    columns = {}
    for theme in themes:
        hit = pc.match_substring_regex(distinct, pattern=theme.pattern).to_numpy(zero_copy_only=False)
        hit = np.append(hit.astype(bool), False)  # the sentinel -1 picks this False
        columns[theme.id] = hit[codes]
    matrix = pd.DataFrame(columns, index=comments.index)
    matrix[UNCOVERED] = ~matrix.any(axis=1).to_numpy() if len(themes) else True
    return matrix


def theme_shares(comments: pd.DataFrame, matrix: pd.DataFrame, *, themes: Themes,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Share of each voice's comments that carry each theme, with Wilson intervals.

    Returns
    -------
    DataFrame
        ``theme``, ``label``, ``voice``, ``comments`` (carrying the theme), ``of`` (the
        voice's comments), ``share``, ``ci_low``, ``ci_high``; the ``uncovered`` row per voice
        last. Voices without comments are left out.
    """
    labels = {**themes.labels, UNCOVERED: "No theme (uncovered)"}
    voice = comments["voice"].to_numpy()
    rows = []
    for name in VOICES:
        mine = voice == name
        total = int(mine.sum())
        if not total:
            continue
        hits = matrix.to_numpy()[mine].sum(axis=0)
        for theme, count in zip(matrix.columns, hits, strict=True):
            rows.append({"theme": theme, "label": labels[theme], "voice": name,
                         "comments": int(count), "of": total})
    table = pd.DataFrame(rows, columns=["theme", "label", "voice", "comments", "of"])
    if len(table):
        low, high = wilson_interval(table["comments"].to_numpy(), table["of"].to_numpy(),
                                    confidence=confidence)
        table["share"] = table["comments"] / table["of"]
        table["ci_low"], table["ci_high"] = low, high
    else:
        table = table.assign(share=[], ci_low=[], ci_high=[])
    return table
