"""The real Snakemake workflow, end to end, on a tiny config: outputs, MLflow runs, and a no-op rerun."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from renyi_kd.layout import Layout, study_id
from tiny_config import METHODS, SEEDS, tiny_config
from tiny_workflow import snakemake

pytestmark = pytest.mark.e2e


def test_outputs_and_table(finished_workflow: Path) -> None:
    exp = finished_workflow / "results" / "tiny"
    with open(exp / "report" / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["method"], int(r["seed"])) for r in rows) == sorted((m, s) for m in METHODS for s in SEEDS)
    assert {(r["teacher"], r["repeat"], r["teacher_model"]) for r in rows} == {("0", "0", "test_resnet")}  # one cluster
    for row in rows:
        assert 0.0 <= float(row["test_acc"]) <= 1.0 and float(row["test_nll"]) > 0
        assert 0.0 <= float(row["agreement"]) <= 1.0 and float(row["fidelity_kl"]) >= 0
    assert {r["alpha"] for r in rows if r["method"] == "renyi-a0.5"} == {"0.5"}
    table = (exp / "report" / "accuracy.md").read_text()
    assert "teacher (test_resnet)" in table and all(f"| {m} |" in table for m in METHODS)
    assert not list(exp.rglob("checkpoint.safetensors"))  # finished jobs clean up their resume state


def test_final_runs_use_the_tuned_hyperparameters(finished_workflow: Path) -> None:
    exp = finished_workflow / "results" / "tiny"
    with open(exp / "report" / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    for method in METHODS:
        study = Layout(exp).study(study_id(method, 0))
        best = json.loads(study.best.read_text())
        assert best["n_trials"] == 2 and best["epochs_budget"] == 4 and best["objective"]["name"] == "val_nll"
        ran = [json.loads(study.worker(w).read_text())["trials"] for w in (0, 1)]
        assert not set(ran[0]) & set(ran[1])  # the two workers shared the study, no trial run twice
        assert len(best["trial_order"]) == 2 and set(best["trial_order"]) <= set(ran[0] + ran[1])
        used = {r["lr"] for r in rows if r["method"] == method}
        assert used == {str(best["params"]["lr"])}
        if method != "ce":
            assert {r["T"] for r in rows if r["method"] == method} == {str(best["params"]["T"])}
        else:
            assert set(best["params"]) == {"lr", "weight_decay"}


def test_the_startup_design_runs_in_full_before_any_pruning(finished_workflow: Path) -> None:
    exp = finished_workflow / "results" / "tiny"
    for method in METHODS:
        study = Layout(exp).study(study_id(method, 0))
        trials = list(csv.DictReader(open(study.trials)))
        best = json.loads(study.best.read_text())
        n_startup = len(best["startup_design"]["points"])
        design = [t for t in trials if t["design_point"] != ""]
        assert [int(t["number"]) for t in design] == list(range(n_startup))
        assert all(t["state"] == "COMPLETE" and int(t["epochs_trained"]) == 2 for t in design)
        # a trial validates, and reports, only at the pruner's rungs and after its last epoch
        reported = [str(epoch) for epoch in [*best["pruner"]["rungs"], 2]]
        assert all(float(t["seconds"]) > 0 and list(json.loads(t["intermediate"])) == reported for t in design)
    designs = {json.dumps(json.loads(Layout(exp).study(study_id(m, 0)).best.read_text())["startup_design"]["points"])
               for m in ("kl", "renyi-a0.5")}
    assert len(designs) == 1  # the same start-up points for every distillation method


def test_the_report_is_built(finished_workflow: Path) -> None:
    report = finished_workflow / "results" / "tiny" / "report"
    text = (report / "report.md").read_text()
    assert "figures/accuracy_vs_alpha.png" in text
    for name in ("main", "hyperparameters", "models"):
        for suffix in (".tex", ".md", ".csv"):
            assert (report / "tables" / f"{name}{suffix}").stat().st_size > 0
    assert (report / "tables" / "comparisons.csv").stat().st_size > 0
    assert (report / "tables" / "tuning_budget.csv").stat().st_size > 0
    for name in ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature", "accuracy_vs_alpha",
                 "tuned_vs_alpha", "optuna_landscape", "learning_curves", "tuning_budget"):
        assert (report / "figures" / f"{name}.png").stat().st_size > 0


def test_the_comparisons_keep_their_contract(finished_workflow: Path) -> None:
    from test_inference_contract import check_comparisons

    report = finished_workflow / "results" / "tiny" / "report"
    check_comparisons(report / "runs.csv", report / "tables" / "comparisons.csv")  # Holm and t recomputed


def test_every_job_is_one_finished_mlflow_run(finished_workflow: Path) -> None:
    import mlflow

    uri = f"sqlite:///{finished_workflow / 'results' / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("tiny")
    runs = client.search_runs([experiment.experiment_id])
    jobs = sorted(run.data.tags["renyi_kd.job"] for run in runs if "renyi_kd.job" in run.data.tags)
    studies = {m: study_id(m, 0) for m in METHODS}
    assert jobs == sorted(["teacher/seed0", "report"] + [f"final/{studies[m]}/seed{s}" for m in METHODS for s in SEEDS]
                          + [f"tune/{studies[m]}" for m in METHODS])
    assert {run.info.status for run in runs} == {"FINISHED"}
    trials = [run for run in runs if run.data.tags.get("role") == "trial"]
    for method in METHODS:  # every trial a method is judged on has its run (a worker racing past may add one)
        judged = json.loads(Layout(finished_workflow / "results" / "tiny").study(studies[method]).best.read_text())
        logged = {int(run.data.tags["trial"]) for run in trials if run.data.tags["method"] == method}
        assert set(judged["trial_order"]) <= logged
    parents = {run.data.tags["renyi_kd.job"]: run.info.run_id for run in runs if "renyi_kd.job" in run.data.tags}
    assert {run.data.tags["mlflow.parentRunId"] for run in trials} == {parents[f"tune/{studies[m]}"] for m in METHODS}
    assert {run.data.tags["state"] for run in trials} <= {"COMPLETE", "PRUNED", "FAIL"}
    assert {run.data.tags["worker"] for run in trials} <= {"0", "1", "2"}  # 2: the closing job, after a kill
    kd = next(run for run in runs if run.data.tags.get("renyi_kd.job") == f"final/{studies['renyi-a0.5']}/seed1")
    assert kd.data.params["alpha"] == "0.5" and kd.data.params["seed"] == "1"
    assert (kd.data.tags["teacher"], kd.data.tags["repeat"], kd.data.params["teacher"]) == ("0", "0", "0")
    assert {"beta", "T", "lr", "weight_decay", "scaling", "student", "teacher_model", "dataset"} <= set(kd.data.params)
    curve = client.get_metric_history(kd.info.run_id, "val_acc")
    assert [m.step for m in curve] == [1, 2]
    assert "test_acc" in kd.data.metrics


def test_a_second_run_has_nothing_to_do(finished_workflow: Path) -> None:
    result = snakemake(finished_workflow, "--dry-run")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_bad_config_fails_before_any_job(tmp_path: Path) -> None:
    config = tiny_config("tiny")
    config["methods"]["renyi-a2"] = {"alpha": -1}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "--dry-run")
    assert result.returncode != 0
    assert "config key 'methods.renyi-a2.alpha'" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()
