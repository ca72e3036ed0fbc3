"""The tuning protocol no trial order can decide: a shared start-up design that is never pruned, pruning
only against enough trials at the same epoch, independent clusters (teacher, repeat) with equal budgets whose
sampler seed and design every method of the cluster shares, two objectives."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import optuna
import pandas as pd
import pytest
import yaml

from renyi_kd.config import method_from_config, validate_config
from renyi_kd.experiment import Experiment, PrunerConfig, SamplerConfig, SearchRange, own_ranges
from renyi_kd.files import digest
from renyi_kd.layout import Layout, study_id
from renyi_kd.tuning.design import startup_design
from renyi_kd.tuning.study import (
    DESIGN_POINT,
    OBJECTIVES,
    PRUNERS,
    choose,
    design_points,
    enqueue_design,
    make_sampler,
    optimize_with_budget,
    report_epoch,
    rungs,
    sampler_seed,
    study_name,
    trials_frame,
    tuned_names,
)

DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
SPACE = {"x": SearchRange(0.0, 1.0, log=False), "y": SearchRange(1e-3, 1.0, log=True)}


def config_with(**tuning) -> dict:
    config = copy.deepcopy(DEFAULT)
    config["tuning"].update(tuning)
    return validate_config(config)


def experiment_with(teachers: list[int] | None = None, **tuning) -> Experiment:
    config = config_with(**tuning)
    config["teacher"]["seeds"] = teachers or config["teacher"]["seeds"]
    return Experiment.from_config(config)


def test_the_startup_design_is_the_same_for_every_method_and_fills_the_space() -> None:
    sampler = {"seed": 0, "n_startup_trials": 8, "multivariate": True, "constant_liar": True}
    experiment = experiment_with(sampler=sampler)  # 8 = 2^3 points: Sobol's balance holds
    tuning = experiment.tuning
    n = tuning.sampler.n_startup_trials
    methods = experiment.methods
    designs = {name: design_points(experiment, method, 0, 0) for name, method in methods.items()}
    kd = [name for name, method in methods.items() if method.uses_teacher]
    assert len(kd) > 1 and all(designs[name] == designs[kd[0]] for name in kd)  # common random numbers
    for name in set(methods) - set(kd):  # students alone: the same lr and weight decay (ce-ls: label smoothing too)
        assert [{k: p[k] for k in ("lr", "weight_decay")} for p in designs[name]] == designs["ce"]
        assert designs["ce"] == [{k: p[k] for k in ("lr", "weight_decay")} for p in designs[kd[0]]]
    points = pd.DataFrame(designs["kl"])
    assert len(points) == n and points.drop_duplicates().shape[0] == n
    for name, space in tuning.search_space.items():
        assert points[name].between(space.low, space.high).all()
        # space-filling: every parameter's n values land in n different equal-width (log) bins
        unit = pd.Series([_unit(v, space) for v in points[name]])
        assert (unit * n).astype(int).nunique() == n, (name, sorted(unit))  # n = 2^m: one per bin
    assert design_points(experiment_with(repeats=2, sampler=sampler), methods["kl"], 0, 1) != designs["kl"]  # a repeat: another design


def _unit(value: float, space: SearchRange) -> float:
    import math

    if space.log:
        return (math.log(value) - math.log(space.low)) / (math.log(space.high) - math.log(space.low))
    return (value - space.low) / (space.high - space.low)


def test_a_method_with_its_own_parameters_keeps_the_shared_coordinates() -> None:
    own = {"ab_alpha": SearchRange(0.1, 0.9, log=False)}
    shared = startup_design(SPACE, {}, ["x", "y"], 8, seed=3)
    extended = startup_design(SPACE, own, ["x", "y", "ab_alpha"], 8, seed=3)
    assert [{k: p[k] for k in ("x", "y")} for p in extended] == shared
    assert len({p["ab_alpha"] for p in extended}) == 8


def study_with_design(tmp_path: Path, n_startup: int, first_epoch: int, direction: str = "maximize") -> optuna.Study:
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(tmp_path / "j.log")))
    settings = PrunerConfig("percentile", percentile=50, first_epoch=first_epoch, interval_epochs=1)
    study = optuna.create_study(
        storage=storage, direction=direction, pruner=PRUNERS["percentile"](settings, n_startup),
        sampler=make_sampler(SamplerConfig(0, n_startup, multivariate=True, constant_liar=False), seed=0),
    )
    enqueue_design(study, startup_design(SPACE, {}, ["x", "y"], n_startup, seed=0))
    return study


def learning_curve(values_by_trial: dict[int, float], epochs: int, first_epoch: int = 2):
    """An objective whose trial k reports value v_k at every epoch; unlisted trials report -x (x their param);
    the pruner may act at the rungs of a pruner with ``first_epoch`` and an interval of 1."""
    prune_at = rungs(PrunerConfig("percentile", 50, first_epoch=first_epoch, interval_epochs=1), epochs)

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_float("y", 1e-3, 1.0, log=True)
        value = values_by_trial.get(trial.number, -x)
        for epoch in range(1, epochs + 1):
            report_epoch(trial, epoch, value, prune_at)
        return value

    return objective


def test_startup_trials_are_never_pruned_and_pruning_needs_enough_competitors(tmp_path: Path) -> None:
    n_startup, epochs = 4, 6
    study = study_with_design(tmp_path, n_startup, first_epoch=2)
    # Design trials get ever worse values: were they prunable, trials 1-3 would be pruned against trial 0.
    optimize_with_budget(study, learning_curve({0: 1.0, 1: 0.5, 2: 0.2, 3: 0.1}, epochs), n_trials=14)
    frame = trials_frame(study, 14)
    design = frame[frame[DESIGN_POINT].notna()]
    assert list(design["number"]) == [0, 1, 2, 3]
    assert (design["state"] == "COMPLETE").all()
    assert all(len(json.loads(i)) == epochs for i in design["intermediate"])  # the full budget of epochs
    pruned = frame[frame["state"] == "PRUNED"]
    assert len(pruned) > 0  # the sampler's trials (values <= 0) are worse than the design's median
    assert competitors_at_pruning(frame).min() >= n_startup


def competitors_at_pruning(frame: pd.DataFrame) -> pd.Series:
    """For every pruned trial: completed trials with a smaller number that reported at its last epoch."""
    reported = {row.number: set(json.loads(row.intermediate)) for row in frame.itertuples()}
    counts = {}
    for row in frame[frame["state"] == "PRUNED"].itertuples():
        epoch = max(json.loads(row.intermediate), key=int)
        earlier = frame[(frame["number"] < row.number) & (frame["state"] == "COMPLETE")]
        counts[row.number] = sum(epoch in reported[n] for n in earlier["number"])
    return pd.Series(counts, dtype=float)


def test_no_trial_is_pruned_before_the_first_rung(tmp_path: Path) -> None:
    study = study_with_design(tmp_path, n_startup=2, first_epoch=4)
    optimize_with_budget(study, learning_curve({0: 1.0, 1: 1.0}, 6, first_epoch=4), n_trials=8)
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned and all(t.last_step in (4, 5) for t in pruned)  # at a rung; never after the last epoch, 6
    assert rungs(PrunerConfig("percentile", 50, first_epoch=4, interval_epochs=1), 6) == [4, 5]
    assert rungs(PrunerConfig("none", 50, first_epoch=4, interval_epochs=1), 6) == []


def test_the_objective_switch_decides_direction_and_choice() -> None:
    assert OBJECTIVES["val_acc"].direction == "maximize" and OBJECTIVES["val_nll"].direction == "minimize"
    study = optuna.create_study()
    distributions = {"lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)}
    for value, nll in [(0.98, 0.09), (0.97, 0.01), (0.98, 0.05)]:
        study.add_trial(optuna.trial.create_trial(params={"lr": 1e-3}, distributions=distributions, value=value,
                                                  user_attrs={"val_nll": nll}))
    assert choose(study.trials, "val_acc").number == 2  # equal accuracy: the lower NLL, not the earlier trial
    nll_study = optuna.create_study(direction="minimize")
    for value in (0.3, 0.1, 0.2):
        nll_study.add_trial(optuna.trial.create_trial(params={"lr": 1e-3}, distributions=distributions, value=value))
    assert choose(nll_study.trials, "val_nll").number == 1
    with pytest.raises(Exception, match="objective"):
        config_with(objective="test_acc")


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path)
    for teacher in (0, 1):
        layout.teacher(teacher).dir.mkdir(parents=True)
        metrics = {"weights_sha256": f"w{teacher}", "data_fingerprint": "d"}
        layout.teacher(teacher).metrics.write_text(json.dumps(metrics))
    return layout


def test_repeats_are_independent_studies_with_equal_budgets(layout: Layout) -> None:
    experiment = experiment_with(repeats=3)
    names = {study_name(experiment, layout, study_id("kl", 0, r)) for r in range(3)}
    assert len(names) == 3  # three studies, each its own storage entry and MLflow run
    assert len({sampler_seed(experiment, 0, r) for r in range(3)}) == 3
    assert {experiment.tuning_budget("kl")} == {experiment.tuning_budget(m) for m in experiment.methods}
    designs = [design_points(experiment, experiment.methods["kl"], 0, r) for r in range(3)]
    assert designs[0] != designs[1] != designs[2]
    # the same repeat of two methods shares its design; a larger budget keeps the study
    assert design_points(experiment, experiment.methods["renyi-a2"], 0, 1) == designs[1]
    kl = study_id("kl", 0, 0)
    assert study_name(experiment_with(repeats=5, n_trials=40), layout, kl) == study_name(experiment, layout, kl)


def test_every_cluster_has_its_own_sampler_seed_and_design_shared_by_its_methods(layout: Layout) -> None:
    """Cluster k = teacher index * repeats + repeat draws sampler seed sampler.seed + k for every method in it;
    the first teacher's clusters draw what one teacher drew before there were several (sampler.seed + repeat)."""
    experiment = experiment_with(teachers=[0, 1], repeats=2, sampler={**DEFAULT["tuning"]["sampler"], "seed": 5})
    tuning, methods = experiment.tuning, experiment.methods
    assert experiment.clusters == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [sampler_seed(experiment, t, r) for t, r in experiment.clusters] == [5, 6, 7, 8]
    for repeat in range(2):  # the first teacher: exactly the one-teacher seed and design
        assert sampler_seed(experiment, 0, repeat) == tuning.sampler.seed + repeat
        for method in methods.values():
            assert design_points(experiment, method, 0, repeat) == startup_design(
                tuning.search_space, own_ranges(method), tuned_names(method), tuning.sampler.n_startup_trials,
                tuning.sampler.seed + repeat)
    kd = [name for name, method in methods.items() if method.uses_teacher]
    by_cluster = [{name: design_points(experiment, methods[name], t, r) for name in kd} for t, r in experiment.clusters]
    for designs in by_cluster:  # every method of a cluster starts from the same points
        assert all(points == designs[kd[0]] for points in designs.values())
    firsts = [designs[kd[0]] for designs in by_cluster]
    assert all(a != b for i, a in enumerate(firsts) for b in firsts[i + 1:])  # clusters differ
    names = {study_name(experiment, layout, study_id("kl", t, r)) for t, r in experiment.clusters}
    assert len(names) == 4
    with pytest.raises(ValueError, match="teacher.seeds"):
        sampler_seed(experiment, 7, 0)


def test_a_study_keeps_its_name_digested_from_the_validated_config(layout: Layout) -> None:
    """Studies resume by name: the digest reads the same settings as when it was taken of the config dict."""
    config = config_with(repeats=2, workers_per_study=3)
    excluded = ("n_trials", "repeats", "workers_per_study", "storage", "per_method")
    tuning = {k: v for k, v in config["tuning"].items() if k not in excluded}
    epochs = config["tuning"]["epochs"] or config["student"]["epochs"]
    sampler = config["tuning"]["sampler"]["seed"] + 1  # cluster 1: the first teacher's repeat 1
    key = digest(tuning, 1, sampler, epochs, config["student"], method_from_config(config, "kl"), "w0", "d")
    study = study_id("kl", 0, 1)
    assert study_name(Experiment.from_config(config), layout, study) == f"{config['experiment']}/{study}/{key[:12]}"
