"""report.own_tuned (renyi_kd.report.own_tuned): every order of an untuned grid against the same order's tuned runs
in another experiment, paired by teacher and seed, with the margin; the answer names the scalings under which
every order is equivalent to its own tuned result, and only those."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from renyi_kd.layout import Layout
from renyi_kd.report.inputs import load_runs
from renyi_kd.report.own_tuned import own_tuned_answer, own_tuned_comparisons
from renyi_kd.report.settings import report_settings

TEACHERS, SEEDS = range(6), (0, 1)


def write_runs(root: Path, methods: dict[str, tuple], offsets: dict[str, float], seed: int) -> pd.DataFrame:
    """runs.csv of ``methods`` (name -> divergence, alpha, scaling): accuracy 0.9 + the method's offset + noise."""
    rng = np.random.default_rng(seed)
    rows = [{"experiment": root.name, "method": name, "divergence": div, "alpha": alpha, "scaling": scaling,
             "teacher": t, "repeat": 0, "seed": s, "test_acc": 0.9 + offsets.get(name, 0.0) + rng.normal(0, 0.001)}
            for name, (div, alpha, scaling) in methods.items() for t in TEACHERS for s in SEEDS]  # fmt: skip
    path = Layout(root).report.runs
    path.parent.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return load_runs(path)


def experiments(tmp_path: Path) -> pd.DataFrame:
    tuned = {"ce": (None, None, None), "kl": ("renyi", 1.0, "thesis"), "renyi-a2": ("renyi", 2.0, "thesis")}
    write_runs(tmp_path / "base", tuned, {}, seed=1)
    grid = {f"renyi-a{a:g}-{s}": ("renyi", a, s) for a in (0.25, 1.0, 2.0) for s in ("thesis", "none")}
    return write_runs(tmp_path / "grid", grid, {"renyi-a2-none": -0.05, "renyi-a1-none": 0.03}, seed=2)


def test_each_order_is_paired_with_its_own_tuned_runs_and_the_answer_names_the_scaling_that_transfers(
        tmp_path: Path) -> None:
    runs = experiments(tmp_path)
    settings = report_settings({"equivalence_margin": {"test_acc": 0.01}, "own_tuned": "base"})
    own, notes = own_tuned_comparisons(tmp_path / "grid", runs, settings, {}, ["test_acc"])
    rows = own.comparisons.set_index("method")
    assert set(rows.index) == {f"renyi-a{a}-{s}" for a in (1, 2) for s in ("thesis", "none")}
    assert dict(rows["reference"]) == {m: f"tuned-a{m.split('-')[1][1:]}" for m in rows.index}
    assert set(rows["family"]) == {"own-tuned"} and (rows["n"] == len(TEACHERS) * len(SEEDS)).all()
    assert dict(rows["verdict"]) == {"renyi-a1-thesis": "equivalent", "renyi-a2-thesis": "equivalent",
                                     "renyi-a1-none": "better", "renyi-a2-none": "worse"}
    assert abs(rows.loc["renyi-a2-none", "diff"] + 0.05) < 0.005
    assert any("renyi-a0.25-thesis" in n and "no single tuned method" in n for n in notes)
    assert any("teachers" in n for n in notes)  # no teacher metrics here: the pairs cannot be shown to share them
    report = SimpleNamespace(own_tuned=own, runs=runs, settings=settings)
    answer = own_tuned_answer(report)
    assert "under s = thesis." in answer and "s = none: α 1 better" in answer


def test_without_the_other_experiments_runs_there_is_no_comparison_and_a_note_names_it(tmp_path: Path) -> None:
    runs = experiments(tmp_path)
    settings = report_settings({"own_tuned": "digits-default"})
    own, notes = own_tuned_comparisons(tmp_path / "grid", runs, settings, {}, ["test_acc"])
    assert own is None and "digits-default" in notes[0] and "make run" in notes[0]


def test_an_order_the_other_experiment_tuned_twice_is_not_compared_with_either(tmp_path: Path) -> None:
    """Two tuned methods of order 2 (under two scalings): a cell is never paired with a mix of both."""
    tuned = {"kl": ("renyi", 1.0, "thesis"), "renyi-a2": ("renyi", 2.0, "thesis"),
             "renyi-a2-hinton": ("renyi", 2.0, "hinton")}
    write_runs(tmp_path / "base", tuned, {}, seed=1)
    grid = {f"renyi-a{a:g}-{s}": ("renyi", a, s) for a in (1.0, 2.0) for s in ("thesis", "hinton")}
    runs = write_runs(tmp_path / "grid", grid, {}, seed=2)
    settings = report_settings({"equivalence_margin": {"test_acc": 0.01}, "own_tuned": "base"})
    own, notes = own_tuned_comparisons(tmp_path / "grid", runs, settings, {}, ["test_acc"])
    assert set(own.comparisons["method"]) == {"renyi-a1-thesis", "renyi-a1-hinton"}
    assert (own.comparisons["n"] == len(TEACHERS) * len(SEEDS)).all()
    assert sum("no single tuned method of order 2" in n for n in notes) == 2
