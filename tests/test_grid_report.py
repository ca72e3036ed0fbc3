"""The report's reading of a grid question (renyi_kd.report.grid): cells back onto their axes, the heatmap, and the
answer to where the varied axis moves the metric by more than the margin (an interval wholly beyond it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from renyi_kd.report.grid import grid_answer, grid_comparisons, grid_heatmap, grid_questions
from renyi_kd.report.settings import Question

QUESTION = Question("test_acc", "test_acc", ("renyi-a1-T{T}",), ("renyi-a{alpha}-T{T}",))
# (alpha, T): (diff, ci_low, ci_high, verdict)
CELLS = {
    (0, 1): (-0.030, -0.045, -0.015, "worse"),       # beyond the margin of 0.01
    (5, 1): (0.004, -0.002, 0.008, "equivalent"),
    (0, 16): (-0.012, -0.016, -0.004, "worse"),      # worse, but the interval reaches inside the margin
    (5, 16): (0.001, -0.020, 0.022, "inconclusive"),
}


def comparisons() -> pd.DataFrame:
    rows = [{"family": "test_acc", "metric": "test_acc", "method": f"renyi-a{a}-T{t}", "reference": f"renyi-a1-T{t}",
             "diff": d, "ci_low": lo, "ci_high": hi, "verdict": v} for (a, t), (d, lo, hi, v) in CELLS.items()]
    other = {"family": "test_nll", "metric": "test_nll", "method": "renyi-a0-T1", "reference": "renyi-a1-T1",
             "diff": 0.1, "ci_low": 0.0, "ci_high": 0.2, "verdict": "worse"}
    return pd.DataFrame([*rows, other])


def test_cells_are_read_back_onto_the_varied_and_the_matched_axis() -> None:
    rows = grid_comparisons(comparisons(), QUESTION)
    assert (rows.attrs["varied"], rows.attrs["matched"]) == ("alpha", "T")
    assert list(zip(rows["alpha"], rows["T"])) == [(0.0, 1.0), (5.0, 1.0), (0.0, 16.0), (5.0, 16.0)]
    assert grid_questions((QUESTION, Question("kl", "test_acc", ("kl",), None))) == [QUESTION]


def test_the_answer_names_only_the_cells_whose_interval_lies_beyond_the_margin() -> None:
    answer = grid_answer(grid_comparisons(comparisons(), QUESTION), 0.01)
    assert "at T = 1." in answer
    assert "T = 1: beyond the margin alpha 0 −3.00 pp; equivalent alpha 5; 0 undecided" in answer
    assert "T = 16: none beyond the margin; 2 undecided" in answer
    wide = grid_answer(grid_comparisons(comparisons(), QUESTION), 0.05)
    assert "at no T of the grid" in wide
    assert grid_answer(grid_comparisons(comparisons(), QUESTION), None) is None


def test_the_heatmap_is_written(tmp_path: Path) -> None:
    paths = grid_heatmap(grid_comparisons(comparisons(), QUESTION), tmp_path)
    assert [p.name for p in paths] == ["grid_vs_reference.pdf", "grid_vs_reference.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
