"""MLflow: one store and experiment per workflow, one run per job, found again by deterministic tags.

A job that is rerun after a kill resumes its own unfinished run instead of leaving it RUNNING beside a
duplicate; a finished run that is recomputed (its inputs changed) is tagged superseded, not deleted.
Every run that trains logs the splits it reads as MLflow dataset inputs (the UI's Dataset column), and the
experiment's ``report`` run holds the report's files and its tested comparisons.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from renyi_kd.layout import Layout

if TYPE_CHECKING:
    from renyi_kd.data.prepare import Prepared

JOB_TAG = "renyi_kd.job"
SUPERSEDED_TAG = "renyi_kd.superseded"
# MLflow 3 opens an experiment on its GenAI overview (traces) unless this tag says it holds training runs.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
TRAINING_RUNS = "custom_model_development"
# The UI of MLflow 3.17 follows its own GenAI / Model training switch instead (GenAI until a browser has chosen
# otherwise); this query parameter sets it.
TRAINING_VIEW = "workflowType=machine_learning"
DIGEST_CHARS = 16  # of the data fingerprint, as a dataset digest (MLflow stores at most 36 characters)
# Columns of tables/comparisons.csv logged as metrics of the report run, one per tested comparison.
COMPARISON_NUMBERS = ("diff", "ci_low", "ci_high", "p_adjusted")


def tracking_uri(configured: str | None, layout: Layout) -> str:
    """``MLFLOW_TRACKING_URI`` wins, then ``tracking.uri`` from the config, then SQLite under results/."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    if configured:
        return configured
    return f"sqlite:///{layout.tracking_store.resolve().as_posix()}"


def _client(uri: str):
    import mlflow

    os.environ.pop("MLFLOW_RUN_ID", None)  # an inherited run id would silently resume someone else's run
    mlflow.set_tracking_uri(uri)
    return mlflow.MlflowClient(uri)


def connect(uri: str, experiment: str):
    """Point this process at the store and the (existing) experiment; return (client, experiment id)."""
    import mlflow

    client = _client(uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise RuntimeError(f"MLflow experiment {experiment!r} does not exist at {uri}: run init_tracking first")
    mlflow.set_experiment(experiment_id=found.experiment_id)
    return client, found.experiment_id


def init_tracking(uri: str, experiment: str, artifact_root: str | Path | None) -> str:
    """Create the store (schema migration) and the experiment once, before parallel jobs start. The experiment
    is marked as one of training runs (also an existing one that lacks the mark), so the UI opens on its runs."""
    client = _client(uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        location = Path(artifact_root).resolve().as_uri() if artifact_root and uri.startswith("sqlite") else None
        return client.create_experiment(experiment, artifact_location=location,
                                        tags={EXPERIMENT_KIND_TAG: TRAINING_RUNS})
    if EXPERIMENT_KIND_TAG not in found.tags:
        client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND_TAG, TRAINING_RUNS)
    return found.experiment_id


def runs_url(server: str, exp_dir: str | Path) -> str:
    """The MLflow UI page of the experiment's training runs (its experiments list before init_tracking ran)."""
    record = Layout(exp_dir).tracking
    if not record.is_file():
        return f"{server}/#/experiments?{TRAINING_VIEW}"
    return f"{server}/#/experiments/{json.loads(record.read_text())['experiment_id']}?{TRAINING_VIEW}"


def _stringify(params: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}


def open_job_run(
    uri: str,
    experiment: str,
    job: str,
    *,
    params: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """The id of job ``job``'s run (e.g. ``final/kl/teacher0/repeat0/seed0``: the job name carries the teacher
    and the repeat, so a rerun finds its own cluster's run), left RUNNING: an unfinished run with the same
    params is resumed, and so is a finished one with the same ``key`` param (the digest of everything the job
    depends on: the same job recomputed, e.g. a batch of seeds rerun after a kill); any other run of the job is
    tagged superseded (and KILLED if it was RUNNING)."""
    from mlflow.tracking.context.registry import resolve_tags  # user, source: what mlflow.start_run records

    client, experiment_id = connect(uri, experiment)
    params = _stringify(params or {})
    previous = client.search_runs(
        [experiment_id], filter_string=f"tags.`{JOB_TAG}` = '{job}'", order_by=["attributes.start_time DESC"]
    )
    def same_job(run) -> bool:
        if "key" in params and run.data.params.get("key") == params["key"]:
            return True
        return run.info.status != "FINISHED" and run.data.params.items() <= params.items()

    resume = next((r for r in previous if same_job(r)), None)
    for run in previous:
        if run is not resume and not run.data.tags.get(SUPERSEDED_TAG):
            client.set_tag(run.info.run_id, SUPERSEDED_TAG, "true")
            if run.info.status == "RUNNING":
                client.set_terminated(run.info.run_id, status="KILLED")
    if resume is not None:
        run_id = resume.info.run_id
        client.update_run(run_id, status="RUNNING")
    else:
        created = client.create_run(experiment_id, tags=resolve_tags({JOB_TAG: job, **(tags or {})}), run_name=job)
        run_id = created.info.run_id
    logged = client.get_run(run_id).data.params
    for key, value in params.items():
        if key not in logged:
            client.log_param(run_id, key, value)
    return run_id


def reopen_run(run_id: str) -> str:
    """Set a run RUNNING again (a study reopened by another worker, after a kill or to be extended)."""
    import mlflow

    mlflow.MlflowClient().update_run(run_id, status="RUNNING")
    return run_id


@contextmanager
def job_run(uri: str, experiment: str, job: str, **kwargs: Any) -> Iterator[Any]:
    """The active MLflow run of job ``job`` (see open_job_run), FINISHED when the block ends, FAILED on error."""
    import mlflow

    with mlflow.start_run(run_id=open_job_run(uri, experiment, job, **kwargs)) as run:
        yield run


def close_stale_children(parent_run_id: str, tags: dict[str, str] | None = None) -> int:
    """Nested runs left RUNNING under ``parent_run_id`` by a killed job (only those with ``tags``) are KILLED."""
    import mlflow

    client = mlflow.MlflowClient()
    parent = client.get_run(parent_run_id)
    query = [f"tags.`mlflow.parentRunId` = '{parent_run_id}'", "attributes.status = 'RUNNING'"]
    query += [f"tags.`{key}` = '{value}'" for key, value in (tags or {}).items()]
    stale = client.search_runs([parent.info.experiment_id], filter_string=" and ".join(query))
    for run in stale:
        client.set_terminated(run.info.run_id, status="KILLED")
    return len(stale)


def log_epoch(record: dict[str, float]) -> None:
    """Per-epoch metrics of a training record, with the epoch as MLflow step."""
    import mlflow

    step = int(record["epoch"])
    mlflow.log_metrics({k: float(v) for k, v in record.items() if k != "epoch"}, step=step)


def log_data(prepared: Prepared, splits: Iterable[str], root: str | None) -> None:
    """The ``splits`` the active run reads, each an MLflow dataset input ``{data}/{split}``: its image indices
    and labels (the profile gives the size), the data fingerprint as digest, the split as context, and the
    data's ``root`` as source (none: the code that made the data, e.g. scikit-learn's digits)."""
    import mlflow
    import numpy as np

    for split in splits:
        indices = np.asarray(prepared.splits[split], dtype=np.int64)
        dataset = mlflow.data.from_numpy(
            {"index": indices}, targets={"label": np.asarray(prepared.data.targets)[indices]}, source=root,
            name=f"{prepared.data.name}/{split}", digest=prepared.fingerprint[:DIGEST_CHARS],
        )
        mlflow.log_input(dataset, context=split)


def log_report(uri: str, experiment: str, layout: Layout) -> str:
    """The experiment's ``report`` run: the report folder as artifacts and, for every tested comparison of
    ``tables/comparisons.csv``, ``{number}_{metric}_{method}_vs_{reference}`` metrics (numbers: diff, ci_low,
    ci_high, p_adjusted) and a ``verdict_...`` tag. Resumed while comparisons.csv is unchanged."""
    import mlflow

    report = layout.report.dir
    comparisons = layout.report.table("comparisons", "csv")
    key = hashlib.sha256(comparisons.read_bytes()).hexdigest()[:16]
    with open(comparisons, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with job_run(uri, experiment, "report", params={"key": key}, tags={"role": "report"}) as run:
        for row in rows:
            name = f"{row['metric']}_{row['method']}_vs_{row['reference']}"
            numbers = {f"{field}_{name}": float(row[field]) for field in COMPARISON_NUMBERS if row[field] != ""}
            mlflow.log_metrics({k: v for k, v in numbers.items() if math.isfinite(v)})
            mlflow.set_tag(f"verdict_{name}", row["verdict"])
        mlflow.log_artifacts(str(report))
    return run.info.run_id
