"""Tests of the tuning-budget curves (expected best of k trials, Dodge et al. 2019): the closed form against
brute-force enumeration of every subset, how trials and repeats enter, ranking changes, and the report's
table, figure and sentence."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import SETTINGS, make_experiment

from renyi_kd.layout import Layout, study_id
from renyi_kd.report import build_report
from renyi_kd.report.tuning_budget import (
    BUDGET_COLUMNS,
    budget_curve,
    expected_best,
    ranking_changes,
    trial_values,
    tuning_budget,
)


def _brute_force(values: list[float], k: int, maximize: bool = True) -> tuple[float, float]:
    best = [max(s) if maximize else min(s) for s in itertools.combinations(values, k)]
    return float(np.mean(best)), float(np.std(best))


@pytest.mark.parametrize("values", [[0.3, 0.9, 0.5, 0.5, 0.1, 0.7], [2.0, 2.0, 2.0], [0.8, 0.2, 0.95, 0.4, 0.6]])
@pytest.mark.parametrize("maximize", [True, False])
def test_closed_form_matches_every_subset(values: list[float], maximize: bool) -> None:
    for k in range(1, len(values) + 1):
        mean, std = expected_best(values, k, maximize=maximize)
        brute_mean, brute_std = _brute_force(values, k, maximize)
        assert mean == pytest.approx(brute_mean, abs=1e-12) and std == pytest.approx(brute_std, abs=1e-7)
    curve = budget_curve(values, maximize=maximize)
    assert curve["k"].tolist() == list(range(1, len(values) + 1))
    assert curve["expected_best"].iloc[0] == pytest.approx(np.mean(values))  # one trial: the mean
    assert curve["expected_best"].iloc[-1] == pytest.approx(max(values) if maximize else min(values))
    assert curve["std"].iloc[-1] == pytest.approx(0, abs=1e-7)
    with pytest.raises(ValueError, match="k must be"):
        expected_best(values, len(values) + 1)


def test_large_studies_stay_finite() -> None:
    values = np.random.default_rng(0).random(2000)
    mean, std = expected_best(values, 1000)
    assert np.quantile(values, 0.99) < mean <= values.max() and 0 <= std < 1e-2  # no overflow in C(2000, 1000)


def _study(states: list[str], values: list[float], intermediate: list[dict | None]) -> pd.DataFrame:
    return pd.DataFrame({"state": states, "value": values,
                         "intermediate": ["" if i is None else json.dumps(i) for i in intermediate]})  # fmt: skip


def test_pruned_trials_enter_by_their_last_report_failed_ones_as_the_worst() -> None:
    study = _study(["COMPLETE", "PRUNED", "FAIL", "PRUNED", "COMPLETE"], [0.9, np.nan, np.nan, np.nan, 0.8],
                   [{"1": 0.5, "3": 0.9}, {"1": 0.4, "3": 0.6}, None, None, {"3": 0.8}])  # fmt: skip
    assert trial_values(study).tolist() == pytest.approx([0.9, 0.6, 0.6, 0.6, 0.8])
    nll = _study(["COMPLETE", "PRUNED", "FAIL"], [0.3, np.nan, np.nan], [{"3": 0.3}, {"1": 0.7, "10": 0.5}, None])
    assert trial_values(nll, maximize=False).tolist() == pytest.approx([0.3, 0.5, 0.5])  # worst = highest NLL
    assert trial_values(_study(["FAIL"], [np.nan], [None])).size == 0


def _trials(method: str, repeat: int, values: list[float], maximize: bool = True) -> pd.DataFrame:
    return pd.DataFrame({"method": method, "teacher": 0, "repeat": repeat, "state": "COMPLETE", "value": values,
                         "intermediate": "", "maximize": maximize})  # fmt: skip


def test_repeats_mix_with_equal_weight() -> None:
    repeats = [[0.1, 0.5, 0.9, 0.3], [0.6, 0.2, 0.4]]
    budget = tuning_budget(pd.concat([_trials("kl", r, v) for r, v in enumerate(repeats)]))
    assert tuple(budget.columns) == BUDGET_COLUMNS and budget["k"].tolist() == [1, 2, 3]  # the smaller study
    for k in (1, 2, 3):
        # The best of k trials of a repeat chosen at random: every subset of every repeat, each repeat weighing 1/2.
        best = [w for v in repeats for w in ([max(s) for s in itertools.combinations(v, k)],)]
        weights = np.concatenate([np.full(len(b), 0.5 / len(b)) for b in best])
        flat = np.concatenate(best)
        mean = float(weights @ flat)
        row = budget[budget["k"] == k].iloc[0]
        assert row["expected_best"] == pytest.approx(mean)
        assert row["std"] == pytest.approx(math.sqrt(weights @ (flat - mean) ** 2))


def test_ranking_changes_are_found_with_the_objective_direction() -> None:
    trials = pd.concat([_trials("kl", 0, [0.80, 0.81, 0.82, 0.83]), _trials("js", 0, [0.70, 0.74, 0.90, 0.91]),
                        _trials("ce", 0, [0.50, 0.55, 0.60, 0.65])])  # fmt: skip
    budget = tuning_budget(trials)
    ranking = ranking_changes(budget)
    assert ranking["k_max"] == 4 and ranking["leaders"][1] == "kl" and ranking["leaders"][4] == "js"
    assert ranking["swaps"] == [("kl", "js", 2)]  # k = 1: kl 0.815 > js 0.8125; k = 2: js 0.8783 > kl 0.8233
    assert ranking_changes(budget[budget["method"] != "js"])["swaps"] == []
    as_loss = tuning_budget(trials.assign(value=-trials["value"], maximize=False))
    assert ranking_changes(as_loss, maximize=False)["swaps"] == [("kl", "js", 2)]
    assert ranking_changes(budget[budget["method"] == "kl"]) is None


def test_report_writes_the_budget_table_figure_and_sentence(tmp_path: Path) -> None:
    exp_dir = make_experiment(tmp_path)
    # A second repeat of kl, its trials 4 points better than the first's.
    layout = Layout(exp_dir)
    first, second = layout.study(study_id("kl", 0)), layout.study(study_id("kl", 0, 1))
    second.dir.mkdir(parents=True)
    trials = pd.read_csv(first.trials)
    trials.assign(value=trials["value"] + 0.04).to_csv(second.trials, index=False)
    second.best.write_text(first.best.read_text())
    report = build_report(exp_dir, settings=SETTINGS)
    budget = pd.read_csv(layout.report.table("tuning_budget", "csv"))
    assert tuple(budget.columns) == BUDGET_COLUMNS and budget["k"].max() == 12
    assert list(dict.fromkeys(budget["method"])) == ["ce", "kl", "renyi-a0", "renyi-a0.5", "renyi-a2", "js"]
    assert layout.report.figure("tuning_budget", "png").stat().st_size > 0
    text = report.read_text(encoding="utf-8")
    sentence = next(line for line in text.splitlines() if line.startswith("Expected best validation accuracy"))
    ranking = ranking_changes(budget)
    assert ranking["swaps"]  # the synthetic studies' curves cross
    assert f"The ranking of methods changes with the budget: {len(ranking['swaps'])} pairs of methods swap" in sentence
    assert "at k = 1 from " in sentence and "at k = 12 from " in sentence
    hyper = layout.report.table("hyperparameters", "md").read_text(encoding="utf-8")
    assert "| Repeat" in hyper and hyper.count("KL (Hinton)") == 2
