"""The grid experiments, each one config entry of methods at fixed hyperparameters: configs/order-temperature.yaml
(every order against every temperature) and configs/scaling-transfer.yaml (every order under every scaling, at
KL's tuned values). Each validates, holds every cell, asks one Holm family per metric of every order against KL at
the same other setting, and builds its DAG (no tuning job, one final job per cell and teacher)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from renyi_kd.config import method_from_config, validate_config
from renyi_kd.report.questions import declare_hypotheses
from renyi_kd.report.settings import report_settings
from tiny_config import ROOT
from tiny_workflow import snakemake

# config -> (the grid's axes as (alpha values, other setting's name, its values), how a cell's method reads it)
GRIDS = {
    "order-temperature.yaml": ((0, 0.25, 0.5, 1, 2, 5), "T", (1, 2, 4, 8, 16)),
    "scaling-transfer.yaml": ((0.25, 0.5, 1, 2, 5), "scaling", ("thesis", "hinton", "none")),
}


def read(name: str) -> dict:
    return yaml.safe_load((ROOT / "configs" / name).read_text())


@pytest.mark.parametrize("name", GRIDS)
def test_every_cell_of_the_grid_is_a_method_at_the_fixed_hyperparameters(name: str) -> None:
    alphas, setting, values = GRIDS[name]
    config = validate_config(read(name))
    assert not config["tuning"]["enabled"]
    methods = [method_from_config(config, n) for n in config["methods"]]
    assert {(m.params["alpha"], getattr(m, setting)) for m in methods} == {(a, v) for a in alphas for v in values}
    assert {m.beta for m in methods} == {config["distillation"]["beta"]}


@pytest.mark.parametrize("name", GRIDS)
def test_each_order_is_compared_with_kl_at_its_own_setting_in_one_family_per_metric(name: str) -> None:
    alphas, setting, values = GRIDS[name]
    config = validate_config(read(name))
    settings = report_settings(config["report"])
    hypotheses, notes = declare_hypotheses(settings.questions, list(config["methods"]))
    assert not notes
    of = {n: method_from_config(config, n) for n in config["methods"]}
    for metric in ("test_acc", "test_nll"):
        on_metric = [h for h in hypotheses if h.metric == metric]
        assert len(on_metric) == (len(alphas) - 1) * len(values) and len({h.question for h in on_metric}) == 1
        for h in on_metric:
            assert of[h.reference].params["alpha"] == 1 and of[h.method].params["alpha"] != 1
            assert getattr(of[h.method], setting) == getattr(of[h.reference], setting)
    assert all(settings.is_equivalence_reference(h.reference) for h in hypotheses)


@pytest.mark.e2e
@pytest.mark.parametrize("name", GRIDS)
def test_the_dag_has_no_tuning_and_one_final_job_per_cell_and_teacher(name: str, tmp_path: Path) -> None:
    shutil.copy(ROOT / "configs" / name, tmp_path / "config.yaml")
    result = snakemake(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout + result.stderr, flags=re.M))
    teachers = len(read(name)["teacher"]["seeds"])
    assert "tune" not in counts and int(counts["train_teacher"]) == teachers
    final = sum(int(n) for rule, n in counts.items() if rule.startswith("final_"))
    alphas, _, values = GRIDS[name]
    assert final == len(alphas) * len(values) * teachers
