"""A new divergence family is one function and one registry entry: registered here, it is a method of the
config, tuned in a real study (its own parameter in the same budget) and trained like any other."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from renyi_kd.config import validate_config
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout, study_id
from renyi_kd.losses import LABEL_STYLES, Family, Param, SearchRange, register_family, unregister_family
from renyi_kd.tuning.study import design_points, tuned_names

pytestmark = pytest.mark.e2e


def power_distance(log_p, log_q, *, gamma: float):
    """A toy family: sum_i |p_i - q_i|^gamma (a divergence for gamma >= 1)."""
    return (log_p.exp() - log_q.exp()).abs().pow(gamma).sum(-1)


@pytest.fixture
def toy_family():
    family = register_family(Family(
        name="power", function=power_distance, default_scaling="hinton", scaling_reason="a toy",
        params=(Param("gamma", 2.0, 1.0, 4.0, dict.fromkeys(LABEL_STYLES, "γ"), search=SearchRange(1.0, 3.0)),),
        display=dict.fromkeys(LABEL_STYLES, "Power"),
    ))
    yield family
    unregister_family("power")


def test_a_registered_family_runs_a_tiny_study(toy_family, finished_workflow: Path, tmp_path: Path) -> None:
    from renyi_kd.tuning.tune import tune_study

    source = finished_workflow / "results" / "tiny"
    layout = Layout(tmp_path / "tiny")
    layout.root.mkdir()
    for part in ("data", "teacher"):  # the tiny workflow's splits, teacher and logits; a fresh MLflow store
        (layout.root / part).symlink_to(source / part)
    config = yaml.safe_load((finished_workflow / "config.yaml").read_text())
    config["methods"] = {"ce": None, "kl": None, "toy": {"divergence": "power", "tune": ["gamma"]}}
    experiment = Experiment.from_config(validate_config(config))
    method = experiment.methods["toy"]
    assert tuned_names(method) == ["lr", "weight_decay", "T", "beta", "gamma"]
    assert all(1.0 <= point["gamma"] <= 3.0 for point in design_points(experiment, method, 0, 0))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    from renyi_kd.tracking.mlflow_runs import init_tracking

    init_tracking(uri, experiment.name, tmp_path / "artifacts")
    study = study_id("toy", experiment.teacher.seeds[0])
    best = json.loads(tune_study(experiment, layout, study, 1, uri).read_text())
    assert best["n_trials"] == experiment.tuning.n_trials and best["n_complete"] >= 1
    assert 1.0 <= best["params"]["gamma"] <= 3.0  # the family's own parameter, searched in the same budget
    trials = layout.study(study).trials.read_text()
    assert "params_gamma" in trials.splitlines()[0]
