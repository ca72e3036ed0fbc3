"""MLflow runs found again by job: resumed after a kill, superseded when recomputed; stale trial runs closed."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from renyi_kd.tracking import JOB_TAG, SUPERSEDED_TAG, close_stale_children, init_tracking, job_run, open_job_run


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
