"""Candidate new themes, proposed from the comments no theme covers, for a person to name.

The uncovered comments are weighted by TF-IDF (words and two-word phrases, English stop
words left out) and factorised by non-negative matrix factorisation into a few topics
(scikit-learn's ``TfidfVectorizer`` and ``NMF``; Lee & Seung 1999, *Nature* 401:788-791;
the method of scikit-learn's topic-extraction example). Each topic is listed with its
top terms and the comments it explains best; nothing is added to the taxonomy until a
person names the theme and writes its phrases into ``themes.yaml``. It runs offline and
is deterministic (``nndsvda`` start, no random draw once the sample is taken).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MIN_UNCOVERED", "propose_themes"]

#: distinct uncovered comments needed before topics are worth proposing
MIN_UNCOVERED = 20
_COLUMNS = ["candidate", "top_terms", "comments", "share_of_uncovered", "examples"]


def propose_themes(comments: pd.Series, *, n_themes: int = 5, n_terms: int = 6, n_examples: int = 3,
                   max_comments: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """Topics among uncovered comments, largest first.

    Parameters
    ----------
    comments : Series of str
        The comments no theme covers.
    n_themes : int
        Topics to fit (fewer when there are few distinct comments).
    n_terms, n_examples : int
        Top terms and example comments listed per topic.
    max_comments : int
        Distinct comments fitted at most (a seeded sample beyond it; the topics of a large
        quarter are stable well before that).
    seed : int
        Seed of that sample.

    Returns
    -------
    DataFrame
        ``candidate`` (1, 2, ...), ``top_terms`` (comma-separated), ``comments`` (uncovered
        comments it explains best, duplicates counted), ``share_of_uncovered`` and
        ``examples`` (a list of texts, as written: escape and redact before showing).
        Empty when there are fewer than :data:`MIN_UNCOVERED` distinct comments.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    text = comments.dropna().astype(str).str.strip()
    text = text[text.str.len() > 0]
    counts = text.value_counts(sort=False)
    if len(counts) < MIN_UNCOVERED:
        return pd.DataFrame(columns=_COLUMNS)
    if len(counts) > max_comments:
        counts = counts.sample(max_comments, random_state=seed)
    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2, max_df=0.9,
                                 sublinear_tf=True, token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b")
    try:
        weights = vectorizer.fit_transform(counts.index)
    except ValueError:  # every word is a stop word or appears once
        return pd.DataFrame(columns=_COLUMNS)
    k = int(min(n_themes, weights.shape[1], max(1, len(counts) // 10)))
    if k < 1:
        return pd.DataFrame(columns=_COLUMNS)
    model = NMF(n_components=k, init="nndsvda", max_iter=500, random_state=seed)
    loadings = model.fit_transform(weights)
    best = loadings.argmax(axis=1)
    strength = loadings.max(axis=1)
    explained = strength > 0
    terms = np.asarray(vectorizer.get_feature_names_out())
    frequency = counts.to_numpy()
    rows = []
    for topic in range(k):
        mine = np.flatnonzero((best == topic) & explained)
        if not len(mine):
            continue
        order = mine[np.argsort(-strength[mine], kind="stable")]
        rows.append({
            "top_terms": ", ".join(terms[np.argsort(-model.components_[topic])[:n_terms]]),
            "comments": int(frequency[mine].sum()),
            "examples": [str(t) for t in counts.index[order[:n_examples]]],
        })
    table = pd.DataFrame(rows, columns=_COLUMNS[1:3] + ["examples"])
    table = table.sort_values("comments", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "candidate", np.arange(1, len(table) + 1))
    table.insert(3, "share_of_uncovered", table["comments"] / max(int(frequency.sum()), 1))
    return table[_COLUMNS]
