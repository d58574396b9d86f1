"""Change evaluation on the demo data: the planted effective change is found with an interval
covering the planted effect, the planted no-effect change is not declared effective, and
register mistakes stop the verdict with a message instead of giving a wrong one.

Planted truths: data/demo/truth.json ("changes", "realised"): C-001 lowers billing-queue
abandonment (phone and chat) from 0.09 to 0.05 on 2026-05-05; C-002 (general queue, AHT,
2026-07-13) has no effect.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.review.changes import CANNOT_JUDGE, changes_to_evaluate, evaluate_change
from ccreview.review.review import Review, open_review
from tests.conftest import make_params


@pytest.fixture(scope="module")
def review(demo_dir, tmp_path_factory) -> Review:
    return open_review(make_params(tmp_path_factory.mktemp("changes"), demo_dir))


@pytest.fixture(scope="module")
def truth(demo_dir) -> dict:
    return json.loads((demo_dir / "truth.json").read_text())


def test_planted_effective_change_is_found(review, truth):
    planted = truth["realised"]
    effect = planted["billing_abandonment_after"] - planted["billing_abandonment_before"]
    evaluation = evaluate_change(review, "C-001")
    assert evaluation.verdict.verdict == "achieved"
    for result in (evaluation.its, evaluation.did):
        row = result.effect.iloc[0]
        assert row["ci_low"] < 0 and row["ci_high"] < 0
    # the comparison-group estimate, which the verdict rests on, covers the planted effect
    row = evaluation.did.effect.iloc[0]
    assert row["ci_low"] <= effect <= row["ci_high"], (effect, row.to_dict())
    assert evaluation.method == "difference in differences"
    # the pre-change check ran against half the expected 3 points; whether or not it confirms
    # parallel trends, the model it implies is the one the verdict used
    trends = evaluation.did.parallel_trends
    assert trends.margin == pytest.approx(0.015) and trends.parallel is not None
    assert evaluation.did.drift_allowed is (not trends.parallel)


def test_special_cause_weeks_are_left_out_of_the_change_models_and_named(review):
    evaluation = evaluate_change(review, "C-001")
    causes = evaluation.special_causes
    # the planted degraded weeks of the quarter (truth.json) and the major incidents in the window
    assert (causes["what"] == "degraded week").sum() >= 2
    assert causes["what"].str.startswith("major incident").any()
    for result in (evaluation.its, evaluation.did):
        assert result.special_causes and set(result.special_causes) <= set(result.excluded)
        assert not result.fitted.loc[result.fitted["period_start"].isin(result.special_causes), "excluded"
                                     ].eq(False).any()


def test_minimum_history_is_a_parameter(review):
    from dataclasses import replace

    from ccreview.config.change_settings import ChangeSettings

    params = replace(review.params, change_settings=ChangeSettings(min_weeks_after=30))
    strict = Review(params, review.data)
    evaluation = evaluate_change(strict, "C-001")
    assert evaluation.verdict.verdict == "too little data"
    assert "at least 30" in evaluation.verdict.sentence and "There will be enough from" in (
        evaluation.verdict.sentence)


def test_planted_no_effect_change_is_not_declared_effective(review):
    evaluation = evaluate_change(review, "C-002")
    assert evaluation.verdict.verdict in ("not achieved", "inconclusive")
    for result in (evaluation.its, evaluation.did):
        row = result.effect.iloc[0]
        assert row["ci_low"] <= 0 <= row["ci_high"]  # no effect on AHT


def test_which_changes_a_review_evaluates(review):
    due = changes_to_evaluate(review.data["changes"], start=review.params.start,
                              end=review.params.end)
    # Q3 2026 review: C-002 (13 Jul, this quarter) and C-001 (5 May, the quarter before)
    assert due[c.CHANGE_ID].tolist() == ["C-001", "C-002"]
    assert list(review.change_evaluations) == ["C-001", "C-002"]


def with_register(review: Review, rows: list[dict]) -> Review:
    """The same review with extra rows in its change register."""
    extra = pd.DataFrame(rows)
    for col in (c.AGREED_ON, c.IMPLEMENTED_ON):
        if col in extra:
            extra[col] = pd.to_datetime(extra[col])
    register = pd.concat([review.data["changes"], extra], ignore_index=True)
    clone = Review(review.params, _Patched(review.data, {"changes": register}))
    clone._observations = review._observations  # same data: reuse what is computed
    return clone


class _Patched:
    """A Dataset with some frames replaced (for register mistakes)."""

    def __init__(self, data, frames: dict) -> None:
        self._data, self._frames = data, frames

    def __contains__(self, name: str) -> bool:
        return name in self._frames or name in self._data

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._frames[name] if name in self._frames else self._data[name]

    def __getattr__(self, name: str):
        return getattr(self._data, name)


BASE = {c.TITLE: "Test change", c.STATUS: "implemented", c.EXPECTED_DIRECTION: "decrease",
        c.EXPECTED_EFFECT: -0.02, c.OWNER: "Someone"}


@pytest.mark.parametrize(("row", "message"), [
    ({c.CHANGE_ID: "X-1", c.METRIC: "abandonment_rate", c.IMPLEMENTED_ON: None},
     "no implementation date"),
    ({c.CHANGE_ID: "X-2", c.METRIC: "abandon_rate", c.IMPLEMENTED_ON: "2026-06-01"},
     "Did you mean 'abandonment_rate'?"),
    ({c.CHANGE_ID: "X-3", c.METRIC: "abandonment_rate", c.IMPLEMENTED_ON: "2027-06-01"},
     "outside the data"),
    ({c.CHANGE_ID: "X-4", c.METRIC: "abandonment_rate", c.IMPLEMENTED_ON: "2026-06-01",
      c.SCOPE_QUEUE: "biling"}, "Did you mean 'billing'?"),
    ({c.CHANGE_ID: "X-5", c.METRIC: "abandonment_rate", c.IMPLEMENTED_ON: "2026-05-19",
      c.SCOPE_QUEUE: "billing"}, "cannot be told apart"),
])
def test_register_mistakes_stop_the_verdict_with_a_message(review, row, message):
    patched = with_register(review, [{**BASE, **row}])
    evaluation = evaluate_change(patched, row[c.CHANGE_ID])
    assert evaluation.verdict.verdict == CANNOT_JUDGE
    assert message in evaluation.verdict.sentence


def test_unknown_change_id_is_named(review):
    from ccreview.exceptions import ParameterError

    with pytest.raises(ParameterError, match="Did you mean 'C-001'"):
        evaluate_change(review, "C-01")
