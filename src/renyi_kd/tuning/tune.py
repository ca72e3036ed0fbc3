"""The tune stage: the trials of a method's study, each a nested MLflow run (see :mod:`renyi_kd.tuning.study`).

``tune_study`` is the whole study in one job (open, run trials until the budget counts, close): the
default. With ``tuning.workers_per_study: K > 1``, K ``work_on_study`` jobs share the study first (on one
machine or many) and the ``tune_study`` job that follows them only finishes what a killed worker left and
closes. Torch is imported only when a trial is about to run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import optuna

from renyi_kd.config import Method
from renyi_kd.experiment import Experiment
from renyi_kd.files import write_json
from renyi_kd.layout import Layout, parse_study
from renyi_kd.tuning.study import (
    DESIGN_POINT,
    EPOCHS_TRAINED,
    FAIL_REASON,
    SECONDS,
    VAL_NLL,
    WORKER,
    budget_left,
    close_study,
    fail_interrupted_trials,
    open_study,
    optimize_with_budget,
    report_epoch,
    rungs,
    tuned_names,
)

log = logging.getLogger("renyi_kd.tuning.tune")


class Objective:
    """The configured objective after the study's epochs; reports it to the pruner at the rungs (the only
    epochs a trial validates before its last) and logs every epoch to MLflow.
    Trials of the start-up design are never pruned."""

    def __init__(self, experiment: Experiment, layout: Layout, method: Method, teacher: int, runtime: Any,
                 parent_run_id: str, worker: int):
        from renyi_kd.training.student import StudentSetup

        self.experiment, self.method, self.parent_run_id, self.worker = experiment, method, parent_run_id, worker
        self.teacher = teacher
        self.setup = StudentSetup.open(experiment, layout, runtime, teacher)
        self.epochs = experiment.tuning_budget(method.name)[1]
        self.rungs = set(rungs(experiment.tuning.pruner, self.epochs))
        self.key = experiment.tuning.objective

    def suggest(self, trial: optuna.Trial) -> dict[str, float]:
        space = self.experiment.search_ranges(self.method)
        return {name: trial.suggest_float(name, space[name].low, space[name].high, log=space[name].log)
                for name in tuned_names(self.method)}

    def __call__(self, trial: optuna.Trial) -> float:
        import mlflow

        from renyi_kd.training.student import Hyperparameters
        from renyi_kd.tracking.mlflow_runs import log_data, log_epoch

        hp = Hyperparameters.from_params(self.suggest(trial))
        trial.set_user_attr(EPOCHS_TRAINED, 0)
        seconds = 0.0

        def on_epoch(record: dict[str, float]) -> None:
            nonlocal seconds
            log_epoch(record)
            epoch = int(record["epoch"])
            seconds += record["seconds"]
            trial.set_user_attr(EPOCHS_TRAINED, epoch)
            trial.set_user_attr(SECONDS, seconds)
            if self.key in record:
                report_epoch(trial, epoch, record[self.key], self.rungs)

        tags = {"role": "trial", "method": self.method.name, "teacher": str(self.teacher), "trial": str(trial.number),
                WORKER: str(self.worker),
                "design_point": str(trial.user_attrs.get(DESIGN_POINT, ""))}
        with mlflow.start_run(run_name=f"trial {trial.number}", nested=True, parent_run_id=self.parent_run_id, tags=tags):
            mlflow.log_params({"trial": trial.number, "epochs": self.epochs, **hp.as_dict()})
            log_data(self.setup.prepared, (self.method.transfer, "val"), self.experiment.data.root)  # Dataset column
            try:
                _, history = self.setup.train(
                    self.method, hp, seed=self.experiment.tuning.seed, on_epoch=on_epoch, epochs=self.epochs,
                    validate_at=self.rungs,  # a trial is judged at the pruner's rungs and after its last epoch
                )
            except optuna.TrialPruned:
                mlflow.set_tag("state", "PRUNED")
                mlflow.end_run(status="KILLED")  # stopped on purpose, not broken
                raise
            except Exception as error:
                mlflow.set_tags({"state": "FAIL", FAIL_REASON: repr(error)[:500]})
                raise
            mlflow.set_tag("state", "COMPLETE")
            trial.set_user_attr(VAL_NLL, history[-1]["val_nll"])
            return history[-1][self.key]


def _run_trials(experiment: Experiment, layout: Layout, study_id: str, study: optuna.Study, run_id: str,
                worker: int, threads: int | None) -> list[int]:
    """Trials until the budget counts; torch, the data and the teacher's logits are loaded only if one is left."""
    method_name, teacher = parse_study(study_id)[:2]
    n_trials = experiment.tuning_budget(method_name)[0]
    if not budget_left(study, n_trials):
        return []
    from renyi_kd.training.runtime import Runtime

    runtime = Runtime.from_config(experiment.runtime, threads=threads)
    objective = Objective(experiment, layout, experiment.methods[method_name], teacher, runtime, run_id, worker)
    return optimize_with_budget(study, objective, n_trials, worker)


def work_on_study(experiment: Experiment, layout: Layout, study_id: str, slot: tuple[int, int], uri: str,
                  threads: int | None = None) -> Path:
    """Worker ``slot = (worker, workers)`` of a shared study (``workers_per_study > 1``), until the budget
    counts. After a kill, the slot's job fails the trial it left RUNNING (giving the place back) and goes on."""
    from renyi_kd.tracking.mlflow_runs import close_stale_children

    worker = slot[0]
    study, run_id = open_study(experiment, layout, study_id, uri)
    interrupted = fail_interrupted_trials(study, slot)
    if interrupted:
        log.info("study %s: worker %d's %d interrupted trial(s) failed and given back", study.study_name, worker,
                 interrupted)
    close_stale_children(run_id, {WORKER: str(worker)})
    ran = _run_trials(experiment, layout, study_id, study, run_id, worker, threads)
    log.info("%s: worker %d ran trials %s", study_id, worker, ran)
    path = layout.study(study_id).worker(worker)
    write_json(path, {"study": study.study_name, WORKER: worker, "trials": ran, "interrupted_failed": interrupted})
    return path


def tune_study(experiment: Experiment, layout: Layout, study_id: str, workers: int, uri: str,
               threads: int | None = None) -> Path:
    """Open the study, run what is left of its budget, close it: after the ``workers`` worker jobs when
    there are several (so every trial still RUNNING was left by a killed job), alone otherwise."""
    from renyi_kd.tracking.mlflow_runs import close_stale_children

    study, run_id = open_study(experiment, layout, study_id, uri)
    interrupted = fail_interrupted_trials(study)
    if interrupted:
        log.info("study %s: %d trial(s) left RUNNING by killed jobs failed and given back", study.study_name,
                 interrupted)
    close_stale_children(run_id)
    slot = 0 if workers == 1 else workers  # several workers: this job runs what a killed one left, as its own slot
    ran = _run_trials(experiment, layout, study_id, study, run_id, slot, threads)
    if ran:
        log.info("%s: ran trials %s", study_id, ran)
    return close_study(experiment, layout, study_id, study, run_id)
