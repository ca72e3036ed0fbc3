"""The report's reading of a grid question (renyi_kd.report.grid): cells back onto their axes, the heatmap, and the
answer to where the varied axis moves the metric by more than the margin (a Holm-adjusted minimum-effect test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from renyi_kd.report.grid import beyond_margin, grid_answer, grid_comparisons, grid_heatmap, grid_questions
from renyi_kd.report.settings import Question

QUESTION = Question("test_acc", "test_acc", ("renyi-a1-T{T}",), ("renyi-a{alpha}-T{T}",))
# (alpha, T): (diff, se, verdict); 10 degrees of freedom each
CELLS = {
    (0, 1): (-0.030, 0.005, "worse"),        # 4 SE past the margin of 0.01: p 0.0025, Holm over 4: 0.010
    (5, 1): (0.004, 0.002, "equivalent"),
    (0, 16): (0.0225, 0.005, "better"),      # 2.5 SE past it: p 0.031 alone, but 0.094 after Holm: not claimed
    (5, 16): (0.001, 0.010, "inconclusive"),
}


def comparisons() -> pd.DataFrame:
    rows = [{"family": "test_acc", "metric": "test_acc", "method": f"renyi-a{a}-T{t}", "reference": f"renyi-a1-T{t}",
             "diff": d, "se": se, "df": 10.0, "verdict": v} for (a, t), (d, se, v) in CELLS.items()]
    other = {"family": "test_nll", "metric": "test_nll", "method": "renyi-a0-T1", "reference": "renyi-a1-T1",
             "diff": 0.1, "se": 0.01, "df": 10.0, "verdict": "worse"}
    return pd.DataFrame([*rows, other])


def test_cells_are_read_back_onto_the_varied_and_the_matched_axis() -> None:
    rows = grid_comparisons(comparisons(), QUESTION)
    assert (rows.attrs["varied"], rows.attrs["matched"]) == ("alpha", "T")
    assert list(zip(rows["alpha"], rows["T"])) == [(0.0, 1.0), (5.0, 1.0), (0.0, 16.0), (5.0, 16.0)]
    assert grid_questions((QUESTION, Question("kl", "test_acc", ("kl",), None))) == [QUESTION]


def test_the_answer_claims_beyond_the_margin_only_what_survives_holm_over_the_cells() -> None:
    rows = grid_comparisons(comparisons(), QUESTION)
    assert beyond_margin(rows, 0.01, 0.05).tolist() == [True, False, False, False]  # sorted by T, then alpha
    assert beyond_margin(rows.iloc[[2]], 0.01, 0.05).tolist() == [True]  # alone, the 2-SE cell would be claimed
    answer = grid_answer(rows, 0.01, 0.05)
    assert "at T = 1." in answer and "Holm-adjusted over the 4 cells" in answer
    assert "T = 1: beyond the margin alpha 0 −3.00 pp; equivalent alpha 5; 0 neither shown" in answer
    assert "T = 16: none beyond the margin; 2 neither shown" in answer
    assert "at no T of the grid" in grid_answer(rows, 0.05, 0.05)
    assert grid_answer(rows, None, 0.05) is None


def test_a_cell_beyond_the_margin_is_always_one_the_verdicts_call_different() -> None:
    """Two-sided like the test of no difference, on the same cells: beyond the margin implies p_adjusted < level."""
    from renyi_kd.report.stats import holm_adjust
    from scipy import stats

    rng = np.random.default_rng(0)
    for _ in range(200):
        rows = pd.DataFrame({"diff": rng.normal(0, 0.03, 6), "se": rng.uniform(0.002, 0.02, 6), "df": rng.uniform(1, 8, 6)})
        different = holm_adjust(2 * stats.t.sf(rows["diff"].abs() / rows["se"], rows["df"])) < 0.05
        assert not (beyond_margin(rows, 0.01, 0.05) & ~different).any()


def test_the_heatmap_is_written(tmp_path: Path) -> None:
    paths = grid_heatmap(grid_comparisons(comparisons(), QUESTION), tmp_path)
    assert [p.name for p in paths] == ["grid_vs_reference.pdf", "grid_vs_reference.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
