"""configs/order-temperature.yaml: the order against the temperature at fixed hyperparameters, written as one grid
entry; it validates, holds every (alpha, T) cell, asks one Holm family per metric of every order against KL at the
same temperature, and builds its DAG (no tuning job, one final job per cell and teacher)."""

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

ALPHAS, TEMPERATURES = (0, 0.25, 0.5, 1, 2, 5), (1, 2, 4, 8, 16)


def read() -> dict:
    return yaml.safe_load((ROOT / "configs" / "order-temperature.yaml").read_text())


def test_every_cell_of_the_grid_is_a_method_at_the_fixed_hyperparameters() -> None:
    config = validate_config(read())
    assert not config["tuning"]["enabled"]
    cells = {(m.params["alpha"], m.T, m.beta) for m in (method_from_config(config, n) for n in config["methods"])}
    assert cells == {(a, T, config["distillation"]["beta"]) for a in ALPHAS for T in TEMPERATURES}


def test_each_order_is_compared_with_kl_at_its_own_temperature_in_one_family_per_metric() -> None:
    config = validate_config(read())
    settings = report_settings(config["report"])
    hypotheses, notes = declare_hypotheses(settings.questions, list(config["methods"]))
    assert not notes
    for metric in ("test_acc", "test_nll"):
        pairs = [(h.method, h.reference) for h in hypotheses if h.metric == metric]
        assert len(pairs) == (len(ALPHAS) - 1) * len(TEMPERATURES) and len({h.question for h in hypotheses
                                                                              if h.metric == metric}) == 1
        for method, reference in pairs:
            assert method.split("-T")[1] == reference.split("-T")[1] and reference.startswith("renyi-a1-T")
    assert all(settings.is_equivalence_reference(h.reference) for h in hypotheses)


@pytest.mark.e2e
def test_its_dag_has_no_tuning_and_one_final_job_per_cell_and_teacher(tmp_path: Path) -> None:
    shutil.copy(ROOT / "configs" / "order-temperature.yaml", tmp_path / "config.yaml")
    result = snakemake(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout + result.stderr, flags=re.M))
    teachers = len(read()["teacher"]["seeds"])
    assert "tune" not in counts and int(counts["train_teacher"]) == teachers
    final = sum(int(n) for rule, n in counts.items() if rule.startswith("final_"))
    assert final == len(ALPHAS) * len(TEMPERATURES) * teachers
