"""Feedback review (#15): themes, candidate themes, drivers, trends, candidates, and the
recommendations register with memory."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccreview.config.register import RegisterError, read_register
from ccreview.config.themes import load_themes
from ccreview.data.redact import redact_string, redaction_counts
from ccreview.exceptions import ConfigError
from ccreview.feedback.discovery import propose_themes
from ccreview.feedback.drivers import fit_outcome_model
from ccreview.feedback.tagging import UNCOVERED, theme_matrix
from ccreview.review.register import update_register

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------- themes
def test_the_shipped_themes_load_and_tag_explainably():
    themes = load_themes()
    comments = pd.Series(["I waited 40 minutes on hold", "Transferred to billing, then back to billing",
                          "Lovely weather", None, "", "No UPDATES at all while it was down"])
    matrix = theme_matrix(comments, themes=themes)
    assert matrix.loc[0, "waiting_time"] and matrix.loc[1, "passed_around"]
    assert matrix.loc[5, "not_kept_informed"]  # any case
    assert matrix.loc[2, UNCOVERED] and not matrix.loc[0, UNCOVERED]
    assert not matrix.loc[3].drop(UNCOVERED).any()  # a missing comment carries no theme


def test_phrases_are_whole_words():
    themes = load_themes()
    matrix = theme_matrix(pd.Series(["the billings department", "my bill is wrong"]), themes=themes)
    assert not matrix.loc[0, "billing_error"] and matrix.loc[1, "billing_error"]


def test_hostile_comments_are_tagged_or_uncovered_never_crash():
    themes = load_themes()
    hostile = pd.Series(['<script>alert("x")</script> still not fixed', "😡😡 waited forever 😡",
                         "x" * 100_000 + " refund", "Ich habe lange gewartet", "   ", "\x00\x01",
                         "<img src=x onerror=alert(1)>"])
    matrix = theme_matrix(hostile, themes=themes)
    assert matrix.loc[0, "not_fixed"] and matrix.loc[2, "billing_error"]
    assert matrix.loc[3, UNCOVERED] and matrix.loc[6, UNCOVERED]
    assert len(matrix) == len(hostile)


def test_a_bad_themes_file_names_file_theme_and_fix(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  waits:\n    phrases: [wait]\n    patterns: ['(?<=a)b']\n"
                    "    driver: long_wiat\n  Bad-Id:\n    phrases: [x]\n  empty:\n    label: E\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_themes(path)
    message = str(info.value)
    assert "waits: patterns" in message and "RE2" in message
    assert "long_wiat" in message and "long_wait" in message  # did you mean
    assert "Bad-Id" in message and "empty" in message and str(path) in message


# --------------------------------------------------------------------------- discovery
def test_candidate_themes_come_from_the_uncovered_comments_and_are_deterministic():
    rng = np.random.default_rng(3)
    tail = [f"{w} {x}" for w in ("today", "again", "twice", "at noon") for x in ("sadly", "ok", "so")]
    a = [f"the app crashed on login {w}" for w in tail]
    b = [f"great refund speed {w}" for w in tail]
    comments = pd.Series(rng.choice(a + b, 400))
    first, second = propose_themes(comments, n_themes=2), propose_themes(comments, n_themes=2)
    pd.testing.assert_frame_equal(first.drop(columns="examples"), second.drop(columns="examples"))
    terms = " ".join(first["top_terms"])
    assert "crashed" in terms and "refund" in terms
    assert first["comments"].sum() == 400
    assert propose_themes(pd.Series(["only one"] * 50)).empty  # too few distinct comments


# ----------------------------------------------------------------------------- drivers
def _sample(seed: int, *, effect: float, n: int = 6000, days: int = 60, confounded: bool = True):
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, n)
    bad_day = rng.normal(0, 0.6, days)  # days differ far more than sampling explains
    # on bad days more customers wait long: a factor common on bad days, with no effect of its own
    p_wait = 1 / (1 + np.exp(-(-1 + (1.5 * bad_day[day] if confounded else 0))))
    wait = rng.random(n) < p_wait
    eta = 1.0 - bad_day[day] + effect * wait
    satisfied = rng.random(n) < 1 / (1 + np.exp(-eta))
    return pd.DataFrame({"satisfied": satisfied, "long_wait": wait,
                         "day": pd.Timestamp("2026-07-01") + pd.to_timedelta(day, unit="D")})


def test_the_marginal_effect_matches_statsmodels_margins_on_the_individual_rows():
    """Independent reference: statsmodels' Logit on one row per customer with day dummies and
    day-clustered covariance, ``get_margeff(at="overall", dummy=True)`` (Stata's margins,
    dydx() for a 0/1 factor)."""
    import statsmodels.api as sm

    frame = _sample(1, effect=-0.8)
    ours = fit_outcome_model(frame, outcome="satisfied", factors=["long_wait"]).iloc[0]
    X = pd.get_dummies(frame["day"].dt.strftime("%m-%d")).astype(float)
    X["long_wait"] = frame["long_wait"].astype(float)
    fit = sm.Logit(frame["satisfied"].astype(float), X).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["day"])[0]})
    margins = fit.get_margeff(at="overall", method="dydx", dummy=True).summary_frame().loc["long_wait"]
    assert ours["effect"] / 100 == pytest.approx(margins["dy/dx"], rel=1e-6)
    assert ours["se"] == pytest.approx(margins["Std. Err."], rel=1e-6)


def test_one_day_and_one_factor_give_the_difference_of_the_two_shares():
    """Hand calculation: a saturated model reproduces the raw shares, so the effect is
    p1 - p0 (45/60 - 80/100 = -5 points)."""
    frame = pd.DataFrame({"satisfied": [True] * 45 + [False] * 15 + [True] * 80 + [False] * 20,
                          "long_wait": [True] * 60 + [False] * 100, "day": pd.Timestamp("2026-07-01")})
    row = fit_outcome_model(frame, outcome="satisfied", factors=["long_wait"]).iloc[0]
    assert row["effect"] == pytest.approx(-5.0, abs=1e-6)
    assert row["rate_with"] == pytest.approx(0.75) and row["rate_without"] == pytest.approx(0.80)


def test_drivers_call_an_effect_in_no_more_than_their_share_of_no_effect_cases():
    """Seeded no-change simulation (DESIGN.md): the factor is common on bad days but has no
    effect; the day fixed effects and day clusters keep false calls near 5%. Without them a
    plain logistic regression calls it in most samples."""
    calls = [fit_outcome_model(_sample(seed, effect=0.0), outcome="satisfied",
                               factors=["long_wait"]).iloc[0]["beyond_chance"] for seed in range(200)]
    rate = float(np.mean(calls))
    assert rate <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 200), rate


def test_drivers_find_a_real_effect():
    calls = [fit_outcome_model(_sample(seed, effect=-0.5), outcome="satisfied",
                               factors=["long_wait"]).iloc[0] for seed in range(20)]
    assert np.mean([r["beyond_chance"] and r["effect"] < 0 for r in calls]) >= 0.9


def test_a_factor_with_too_few_responses_is_left_out_with_a_note():
    frame = _sample(2, effect=0.0, n=400).assign(reopened=False)
    frame.loc[:5, "reopened"] = True
    table = fit_outcome_model(frame, outcome="satisfied", factors=["long_wait", "reopened"])
    assert "reopened" not in set(table["factor"])
    assert any("reopened" in note for note in table.attrs["notes"])


# ---------------------------------------------------------------------------- redaction
def test_card_numbers_are_redacted_by_the_luhn_check_and_counted():
    assert redact_string("card 4111 1111 1111 1111 please") == "card [card] please"
    assert redact_string("card 4111-1111-1111-1111") == "card [card]"
    assert redact_string("order 1234567890123456") == "order 1234567890123456"  # fails Luhn: an id
    counts = redaction_counts(pd.Series(["4111111111111111", "mail a@b.org", "ring 07700 900123", None]))
    assert counts == {"emails": 1, "cards": 1, "phones": 1}


# ----------------------------------------------------------------------------- register
def _register(tmp_path, text: str) -> Path:
    path = tmp_path / "recommendations.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_hand_edited_register_names_every_bad_row(tmp_path):
    path = _register(tmp_path, "recommendation_id,status,due\nA,proposed,2026-10-01\n"
                               "B,implemnted,2026-10-01\nA,closed,31/12/2026\n,accepted,\n")
    with pytest.raises(RegisterError) as info:
        read_register(path)
    message = str(info.value)
    assert "row 3: status 'implemnted'" in message and "implemented" in message
    assert "rows 2, 4" in message and "'A'" in message
    assert "row 4: due '31/12/2026'" in message and "row 5: recommendation_id is empty" in message


def test_a_register_that_does_not_exist_yet_is_empty(tmp_path):
    assert read_register(tmp_path / "none.csv").empty


def test_the_register_keeps_its_rows_and_decisions_and_adds_new_ones(tmp_path):
    path = _register(tmp_path, "recommendation_id,title,owner,status,due,notes,own_column\n"
                               "a:1,Old title,Alice,accepted,2026-12-01,keep me,x\n"
                               "b:2,Gone,Bob,in progress,,,y\nc:3,Done,Carol,implemented,,,z\n")
    register = read_register(path)
    current = pd.DataFrame({"recommendation_id": ["new:9", "a:1"], "title": ["New", "Fresh title"],
                            "owner": ["Dan", "Eve"], "due": ["2027-01-31", "2027-01-31"],
                            "evidence": ["e9", "e1"], "priority": ["high", "low"], "metric": ["m", "m"],
                            "action": ["do", "do"]})
    out = update_register(register, current, run="q3", on="2026-09-30")
    assert list(out["recommendation_id"]) == ["a:1", "b:2", "c:3", "new:9"]  # order kept, new last
    a = out.iloc[0]
    assert (a["title"], a["owner"], a["status"], a["due"], a["notes"]) == (
        "Fresh title", "Alice", "accepted", "2026-12-01", "keep me")  # the user's decisions kept
    assert a["evidence_now"] == "found again" and out.iloc[0]["own_column"] == "x"
    assert "resolved by itself" in out.iloc[1]["evidence_now"]
    assert (out.iloc[3]["status"], out.iloc[3]["proposed_on"]) == ("proposed", "2026-09-30")
    assert list(out["own_column"]) == ["x", "y", "z", ""]


# ------------------------------------------------------------------- the demo's truths
@pytest.fixture(scope="module")
def medium_dir(tmp_path_factory) -> Path:
    """The medium demo (seed 7): the small one has too few complaints a week to judge themes."""
    from ccreview.demo.generator import generate

    out = tmp_path_factory.mktemp("medium")
    generate(out, seed=7, scale="medium")
    return out


@pytest.fixture(scope="module")
def demo_review(medium_dir, tmp_path_factory):
    from ccreview.review import open_review
    from tests.conftest import make_params

    return open_review(make_params(tmp_path_factory.mktemp("feedback"), medium_dir))


def _truth(folder) -> dict:
    return json.loads((Path(folder) / "truth.json").read_text())["feedback"]


def test_the_feedback_review_finds_the_planted_theme_in_both_voices(demo_review, medium_dir):
    theme = _truth(medium_dir)["themes"]["rising_in_degraded_period"]["complaint"]
    changes = demo_review.theme_changes
    found = changes[(changes["compared"] == "degraded weeks") & (changes["metric"] == theme)]
    assert set(found.loc[found["verdict"] == "worsened", "group"]) == {"complaints", "agents"}
    candidates = demo_review.enhancement_candidates.set_index("theme")
    assert candidates.loc[theme, "agreement"] and candidates.loc[theme, "rising"]


def test_the_feedback_review_finds_the_planted_survey_drivers(demo_review, medium_dir):
    truth = _truth(medium_dir)["survey_drivers"]
    drivers = demo_review.satisfaction_drivers.set_index("factor")
    for factor in ("long_wait", "not_first_contact_resolved"):
        assert truth[factor] < 0
        assert drivers.loc[factor, "beyond_chance"] and drivers.loc[factor, "effect"] < -10


def test_candidate_themes_are_proposed_on_the_demo(demo_review):
    proposed = demo_review.proposed_themes
    assert len(proposed) >= 2 and proposed["comments"].sum() > 0


def test_without_feedback_the_sections_say_so(tmp_path, demo_dir):
    from ccreview.report import sections
    from ccreview.review import open_review
    from tests.conftest import make_params

    params = make_params(tmp_path, demo_dir)
    text = "\n".join(line for line in params.read_text(encoding="utf-8").splitlines()
                     if "feedback.csv" not in line)
    params.write_text(text + "\n", encoding="utf-8")
    review = open_review(params)
    for section in (sections.FeedbackThemes, sections.DissatisfactionDrivers, sections.FeedbackTrends,
                    sections.EnhancementCandidates):
        shown = section(review)
        assert not shown.failed
        assert "no feedback file was given" in shown.empty_reason()
    register = sections.RecommendationsRegister(review)
    assert not register.failed and "keeps no register" in register._repr_html_()


def test_the_summary_and_the_register_page_say_the_same_of_earlier_recommendations(
        tmp_path, demo_dir):
    """One implementation: the executive summary's line on earlier recommendations and the
    register page's are the same sentences, with the change evaluation's own verdict."""
    from ccreview.report import sections
    from ccreview.review import open_review
    from tests.conftest import make_params

    register = _register(tmp_path, "recommendation_id,title,status,proposed_on,change_id\n"
                                   "queue:billing,Cut abandonment on billing,implemented,2026-03-31,C-001\n"
                                   "old:one,Something earlier,rejected,2026-03-31,\n")
    review = open_review(make_params(tmp_path, demo_dir, extra=f"recommendations: {register}\n"))
    evaluation = review.change_evaluation("C-001").verdict.sentence
    expected = ["Of 2 recommendations from earlier periods, 1 was implemented.",
                f"Cut abandonment on billing (C-001): {evaluation}"]
    page = sections.RecommendationsRegister(review)._repr_html_()
    summary = sections.ExecutiveSummary(review)._repr_html_()
    for sentence in expected:
        assert html.escape(sentence) in page and html.escape(sentence) in summary


def test_id_positions_agree_whichever_side_is_hashed():
    """Reference: pandas' own ``Index.get_indexer``; both directions of the Arrow lookup,
    with missing and unknown values."""
    from ccreview.review.feedback import positions

    keys = pd.Series([f"K{i}" for i in range(50)], dtype="string")
    values = pd.Series(["K3", None, "K49", "nope", "K3", "K0"], dtype="string")
    expected = pd.Index(keys).get_indexer(values)
    assert positions(values, keys).tolist() == expected.tolist()  # the values side is hashed
    many = pd.concat([values] * 20, ignore_index=True)
    assert positions(many, keys).tolist() == pd.Index(keys).get_indexer(many).tolist()



def test_monthly_satisfaction_is_the_catalogue_csat_counted_by_hand(demo_review, medium_dir):
    """Independent reading of feedback.csv with plain pandas: CSAT answers scoring 4 or 5,
    by local calendar month of receipt (the months wholly inside the two periods)."""
    raw = pd.read_csv(Path(medium_dir) / "feedback.csv")
    raw = raw[(raw["kind"] == "survey") & (raw["scale"] == "csat_1_5") & raw["score"].notna()]
    month = pd.to_datetime(raw["received_at"], utc=True).dt.tz_convert("Europe/London").dt.strftime("%Y-%m")
    by_hand = (raw["score"] >= 4).groupby(month).mean()
    ours = demo_review.monthly_satisfaction
    assert len(ours) == 6
    for row in ours.itertuples(index=False):
        assert row.value == pytest.approx(by_hand[row.period_start.strftime("%Y-%m")], abs=1e-12)


def test_the_feedback_rule_recommends_only_what_customers_and_staff_both_say(demo_review):
    from ccreview.report.recommendations import FEEDBACK_RECOMMENDATIONS, recommendations

    table = recommendations(demo_review)
    mine = table[table["recommendation_id"].str.startswith("feedback-theme:")]
    candidates = demo_review.enhancement_candidates.set_index("theme")
    themes = mine["recommendation_id"].str.split(":").str[1]
    assert 0 < len(mine) <= FEEDBACK_RECOMMENDATIONS
    assert candidates.loc[themes, "agreement"].all()
    # the strongest agreed candidates, in rank order
    agreed = demo_review.enhancement_candidates
    assert list(themes) == list(agreed[agreed["agreement"]]["theme"].head(len(mine)))
    assert set(mine["owner"]) == {"Service Desk"} and set(mine["section"]) == {"Feedback review"}
