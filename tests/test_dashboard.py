"""The studies `make dashboard` serves: every opened study of the experiment, from its journals or its RDB."""

from __future__ import annotations

from pathlib import Path

import optuna

import yaml

from renyi_kd.config import validate_config
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout, study_id
from renyi_kd.tracking.dashboard import experiment_storages, one_storage
from renyi_kd.tuning.study import open_storage

DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())


def _experiment(storage: str | None) -> Experiment:
    config = {**DEFAULT, "methods": {"ce": None, "kl": None, "renyi-a2": None},
              "tuning": {**DEFAULT["tuning"], "storage": storage, "repeats": 2}}
    return Experiment.from_config(validate_config(config))


def _study(storage: optuna.storages.BaseStorage, name: str, values: list[float]) -> None:
    study = optuna.create_study(study_name=name, storage=storage)
    study.set_user_attr("mlflow_run_id", name)
    for value in values:
        trial = study.ask()
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        trial.report(value, step=1)
        study.tell(trial, value)


def test_every_journal_is_served_in_one_storage(tmp_path: Path) -> None:
    exp = Layout(tmp_path / "exp")
    _study(open_storage(None, exp, study_id("kl", 0)), "exp/kl/abc", [0.5, 0.25])
    _study(open_storage(None, exp, study_id("kl", 0, 1)), "exp/kl/repeat1/def", [0.75])
    storages = experiment_storages(_experiment(None), exp)
    assert len(storages) == 2  # ce and renyi-a2 were never opened
    assert not exp.study(study_id("ce", 0)).dir.exists()  # and serving did not create them
    merged = optuna.get_all_study_summaries(one_storage(storages), include_best_trial=False)
    studies = {summary.study_name: summary for summary in merged}
    assert set(studies) == {"exp/kl/abc", "exp/kl/repeat1/def"}
    kl = optuna.load_study(study_name="exp/kl/abc", storage=one_storage(storages))
    assert [t.value for t in kl.trials] == [0.5, 0.25] and kl.trials[1].intermediate_values == {1: 0.25}
    assert kl.user_attrs["mlflow_run_id"] == "exp/kl/abc" and kl.best_value == 0.25


def test_an_rdb_holding_every_study_is_served_as_it_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    storages = experiment_storages(_experiment(url), Layout(tmp_path / "exp"))
    assert len(storages) == 1 and isinstance(storages[0], optuna.storages.RDBStorage)
    _study(storages[0], "exp/kl/abc", [0.5])
    assert one_storage(storages) is storages[0]  # live, not a copy
