"""``renyi-kd plan``: the design's counts, the cost read back from a finished run, the SDs recovered from a
cluster-structured runs table, and the detectable difference of the t-test on cluster means."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from renyi_kd.config import ConfigError, validate_config
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout, study_ids
from renyi_kd.plan import Spread, costs_from_run, design, detectable, spread_from_run, stage_seconds
from renyi_kd.report.stats import minimum_detectable_difference
from tiny_config import tiny_config

METHODS = ["ce", "kl", "renyi-a0.5", "renyi-a2"]


def _experiment(teachers: list[int], repeats: int = 1, **tuning) -> Experiment:
    config = tiny_config("plan")
    config["methods"] = {name: None for name in METHODS}
    config["teacher"]["seeds"] = teachers
    config["tuning"].update(repeats=repeats, **tuning)
    return Experiment.from_config(validate_config(config))


def test_the_design_counts_clusters_studies_trials_and_runs() -> None:
    d = design(_experiment([0, 1, 2], repeats=2, n_trials=5))
    assert (d.clusters, d.studies, d.trials, d.final_runs) == (6, 24, 120, 48)
    assert d.methods == tuple(METHODS)
    assert d.splits.transfer == 40


@pytest.mark.parametrize("percentile", [50, 25])
def test_pruning_shortens_the_expected_trial(percentile: float) -> None:
    config = {"n_trials": 10, "epochs": 15, "pruner": {"name": "percentile", "percentile": percentile,
                                                       "first_epoch": 10, "interval_epochs": 5}}
    pruned = design(_experiment([0], **config)).budgets["kl"]
    # 1 design trial of 10 is never pruned; of the other 9 the pruner keeps the best `percentile` % at epoch 10
    assert pruned.trial_epochs == pytest.approx(15 - (1 - percentile / 100) * 0.9 * 5)
    assert pruned.validated == 2  # the rung and the last epoch
    config["pruner"] = {"name": "none"}
    assert design(_experiment([0], **config)).budgets["kl"].trial_epochs == 15


def test_a_method_on_all_of_train_costs_its_images() -> None:
    config = tiny_config("plan")
    config["methods"] = {"ce": None, "kl": None, "ce-all": {"divergence": None, "transfer": "train"}}
    d = design(Experiment.from_config(validate_config(config)))
    assert d.budgets["ce-all"].images == d.splits.train / d.splits.transfer
    assert d.final_run_epochs == d.clusters * d.seeds * d.final_epochs * (2 + d.splits.train / d.splits.transfer)


def _write_finished_run(experiment: Experiment, layout: Layout) -> None:
    for seed in experiment.teacher.seeds:
        layout.teacher(seed).metrics.parent.mkdir(parents=True)
        layout.teacher(seed).metrics.write_text(json.dumps({"wall_time_s": 30.0 * (1 + seed), "epochs": 3}))
    for study in study_ids(list(experiment.methods), experiment.teacher.seeds, experiment.tuning.repeats):
        layout.study(study).trials.parent.mkdir(parents=True)
        pd.DataFrame({"seconds": [4.0, 2.0], "epochs_trained": [10, 6]}).to_csv(layout.study(study).trials)
    layout.report.runs.parent.mkdir(parents=True)
    pd.DataFrame({"method": ["kl", "ce"], "seed": [0, 0], "wall_time_s": [6.0, 3.0], "epochs": [10, 5],
                  "test_acc": [0.9, 0.8]}).to_csv(layout.report.runs, index=False)


def test_costs_come_from_the_last_run(tmp_path: Path) -> None:
    experiment = _experiment([0, 1])
    layout = Layout(tmp_path / "plan")
    assert costs_from_run(experiment, layout) is None
    _write_finished_run(experiment, layout)
    costs = costs_from_run(experiment, layout)
    # teachers: 10 s and 20 s an epoch, mean 15, times the config's 2 epochs; trials: 6 s over 16 epochs
    assert (costs.teacher, costs.trial_epoch, costs.final_epoch) == pytest.approx((30.0, 6 / 16, 9 / 15))
    stages = stage_seconds(experiment, design(experiment), costs, cores=2).set_index("stage")
    assert stages.loc["tuning", "jobs"] == 8 and stages.loc["teachers", "jobs"] == 4  # training and export
    assert stages.loc["final runs", "wall_seconds"] == pytest.approx(stages.loc["final runs", "job_seconds"] / 2)


def _cluster_runs(rng: np.random.Generator, teachers: int, repeats: int, seeds: int, between: float,
                  within: float) -> pd.DataFrame:
    """kl and two methods; a method's difference to kl is a cluster effect (SD ``between``, one per teacher and
    repeat) plus a seed effect (SD ``within``)."""
    rows = []
    for teacher in range(teachers):
        for repeat in range(repeats):
            kl = 0.9 + rng.normal(0, 0.01, seeds)
            cluster = {"teacher": teacher, "repeat": repeat}
            rows += [{"method": "kl", **cluster, "seed": s, "test_acc": kl[s]} for s in range(seeds)]
            for method in ("a", "b"):
                values = kl + rng.normal(0, between) + rng.normal(0, within, seeds)
                rows += [{"method": method, **cluster, "seed": s, "test_acc": values[s]} for s in range(seeds)]
    return pd.DataFrame(rows)


def _spread(tmp_path: Path, runs: pd.DataFrame) -> Spread | None:
    layout = Layout(tmp_path / "plan")
    layout.report.runs.parent.mkdir(parents=True)
    runs.to_csv(layout.report.runs, index=False)
    return spread_from_run(layout, "test_acc", "kl")


def test_the_spreads_are_recovered_from_a_runs_table(tmp_path: Path) -> None:
    # a seed SD larger than the clusters': leaving out within^2 / seeds would give 0.0078, not 0.004
    runs = _cluster_runs(np.random.default_rng(0), 300, 2, 2, between=0.004, within=0.01)
    spread = _spread(tmp_path, runs)
    assert spread.between == pytest.approx(0.004, rel=0.15)
    assert spread.within == pytest.approx(0.01, rel=0.1)


def test_repeats_of_one_teacher_are_separate_clusters(tmp_path: Path) -> None:
    # each teacher's two repeats have their own effect: grouping by teacher alone would halve the between-SD's
    # share and put the rest into the seeds'
    spread = _spread(tmp_path, _cluster_runs(np.random.default_rng(2), 200, 2, 3, between=0.01, within=0.002))
    assert spread.within == pytest.approx(0.002, rel=0.1)
    assert spread.between == pytest.approx(0.01, rel=0.1)


def test_one_cluster_estimates_the_seed_sd_only(tmp_path: Path) -> None:
    runs = _cluster_runs(np.random.default_rng(1), 1, 1, 200, between=0.0, within=0.005)
    spread = _spread(tmp_path, runs.drop(columns=["teacher", "repeat"]))
    assert spread.within == pytest.approx(0.005, rel=0.15)
    assert "assumed" in spread.source


def test_one_seed_per_cluster_gives_no_estimate(tmp_path: Path) -> None:
    assert _spread(tmp_path, _cluster_runs(np.random.default_rng(3), 6, 1, 1, between=0.01, within=0.01)) is None


def test_the_detectable_difference_is_the_t_test_on_cluster_means() -> None:
    spread = Spread(between=0.01, within=0.006, source="test")
    few, many = (detectable(_experiment(list(range(k))), design(_experiment(list(range(k)))), spread) for k in (4, 12))
    # test_acc against kl and ce: ce, renyi-a0.5, renyi-a2 against kl; the two orders against ce
    assert few["tests"] == 5 and few["level"] == pytest.approx(0.01)
    assert few["sd"] == pytest.approx(math.sqrt(0.01**2 + 0.006**2 / 2))
    assert few["difference"] == pytest.approx(minimum_detectable_difference(few["sd"], 4, 0.01, 0.8))
    assert many["difference"] < few["difference"] / 2
    one = detectable(_experiment([0]), design(_experiment([0])), spread)
    assert (one["units"], one["sd"]) == (2, 0.006)  # the seeds, and the seed SD only


def test_a_reference_without_a_question_is_refused() -> None:
    config = tiny_config("plan")
    config["report"] = {"comparisons": [{"metric": "test_nll"}]}
    experiment = Experiment.from_config(validate_config(config))
    with pytest.raises(ConfigError, match="report.comparisons"):
        detectable(experiment, design(experiment), Spread(0.01, 0.01, "test"))


def test_the_command_prints_the_design_the_time_and_the_difference(tmp_path: Path) -> None:
    config = tiny_config("plan")
    config["teacher"]["seeds"] = [0, 1]
    experiment = Experiment.from_config(validate_config(config))
    _write_finished_run(experiment, Layout(tmp_path / "results" / "plan"))
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [sys.executable, "-m", "renyi_kd.cli", "plan", str(tmp_path / "plan.yaml"), "--results",
         str(tmp_path / "results"), "--between-sd", "0.01", "--seed-sd", "0.005"],
        capture_output=True, text=True, check=True)
    out = result.stdout
    assert "2 cluster(s) = 2 teacher(s)" in out and "from the last run of plan" in out
    assert "total" in out and "Detectable difference in test_acc to kl" in out
    assert "SDs from the command line" in out
    other = subprocess.run(
        [sys.executable, "-m", "renyi_kd.cli", "plan", str(tmp_path / "plan.yaml"), "--results",
         str(tmp_path / "results"), "--like", "plan", "--cores", "8"], capture_output=True, text=True, check=True)
    assert "(on 8 cores, 8 jobs at once)" in other.stdout and "the last run of plan" in other.stdout
