"""The typed experiment: built once from the validated config, it holds the very settings the config held."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from renyi_kd.config import method_from_config, validate_config
from renyi_kd.experiment import Experiment

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("data", "teacher", "student", "distillation", "tuning", "final", "runtime", "tracking")


def _validated(name: str) -> dict:
    return validate_config(yaml.safe_load((ROOT / name).read_text()))


@pytest.mark.parametrize("name", ["config.yaml", "configs/families.yaml"])
def test_every_section_gives_back_the_validated_mapping(name: str) -> None:
    """Checkpoints and studies are keyed by digests of these mappings: the typed sections must not change them."""
    config = _validated(name)
    experiment = Experiment.from_config(config)
    for section in SECTIONS:
        typed = getattr(experiment, section).as_dict()
        assert json.dumps(typed, sort_keys=True) == json.dumps(config[section], sort_keys=True), section
    assert experiment.methods == {name: method_from_config(config, name) for name in config["methods"]}
    assert list(experiment.methods) == list(config["methods"])  # config order: the rules' and the report's
    assert experiment.seeds == tuple(config["seeds"]) and experiment.report == config["report"]


def test_a_rules_slice_holds_only_the_sections_it_names() -> None:
    config = _validated("config.yaml")
    experiment = Experiment.from_config({key: config[key] for key in ("experiment", "runtime", "tracking", "data")})
    assert experiment.data.name == config["data"]["name"] and experiment.name == config["experiment"]
    assert experiment.teacher is None and experiment.tuning is None and experiment.methods == {}


def test_the_experiment_is_frozen_and_budgets_come_from_it() -> None:
    experiment = Experiment.from_config(_validated("config.yaml"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        experiment.student.epochs = 1
    assert experiment.tuning_budget("kl") == (experiment.tuning.n_trials,
                                              experiment.tuning.epochs or experiment.student.epochs)
    baselines = Experiment.from_config(_validated("configs/baselines.yaml"))
    ranges = baselines.search_ranges(baselines.methods["ce-ls"])
    assert ranges["label_smoothing"].high == 0.3 and ranges["lr"] == experiment.tuning.search_space["lr"]


def test_clusters_are_numbered_teacher_by_teacher_then_repeat_by_repeat() -> None:
    config = _validated("config.yaml")
    config["teacher"]["seeds"], config["tuning"]["repeats"] = [3, 0, 7], 2
    experiment = Experiment.from_config(config)
    assert experiment.teacher.seeds == (3, 0, 7)
    assert experiment.clusters == [(3, 0), (3, 1), (0, 0), (0, 1), (7, 0), (7, 1)]
    assert [experiment.cluster_index(t, r) for t, r in experiment.clusters] == list(range(6))
    with pytest.raises(ValueError, match="teacher.seeds"):
        experiment.cluster_index(1, 0)
    with pytest.raises(ValueError, match="tuning.repeats"):
        experiment.cluster_index(3, 2)
