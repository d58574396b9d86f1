"""The feedback review's analyses on the large quarter, by step (issue #15: theme tagging and
drivers of its 286k feedback rows in a few seconds).

Usage: ``python benchmarks/bench_feedback.py`` after ``make bench`` has generated the data
(or it generates them). Prints a Markdown table for benchmarks/RESULTS.md. The target
outcomes (``all_outcomes``) are timed apart: the incident review computes them anyway.
"""

from __future__ import annotations

import time

from bench_run import HERE, ROOT, TABLES

from ccreview.demo.generator import generate
from ccreview.review import open_review


def main() -> None:
    data = HERE / "work" / "large-3m-seed7"
    if not (data / "truth.json").exists():
        generate(data, seed=7, scale="large", months=3, progress=print)
    params = HERE / "work" / "parameters" / "bench-feedback.yaml"
    params.parent.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(f"  {t}: {data / (t + '.csv')}" for t in TABLES)
    params.write_text(f"run: bench-feedback\nperiod: 2026-Q3\ndata:\n{lines}\n"
                      f"criteria: {ROOT / 'parameters' / 'criteria.yaml'}\n"
                      f"objectives: {ROOT / 'parameters' / 'objectives.yaml'}\n"
                      f"services: {ROOT / 'parameters' / 'services.yaml'}\nnotebooks: [feedback_review]\n")
    t = time.perf_counter()
    review = open_review(params)
    print(f"open_review (load + validate): {time.perf_counter() - t:.1f} s")
    steps = [("target outcomes (shared with the incident review)", "all_outcomes"),
             ("comments of the two periods", "comments_with_history"),
             ("theme tagging (14 themes)", "history_theme_matrix"),
             ("theme shares by voice", "theme_shares"),
             ("candidate new themes (TF-IDF + NMF)", "proposed_themes"),
             ("handling factors per contact", "handling"),
             ("satisfaction drivers", "satisfaction_drivers"),
             ("complaint drivers", "complaint_drivers"),
             ("theme changes (degraded weeks, previous period)", "theme_changes"),
             ("enhancement candidates", "enhancement_candidates")]
    rows, total = [], 0.0
    for label, name in steps:
        t = time.perf_counter()
        getattr(review, name)
        seconds = time.perf_counter() - t
        rows.append((label, seconds))
        total += seconds if name != "all_outcomes" else 0.0
    fb = review.data["feedback"]
    # the demo's comments repeat a few hundred texts; real ones are mostly distinct, so tag
    # every feedback row with its own text too (a reference number makes each one distinct)
    from ccreview.feedback.tagging import theme_matrix

    texts = fb["comment"].astype("string").fillna("no comment") + " (ref " + fb["feedback_id"] + ")"
    t = time.perf_counter()
    matrix = theme_matrix(texts, themes=review.params.themes)
    rows.insert(3, (f"theme tagging of {len(texts):,} distinct texts (as real comments are)",
                    time.perf_counter() - t))
    from ccreview.feedback.discovery import propose_themes

    uncovered = texts[matrix["uncovered"].to_numpy() & fb["comment"].notna().to_numpy()]
    t = time.perf_counter()
    propose_themes(uncovered)
    rows.insert(5, (f"candidate themes from {len(uncovered):,} distinct uncovered texts "
                    "(at most 20,000 fitted)", time.perf_counter() - t))
    print(f"\nFeedback rows: {len(fb):,} in all, {len(review.comments_with_history):,} comments in the "
          f"two periods; {len(review.survey_frame):,} CSAT answers and "
          f"{review.complaint_drivers.attrs['responses']:,} contacts fitted.\n")
    print("| step | seconds |\n| --- | ---: |")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")
    print(f"| **feedback analyses (without the target outcomes)** | **{total:.2f}** |")


if __name__ == "__main__":
    main()
