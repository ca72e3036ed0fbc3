"""MLflow runs found again by job: resumed after a kill, superseded when recomputed; stale trial runs closed;
the experiment opens on its training runs; the data a run reads and the report run."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import mlflow
import numpy as np
import pytest

from renyi_kd.layout import Layout
from renyi_kd.tracking.mlflow_runs import (
    EXPERIMENT_KIND_TAG,
    JOB_TAG,
    SUPERSEDED_TAG,
    TRAINING_RUNS,
    close_stale_children,
    init_tracking,
    job_run,
    log_data,
    log_report,
    open_job_run,
    runs_url,
)


@pytest.fixture
def store(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    init_tracking(uri, "exp", tmp_path / "artifacts")
    return uri


def test_an_unfinished_run_is_resumed_and_a_finished_one_superseded(store: str) -> None:
    client = mlflow.MlflowClient(store)
    first = open_job_run(store, "exp", "tune/kl", params={"n_trials": 4}, tags={"role": "tune"})
    assert open_job_run(store, "exp", "tune/kl", params={"n_trials": 4}) == first  # a killed job comes back
    assert client.get_run(first).info.status == "RUNNING"
    assert client.get_run(first).data.tags[JOB_TAG] == "tune/kl"

    client.set_terminated(first, status="FINISHED")
    second = open_job_run(store, "exp", "tune/kl", params={"n_trials": 4})
    assert second != first  # recomputed: a new run, the old one kept and marked
    assert client.get_run(first).data.tags[SUPERSEDED_TAG] == "true"

    third = open_job_run(store, "exp", "tune/kl", params={"n_trials": 8})  # other params: not resumed
    assert third != second
    assert client.get_run(second).info.status == "KILLED"
    assert client.get_run(third).data.params == {"n_trials": "8"}


def test_job_run_finishes_its_run(store: str) -> None:
    with job_run(store, "exp", "teacher", params={"epochs": 2}) as run:
        mlflow.log_metric("val_acc", 0.5)
    assert mlflow.MlflowClient(store).get_run(run.info.run_id).info.status == "FINISHED"


def test_stale_children_are_closed_per_worker(store: str) -> None:
    client = mlflow.MlflowClient(store)
    parent = open_job_run(store, "exp", "tune/kl")
    children = {
        worker: client.create_run(
            client.get_run(parent).info.experiment_id, tags={"mlflow.parentRunId": parent, "worker": worker}
        ).info.run_id
        for worker in ("0", "1")
    }
    assert close_stale_children(parent, {"worker": "1"}) == 1  # worker 1's job came back
    assert client.get_run(children["1"]).info.status == "KILLED"
    assert client.get_run(children["0"]).info.status == "RUNNING"  # worker 0 may still be running it
    assert close_stale_children(parent) == 1  # the study closes: no worker left
    assert client.get_run(children["0"]).info.status == "KILLED"


def test_the_experiment_opens_on_its_training_runs(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    made = init_tracking(uri, "new", tmp_path / "artifacts")
    assert client.get_experiment(made).tags[EXPERIMENT_KIND_TAG] == TRAINING_RUNS
    older = client.create_experiment("older")  # made before the tag existed
    assert init_tracking(uri, "older", None) == older
    assert client.get_experiment(older).tags[EXPERIMENT_KIND_TAG] == TRAINING_RUNS
    chosen = client.create_experiment("chosen", tags={EXPERIMENT_KIND_TAG: "genai_development"})
    init_tracking(uri, "chosen", None)  # a kind someone set on purpose stays
    assert client.get_experiment(chosen).tags[EXPERIMENT_KIND_TAG] == "genai_development"


def test_the_ui_link_opens_the_training_runs(tmp_path: Path) -> None:
    server = "http://127.0.0.1:5000"
    assert runs_url(server, tmp_path) == f"{server}/#/experiments?workflowType=machine_learning"  # no run yet
    Layout(tmp_path).tracking.write_text('{"experiment_id": "7"}')
    assert runs_url(server, tmp_path) == f"{server}/#/experiments/7?workflowType=machine_learning"


def _prepared() -> SimpleNamespace:
    data = SimpleNamespace(name="digits", targets=np.array([0, 1, 2, 0, 1, 2, 0, 1]))
    return SimpleNamespace(data=data, splits={"transfer": [0, 3, 5], "val": [1, 6], "test": [2, 4, 7]},
                           fingerprint="ab" * 32)


def test_a_run_names_the_data_it_read(store: str) -> None:
    with job_run(store, "exp", "final/kl/seed0") as run:
        log_data(_prepared(), ("transfer", "val"), None)
    with job_run(store, "exp", "final/kl/seed0"):  # resumed after a kill: the inputs are not logged twice
        log_data(_prepared(), ("transfer", "val"), None)
    inputs = mlflow.MlflowClient(store).get_run(run.info.run_id).inputs.dataset_inputs
    assert sorted(i.dataset.name for i in inputs) == ["digits/transfer", "digits/val"]
    for logged in inputs:
        split = logged.dataset.name.split("/")[1]
        assert logged.dataset.digest == "ab" * 8  # the data fingerprint
        assert {t.key: t.value for t in logged.tags}["mlflow.data.context"] == split
        assert f"[{len(_prepared().splits[split])}]" in logged.dataset.profile  # the size of the split


def test_the_runs_of_two_clusters_are_two_runs_each_resumed_by_its_own_rerun(store: str) -> None:
    """The job name carries the cluster (the study id), so a rerun of teacher 1's final run finds its own run."""
    jobs = [f"final/kl/teacher{teacher}/repeat0/seed0" for teacher in (0, 1)]
    first = [open_job_run(store, "exp", job, params={"teacher": t, "seed": 0}, tags={"teacher": str(t)})
             for t, job in enumerate(jobs)]
    assert first[0] != first[1]
    assert [open_job_run(store, "exp", job, params={"teacher": t, "seed": 0}) for t, job in enumerate(jobs)] == first
    client = mlflow.MlflowClient(store)
    assert [client.get_run(run).data.tags["teacher"] for run in first] == ["0", "1"]


def _write_comparisons(exp_dir: Path, diff: str) -> None:
    report = Layout(exp_dir).report
    report.tables.mkdir(parents=True, exist_ok=True)
    columns = ["metric", "method", "reference", "family", "n", "diff", "ci_low", "ci_high", "p", "p_adjusted",
               "verdict", "margin"]
    rows = [["test_acc", "kl", "ce", "test_acc vs ce", "5", diff, "0.01", "0.03", "0.001", "0.002", "better", ""],
            ["test_acc", "renyi-a0.5", "kl", "test_acc vs kl", "5", "0.001", "-0.004", "0.006", "0.5", "", "inconclusive",
             "0.01"]]
    with open(report.table("comparisons", "csv"), "w", newline="") as handle:
        csv.writer(handle).writerows([columns, *rows])
    report.document.write_text("# Report\n")


def test_the_report_run_holds_the_comparisons_and_the_files(store: str, tmp_path: Path) -> None:
    client = mlflow.MlflowClient(store)
    exp_dir = tmp_path / "results" / "exp"
    _write_comparisons(exp_dir, "0.02")
    first = log_report(store, "exp", Layout(exp_dir))
    run = client.get_run(first)
    assert run.data.tags[JOB_TAG] == "report" and run.info.status == "FINISHED"
    assert run.data.metrics["diff_test_acc_kl_vs_ce"] == pytest.approx(0.02)
    assert run.data.metrics["ci_high_test_acc_renyi-a0.5_vs_kl"] == pytest.approx(0.006)
    assert "p_adjusted_test_acc_renyi-a0.5_vs_kl" not in run.data.metrics  # not tested: no number made up
    assert run.data.tags["verdict_test_acc_renyi-a0.5_vs_kl"] == "inconclusive"
    assert {a.path for a in client.list_artifacts(first)} == {"report.md", "tables"}
    assert log_report(store, "exp", Layout(exp_dir)) == first  # the same comparisons: the same run
    _write_comparisons(exp_dir, "0.03")
    second = log_report(store, "exp", Layout(exp_dir))
    assert second != first and client.get_run(first).data.tags[SUPERSEDED_TAG] == "true"
