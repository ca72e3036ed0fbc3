"""configs/dark-knowledge.yaml: it validates; its prepared splits (the real digits) hold no image of the omitted
class in the transfer set while train, validation and test keep theirs, and the other splits are the default's;
every method runs at the same fixed hyperparameters; its questions are on the dark-knowledge metrics; and its DAG
has no tuning job and one final job per method and teacher."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from renyi_kd.config import method_from_config, validate_config
from renyi_kd.data.prepare import open_prepared, prepare_data
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout
from renyi_kd.report.settings import report_settings
from tiny_config import ROOT
from tiny_workflow import snakemake

NAME = "dark-knowledge.yaml"


def read(name: str = NAME) -> dict:
    return yaml.safe_load((ROOT / "configs" / name).read_text())


def prepared(config: dict, root: Path):
    experiment = Experiment.from_config(validate_config(config))
    layout = Layout(root / experiment.name)
    prepare_data(experiment.data, layout)
    return experiment, open_prepared(experiment.data, layout)


def test_the_transfer_set_holds_no_omitted_class_while_train_val_and_test_keep_them(tmp_path: Path) -> None:
    experiment, dark = prepared(read(), tmp_path)
    omitted = list(experiment.data.omit_classes)
    assert omitted == [3]
    y = np.asarray(dark.data.targets)
    assert not np.isin(y[dark.splits["transfer"]], omitted).any()
    assert len(dark.splits["transfer"]) == experiment.data.transfer_size
    assert set(y[dark.splits["transfer"]].tolist()) == set(range(10)) - set(omitted)
    for split in ("train", "val", "test"):
        assert np.isin(y[dark.splits[split]], omitted).sum() >= 20, split  # enough 3s to measure and to choose on
    default = read()
    default["data"]["omit_classes"] = []
    _, plain = prepared(default, tmp_path / "plain")
    assert {s: plain.splits[s] for s in ("train", "val", "test")} == {s: dark.splits[s] for s in ("train", "val", "test")}


def test_every_method_runs_at_the_same_fixed_hyperparameters_and_the_student_alone_is_there() -> None:
    config = validate_config(read())
    assert not config["tuning"]["enabled"]
    methods = {name: method_from_config(config, name) for name in config["methods"]}
    assert {"ce", "kl"} <= set(methods) and len(methods) >= 5
    teacher = [m for m in methods.values() if m.uses_teacher]
    assert {(m.beta, m.T) for m in teacher} == {(config["distillation"]["beta"], config["distillation"]["T"])}
    assert config["teacher"]["seeds"] == read("scaling-transfer.yaml")["teacher"]["seeds"]  # the default's teachers


def test_its_questions_are_on_the_omitted_classes_against_kl_and_the_student_alone() -> None:
    settings = report_settings(validate_config(read())["report"])
    metrics = {q.metric for q in settings.questions}
    assert {"omitted_acc", "omitted_acc_shifted", "test_acc"} <= metrics
    assert all(set(q.references) == {"kl", "ce"} for q in settings.questions)


@pytest.mark.e2e
def test_the_dag_has_no_tuning_and_one_final_job_per_method_and_teacher(tmp_path: Path) -> None:
    shutil.copy(ROOT / "configs" / NAME, tmp_path / "config.yaml")
    result = snakemake(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout + result.stderr, flags=re.M))
    teachers = len(read()["teacher"]["seeds"])
    assert "tune" not in counts and int(counts["train_teacher"]) == teachers
    final = sum(int(n) for rule, n in counts.items() if rule.startswith("final_"))
    assert final == len(read()["methods"]) * teachers
