"""Tuning: equal budgets, failures as data, resume after a kill, several workers (jobs) on one study."""

from __future__ import annotations

import copy
import math
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path

import optuna
import pytest
import yaml

from renyi_kd.config import ConfigError, validate_config
from renyi_kd.experiment import Experiment, SamplerConfig
from renyi_kd.layout import study_id
from renyi_kd.tuning.study import (
    EXCLUDED,
    FAIL_REASON,
    VAL_NLL,
    WORKER,
    budget_trials,
    counts_towards_budget,
    fail_interrupted_trials,
    make_sampler,
    optimize_with_budget,
    summarize,
)

DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
SAMPLER = SamplerConfig(seed=0, n_startup_trials=2, multivariate=True, constant_liar=True)


def journal_study(path: Path) -> optuna.Study:
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    return optuna.create_study(
        study_name="s", storage=storage, sampler=make_sampler(SAMPLER, seed=0), direction="maximize",
        load_if_exists=True,
    )


def quadratic(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    return 1.0 - x * x


def killed_at(number: int) -> Callable[[optuna.Trial], float]:
    def objective(trial: optuna.Trial) -> float:
        if trial.number == number:
            raise KeyboardInterrupt  # a kill: the trial stays RUNNING
        return quadratic(trial)

    return objective


def test_every_method_gets_the_same_budget() -> None:
    experiment = Experiment.from_config(validate_config(DEFAULT))
    budgets = {experiment.tuning_budget(name) for name in experiment.methods}
    assert budgets == {(experiment.tuning.n_trials, experiment.tuning.epochs or experiment.student.epochs)}


def test_unequal_budgets_are_refused_unless_explicit() -> None:
    config = copy.deepcopy(DEFAULT)
    config["tuning"]["per_method"] = {"kl": {"n_trials": 40}}
    with pytest.raises(ConfigError, match="tuning.per_method.kl.n_trials.*allow_unequal_budgets"):
        validate_config(config)
    config["tuning"]["allow_unequal_budgets"] = True
    assert Experiment.from_config(validate_config(config)).tuning_budget("kl")[0] == 40


def test_a_nan_trial_is_recorded_as_failed_and_the_study_goes_on(tmp_path: Path) -> None:
    study = journal_study(tmp_path / "study.journal")

    def sometimes_nan(trial: optuna.Trial) -> float:
        value = quadratic(trial)
        if trial.number == 1:
            raise FloatingPointError("loss is nan after 32 samples")
        return math.nan if trial.number == 2 else value

    optimize_with_budget(study, sometimes_nan, n_trials=5)
    states = [t.state for t in study.trials]
    assert len(states) == 5 and states.count(optuna.trial.TrialState.FAIL) == 2
    assert "loss is nan" in study.trials[1].user_attrs[FAIL_REASON]
    assert "returned nan" in study.trials[2].user_attrs[FAIL_REASON]
    assert all(counts_towards_budget(t) for t in study.trials)  # diverging is an outcome: it uses budget


def test_an_interrupted_study_resumes_without_losing_or_repeating_trials(tmp_path: Path) -> None:
    path = tmp_path / "study.journal"
    with pytest.raises(KeyboardInterrupt):
        optimize_with_budget(journal_study(path), killed_at(3), n_trials=6)
    before = {t.number: t.value for t in journal_study(path).trials if t.state.is_finished()}
    assert sorted(before) == [0, 1, 2]

    study = journal_study(path)
    assert fail_interrupted_trials(study) == 1
    optimize_with_budget(study, quadratic, n_trials=6)
    trials = study.trials
    assert {t.number: t.value for t in trials if t.number in before} == before  # kept, not repeated
    assert trials[3].state == optuna.trial.TrialState.FAIL and EXCLUDED in trials[3].user_attrs
    assert sum(counts_towards_budget(t) for t in trials) == 6  # the interrupted trial's place was given back
    assert len(trials) == 7


def slow_quadratic(trial: optuna.Trial) -> float:
    time.sleep(0.2)  # long enough next to a journal write for both workers to take trials
    return quadratic(trial)


def _worker(path: str, worker: int, start: Barrier) -> None:
    study = journal_study(Path(path))
    start.wait(timeout=60)
    optimize_with_budget(study, slow_quadratic, n_trials=8, worker=worker)


def test_two_workers_share_one_study(tmp_path: Path) -> None:
    path = tmp_path / "study.journal"
    journal_study(path)  # created once before the workers start, as open_study does
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [context.Process(target=_worker, args=(str(path), index, start)) for index in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    trials = journal_study(path).trials
    assert sum(counts_towards_budget(t) for t in trials) == 8
    assert all(t.state.is_finished() for t in trials)
    assert {t.user_attrs[WORKER] for t in trials if counts_towards_budget(t)} == {0, 1}


def test_a_restarted_worker_takes_back_only_its_own_interrupted_trial(tmp_path: Path) -> None:
    study = journal_study(tmp_path / "study.journal")
    with pytest.raises(KeyboardInterrupt):
        optimize_with_budget(study, killed_at(1), n_trials=6, worker=0)  # worker 0: trial 0 done, 1 left RUNNING
    with pytest.raises(KeyboardInterrupt):
        optimize_with_budget(study, killed_at(2), n_trials=6, worker=1)  # worker 1: trial 2 left RUNNING
    assert fail_interrupted_trials(study, slot=(0, 2)) == 1  # worker 0's job runs again
    assert study.trials[2].state == optuna.trial.TrialState.RUNNING  # worker 1's trial may still be running

    optimize_with_budget(study, quadratic, n_trials=6, worker=0)
    counted = sum(counts_towards_budget(t) for t in study.trials)
    assert counted == 5  # worker 1's RUNNING trial holds the sixth place

    assert fail_interrupted_trials(study, slot=(1, 2)) == 1  # worker 1's job runs again and fills it
    optimize_with_budget(study, quadratic, n_trials=6, worker=1)
    assert sum(counts_towards_budget(t) for t in study.trials) == 6
    assert [t.number for t in study.trials if EXCLUDED in t.user_attrs and "interrupted" in t.user_attrs[EXCLUDED]] == [1, 2]


def test_a_study_scaled_in_after_a_kill_takes_back_the_trials_of_slots_gone(tmp_path: Path) -> None:
    study = journal_study(tmp_path / "study.journal")
    with pytest.raises(KeyboardInterrupt):
        optimize_with_budget(study, killed_at(0), n_trials=4, worker=2)  # worker 2 of 3 killed
    with pytest.raises(KeyboardInterrupt):
        optimize_with_budget(study, killed_at(1), n_trials=4, worker=1)
    assert fail_interrupted_trials(study, slot=(0, 2)) == 1  # rerun with 2 workers: slot 2 is gone, slot 1 is not
    assert [t.state.name for t in study.trials] == ["FAIL", "RUNNING"]
    assert fail_interrupted_trials(study, slot=(1, 2)) == 1
    optimize_with_budget(study, quadratic, n_trials=4, worker=1)
    assert sum(counts_towards_budget(t) for t in study.trials) == 4


def test_a_trial_killed_before_it_had_a_worker_holds_no_place(tmp_path: Path) -> None:
    study = journal_study(tmp_path / "study.journal")
    study.ask()  # killed between ask and the worker attribute: RUNNING, nobody's
    optimize_with_budget(study, quadratic, n_trials=3, worker=0)
    assert sum(counts_towards_budget(t) for t in study.trials) == 3
    assert fail_interrupted_trials(study) == 1  # closing the study: no worker left, so it is an orphan
    assert all(t.state.is_finished() for t in study.trials)


def test_the_method_is_judged_on_the_first_n_trials_that_count(tmp_path: Path) -> None:
    study = journal_study(tmp_path / "study.journal")
    optimize_with_budget(study, quadratic, n_trials=5)
    study.ask()  # a trial left over: not counted, so never judged
    assert [t.number for t in budget_trials(study, 3)] == [0, 1, 2]  # two workers overshooting: cut at n_trials
    assert [t.number for t in budget_trials(study, 9)] == [0, 1, 2, 3, 4]


def test_a_resumed_or_second_worker_sampler_does_not_replay_suggestions() -> None:
    from renyi_kd.tuning.study import _derived_seed

    assert _derived_seed(7, (0, 0)) == 7  # a fresh single-worker study is seeded exactly as configured
    seeds = {_derived_seed(7, stream) for stream in [(0, 0), (0, 3), (1, 0), (1, 3)]}
    assert len(seeds) == 4
    assert _derived_seed(7, (0, 3)) == _derived_seed(7, (0, 3))  # and deterministically so


def test_equal_validation_accuracy_is_decided_by_validation_nll() -> None:
    config = copy.deepcopy(DEFAULT)
    config["tuning"].update(n_trials=3, objective="val_acc")
    config["tuning"]["sampler"]["n_startup_trials"] = 2
    experiment = Experiment.from_config(validate_config(config))
    study = optuna.create_study(direction="maximize")
    for value, nll in [(0.98, 0.09), (0.97, 0.01), (0.98, 0.05)]:  # the first two of equal accuracy differ in NLL
        study.add_trial(optuna.trial.create_trial(
            params={"lr": 1e-3}, distributions={"lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)},
            value=value, user_attrs={VAL_NLL: nll},
        ))
    summary = summarize(experiment, study_id("kl", 0), study)
    assert summary["best_trial"] == 2 and summary["value"] == 0.98
