"""What the review says about feedback: themes, drivers of dissatisfaction, both voices, trends.

A part of :class:`~ccreview.review.review.Review`, which supplies ``params``, ``data``,
``as_of``, ``all_outcomes`` and ``degraded_weeks``. Every result is computed once.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccreview.clocks.periods import comparison_windows
from ccreview.data import columns as c
from ccreview.feedback.candidates import CANDIDATE_COLUMNS, enhancement_candidates, negative_feedback
from ccreview.feedback.discovery import propose_themes
from ccreview.feedback.drivers import fit_outcome_model
from ccreview.feedback.tagging import UNCOVERED, comments_of, theme_matrix, theme_shares
from ccreview.feedback.trends import compare_theme_shares, theme_share_series
from ccreview.kpis.compute import kpi_series
from ccreview.kpis.observations import SATISFIED_FROM

__all__ = ["FeedbackResults"]

#: incident-side factors (False where the contact had no linked incident)
_INCIDENT_FACTORS = ("reassigned", "reopened", "breached_target")
#: share of a non-real-time channel's slowest waits counted as long
_SLOWEST_SHARE = 0.2


def _arrow(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string").array, type=pa.large_string())


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Where each of ``values`` is among ``keys`` (unique), -1 where absent: Arrow's hash
    lookup, several times faster than a pandas index of strings for millions of ids. The
    hash table is built on the smaller side (174k answers looked up among 2.3M contacts
    hash the answers' distinct ids, not the contacts')."""
    if len(values) >= len(keys):
        found = pc.index_in(_arrow(values), value_set=_arrow(keys))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes, distinct = pd.factorize(values.astype("string"))
    hit = pc.index_in(_arrow(keys), value_set=_arrow(pd.Series(distinct, dtype="string")))
    hit = hit.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    at_key = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the last slot: a missing value
    matched = np.flatnonzero(hit >= 0)
    at_key[hit[matched]] = matched
    return at_key[codes]


class FeedbackResults:
    """Feedback results of the review period, computed once and shared by every section."""

    @cached_property
    def feedback(self) -> pd.DataFrame:
        """Feedback received in the period (empty without a feedback file)."""
        if "feedback" not in self.data:
            return pd.DataFrame(columns=[c.FEEDBACK_ID, c.RECEIVED_AT, c.SOURCE, c.KIND, c.COMMENT])
        return self._in_period("feedback", c.RECEIVED_AT)

    @cached_property
    def comments(self) -> pd.DataFrame:
        """The period's feedback rows with a comment, with their ``voice``."""
        return comments_of(self.feedback)

    @cached_property
    def theme_matrix(self) -> pd.DataFrame:
        """Which themes each of :attr:`comments` carries (one boolean column per theme): the
        period's rows of :attr:`history_theme_matrix`, so each comment is matched once."""
        return self.history_theme_matrix.loc[self.comments.index]

    @cached_property
    def theme_shares(self) -> pd.DataFrame:
        """Each theme's share of each voice's comments (:func:`~ccreview.feedback.tagging.theme_shares`)."""
        return theme_shares(self.comments, self.theme_matrix, themes=self.params.themes)

    @cached_property
    def proposed_themes(self) -> pd.DataFrame:
        """Candidate new themes from the uncovered comments (all voices)."""
        uncovered = self.theme_matrix[UNCOVERED].to_numpy() if len(self.comments) else []
        return propose_themes(self.comments[c.COMMENT][uncovered])

    @cached_property
    def handling(self) -> pd.DataFrame:
        """Per contact (all of the data's), the handling factors the drivers are fitted on:
        ``long_wait``, ``not_first_contact_resolved``, ``abandoned``, ``reassigned``,
        ``reopened``, ``breached_target``, ``channel``, ``priority`` and ``day``."""
        if "contacts" not in self.data:
            return pd.DataFrame()
        contacts = self.data["contacts"]
        frame = pd.DataFrame({c.CONTACT_ID: contacts[c.CONTACT_ID].astype("string").array})
        channel = contacts[c.CHANNEL].astype("string").fillna("unknown").astype("category")
        frame["channel"] = channel.array
        frame["day"] = contacts[c.ARRIVED_AT].dt.tz_localize(None).dt.normalize().to_numpy()
        if c.WAIT_S in contacts:
            wait = contacts[c.WAIT_S].to_numpy(dtype=float, na_value=np.nan)
            # the parameter file's long wait per channel (kpis.long_wait_s); elsewhere the
            # slowest fifth of the channel's waits (a chat and an e-mail wait differ by hours)
            codes = channel.cat.codes.to_numpy()
            slowest = pd.Series(wait).groupby(codes).quantile(1 - _SLOWEST_SHARE)
            given = pd.Series(channel.cat.categories).map(dict(self.params.kpi_settings.long_wait_s))
            per_channel = given.fillna(slowest.reindex(range(len(given)))).to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                frame["long_wait"] = np.where(np.isnan(wait), np.nan, wait > per_channel[codes])
        if c.ABANDONED in contacts:
            frame["abandoned"] = contacts[c.ABANDONED].to_numpy(dtype=float, na_value=np.nan)
        if c.FIRST_CONTACT_RESOLVED in contacts:
            fcr = contacts[c.FIRST_CONTACT_RESOLVED].to_numpy(dtype=float, na_value=np.nan)
            frame["not_first_contact_resolved"] = 1.0 - fcr
        incident = (contacts[c.INCIDENT_ID].astype("string") if c.INCIDENT_ID in contacts
                    else pd.Series(pd.NA, index=contacts.index, dtype="string"))
        return self._with_incident_factors(frame, incident)

    def _with_incident_factors(self, frame: pd.DataFrame, incident_ids: pd.Series) -> pd.DataFrame:
        incidents = self.data["incidents"]
        if not len(incidents):
            return frame
        ids = incidents[c.INCIDENT_ID].astype("string")
        position = positions(incident_ids, ids)
        linked = position >= 0
        at = np.maximum(position, 0)
        for name, column in (("reassigned", c.REASSIGNMENT_COUNT), ("reopened", c.REOPEN_COUNT)):
            if column in incidents:
                count = incidents[column].to_numpy(dtype=float, na_value=np.nan)[at]
                frame[name] = np.where(linked, count > 0, False).astype(float)
                frame.loc[linked & np.isnan(count), name] = np.nan
        outcomes = self.all_outcomes
        breached = outcomes.loc[outcomes["outcome"].eq("breached").to_numpy(), c.INCIDENT_ID]
        breached_incident = pc.is_in(_arrow(ids), value_set=_arrow(breached.astype("string"))
                                     ).to_numpy(zero_copy_only=False)
        frame["breached_target"] = (linked & breached_incident[at]).astype(float)
        # as categories: one label per priority, not one string per contact
        labels = pd.Categorical("P" + incidents[c.PRIORITY].astype("string").fillna("?"))
        codes = np.where(linked, labels.codes[at], len(labels.categories))
        frame["priority"] = pd.Categorical.from_codes(codes, [*labels.categories, "no incident"])
        return frame

    @cached_property
    def survey_frame(self) -> pd.DataFrame:
        """The period's CSAT answers with ``satisfied`` (the catalogue's top-two-box) and the
        handling factors of the contact they answer for."""
        fb = self.feedback
        if not len(fb) or c.SCALE not in fb or c.CONTACT_ID not in fb or not len(self.handling):
            return pd.DataFrame()
        score = fb[c.SCORE].to_numpy(dtype=float, na_value=np.nan)
        rows = (fb[c.KIND].eq("survey") & fb[c.SCALE].eq("csat_1_5")).to_numpy(
            dtype=bool, na_value=False) & ~np.isnan(score)
        handling = self.handling
        position = positions(fb[c.CONTACT_ID].astype("string")[rows], handling[c.CONTACT_ID])
        found = position >= 0
        answers = handling.iloc[position[found]].reset_index(drop=True)
        answers.insert(1, "satisfied", score[rows][found] >= SATISFIED_FROM["csat_1_5"])
        return answers

    @cached_property
    def satisfaction_drivers(self) -> pd.DataFrame:
        """Adjusted effect of each handling factor on being satisfied, in points."""
        frame = self.survey_frame
        if not len(frame):
            return fit_outcome_model(pd.DataFrame({"satisfied": []}), outcome="satisfied", factors=[])
        factors = ["long_wait", "not_first_contact_resolved", *_INCIDENT_FACTORS]
        return fit_outcome_model(frame, outcome="satisfied", factors=factors,
                                 categorical=("channel", "priority"))

    @cached_property
    def complaint_drivers(self) -> pd.DataFrame:
        """Adjusted effect of each handling factor on a contact leading to a complaint, per
        1,000 contacts (the period's contacts)."""
        handling = self.handling
        if not len(handling) or not len(self.feedback) or c.CONTACT_ID not in self.feedback:
            return fit_outcome_model(pd.DataFrame({"complained": []}), outcome="complained", factors=[])
        fb = self.data["feedback"]
        complained = fb.loc[fb[c.KIND].eq("complaint").fillna(False).to_numpy(), c.CONTACT_ID]
        complained = complained.dropna().astype("string")
        start, end = (t.tz_localize(None) for t in (self.params.start, self.as_of))
        mine = ((handling["day"] >= start.normalize()) & (handling["day"] < end)).to_numpy()
        frame = handling.loc[mine].copy()
        frame["complained"] = pc.is_in(_arrow(frame[c.CONTACT_ID]), value_set=_arrow(complained)
                                       ).to_numpy(zero_copy_only=False)
        if "abandoned" in frame and "not_first_contact_resolved" in frame:  # FCR: answered contacts
            frame["not_first_contact_resolved"] = frame["not_first_contact_resolved"].fillna(0.0)
        factors = ["long_wait", "abandoned", "not_first_contact_resolved", *_INCIDENT_FACTORS]
        return fit_outcome_model(frame, outcome="complained", factors=factors,
                                 categorical=("channel",), scale=1000.0)

    @cached_property
    def theme_changes(self) -> pd.DataFrame:
        """Each theme's share of customers' complaints and of agents' notes: in the weeks the review
        found degraded against the period's other weeks, and this period against the
        previous one (:func:`~ccreview.feedback.trends.compare_theme_shares`)."""
        comments, matrix = self.comments_with_history, self.history_theme_matrix
        if not len(comments):
            return pd.DataFrame()
        at = comments[c.RECEIVED_AT]
        now = ((at >= self.params.start) & (at < self.as_of)).to_numpy()
        groups = {"complaints": self._complaints(comments),
                  "agents": comments["voice"].eq("agents").to_numpy(dtype=bool, na_value=False)}
        frames = []
        degraded = self.degraded_weeks
        if len(degraded):
            week = at.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
            starts = set(pd.to_datetime(degraded["period_start"]).dt.tz_localize(None))
            bad = week.isin(starts).to_numpy()
            for group, within in groups.items():
                frames.append(compare_theme_shares(comments, matrix, before=now & ~bad, after=now & bad,
                                                   within=within, against="other weeks of the period")
                              .assign(group=group, compared="degraded weeks"))
        label, start, end = comparison_windows(self.params.start, self.as_of)[0]
        before = ((at >= start) & (at < end)).to_numpy()
        if before.any():
            for group, within in groups.items():
                frames.append(compare_theme_shares(comments, matrix, before=before, after=now,
                                                   within=within, against=label)
                              .assign(group=group, compared="this period"))
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @cached_property
    def comments_with_history(self) -> pd.DataFrame:
        """Comments of the previous period and this one (for the trends)."""
        if "feedback" not in self.data:
            return comments_of(self.feedback)
        _, start, _ = comparison_windows(self.params.start, self.as_of)[0]
        fb = self.data["feedback"]
        at = fb[c.RECEIVED_AT]
        window = (at >= min(start, self.params.start)) & (at < self.params.end)
        return comments_of(fb.loc[window.to_numpy()])

    @cached_property
    def history_theme_matrix(self) -> pd.DataFrame:
        """Which themes each of :attr:`comments_with_history` carries."""
        return theme_matrix(self.comments_with_history[c.COMMENT], themes=self.params.themes)

    @cached_property
    def weekly_complaint_themes(self) -> pd.DataFrame:
        """Each theme's share of customers' complaints per week, over the previous period and this
        one (:func:`~ccreview.feedback.trends.theme_share_series`)."""
        comments = self.comments_with_history
        return theme_share_series(comments, self.history_theme_matrix, within=self._complaints(comments))

    @cached_property
    def monthly_satisfaction(self) -> pd.DataFrame:
        """CSAT (the catalogue's top-two-box) per whole month of the previous period and this
        one: ``period_start``, ``value``, ``n``. No per-answer interval: answers of one day are
        not independent, and the verdict is the period comparison's, with the day as the unit."""
        obs = self.observations("csat")
        if obs is None or not len(obs):
            return pd.DataFrame(columns=["period_start", "value", "n"])
        _, start, _ = comparison_windows(self.params.start, self.as_of)[0]
        monthly = kpi_series(obs, metric="csat", start=min(start, self.params.start), end=self.as_of,
                             freq="M")
        return monthly.loc[monthly["denominator"] > 0, ["period_start", "value", "n"]].reset_index(drop=True)

    @staticmethod
    def _complaints(comments: pd.DataFrame) -> np.ndarray:
        return (comments[c.KIND].eq("complaint") & comments["voice"].eq("customers")).to_numpy(
            dtype=bool, na_value=False)

    @cached_property
    def rising_themes(self) -> set[str]:
        """Themes whose share of complaints rose beyond chance (in degraded weeks or this period)."""
        changes = self.theme_changes
        if not len(changes):
            return set()
        up = changes[(changes["group"] == "complaints") & changes["verdict"].eq("worsened")]
        return set(up[c.METRIC])

    @cached_property
    def enhancement_candidates(self) -> pd.DataFrame:
        """Themes ranked by reach x strength x agreement (:mod:`ccreview.feedback.candidates`)."""
        comments = self.comments
        if not len(comments):
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        negative = negative_feedback(comments, satisfied_from=SATISFIED_FROM)
        return enhancement_candidates(comments, self.theme_matrix, themes=self.params.themes,
                                      negative=negative, drivers=self.satisfaction_drivers,
                                      rising=self.rising_themes)
