"""The tune stage: one Optuna study per method, the same budget for all, every trial a nested MLflow run.

A study runs in three steps, each a workflow job: ``open_study`` creates the study and its MLflow parent
run; ``tuning.workers_per_study`` workers (``work_on_study``, jobs of their own, on one machine or many)
share it through its storage; ``close_study`` writes best.json once every worker has ended.

Budget: a study is done when ``n_trials`` trials count, where COMPLETE, PRUNED and FAILED trials count
(a diverging loss is an outcome of the hyperparameters) but trials excluded from the budget do not: those
left RUNNING by a killed worker (failed when that worker's job runs again, or when the study closes) and
those a worker started past the budget. The best trial is chosen among the first ``n_trials`` counted
trials by number, so a race between workers never gives a method more. The objective is validation
accuracy after the study's epochs, ties broken by lower validation NLL; the test split is never read. With one worker and a seeded sampler
the trial sequence is reproducible; parallel workers are not.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from renyi_kd.config import Method, method_from_config, tuning_budget
from renyi_kd.files import digest, read_json, write_json, write_text
from renyi_kd.runtime import Runtime
from renyi_kd.student import Hyperparameters, StudentSetup

log = logging.getLogger("renyi_kd.tune")

EXCLUDED = "budget_excluded"  # user attr: why a FAILED trial does not count towards the budget
FAIL_REASON = "fail_reason"
EPOCHS_TRAINED = "epochs_trained"
VAL_NLL = "val_nll"  # user attr: validation NLL after the last epoch, which breaks ties in validation accuracy
WORKER = "worker"  # user attr of a trial and tag of its MLflow run: the worker slot (0 .. workers_per_study-1)


def tune_dir(exp_dir: Path, method: str) -> Path:
    return Path(exp_dir) / "tune" / method


def study_file(exp_dir: Path, method: str) -> Path:
    """Written by open_study: the study's name and the id of its MLflow parent run."""
    return tune_dir(exp_dir, method) / "study.json"


def worker_file(exp_dir: Path, method: str, worker: int) -> Path:
    return tune_dir(exp_dir, method) / "workers" / f"{worker}.json"


def open_storage(spec: str | None, exp_dir: Path, method: str) -> optuna.storages.BaseStorage:
    """A journal file per study by default (safe for several processes on one host); an RDB URL on clusters."""
    if spec:
        return optuna.storages.RDBStorage(spec)
    path = tune_dir(exp_dir, method) / "study.journal"
    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def make_sampler(settings: dict[str, Any]) -> optuna.samplers.TPESampler:
    # Optuna 5 changed TPE defaults; every choice the protocol depends on is set here and recorded in best.json.
    return optuna.samplers.TPESampler(
        seed=settings["seed"],
        n_startup_trials=settings["n_startup_trials"],
        multivariate=settings["multivariate"],
        constant_liar=settings["constant_liar"],
    )


def make_pruner(settings: dict[str, Any], epochs: int) -> optuna.pruners.BasePruner:
    if settings["name"] == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=settings["min_resource"], reduction_factor=settings["reduction_factor"]
        )
    if settings["name"] == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=settings["min_resource"], max_resource=epochs, reduction_factor=settings["reduction_factor"]
        )
    if settings["name"] == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=settings["n_startup_trials"], n_warmup_steps=settings["n_warmup_steps"]
        )
    return optuna.pruners.NopPruner()


def study_name(config: dict[str, Any], exp_dir: Path, method: str) -> str:
    """``{experiment}/{method}/{digest}``: the digest covers everything a trial's outcome depends on (search
    space, epochs, sampler, pruner, student, method, data and teacher) but not the number of trials, so a
    changed setting starts a new study while a larger budget extends the existing one."""
    excluded = ("n_trials", "workers_per_study", "storage", "per_method")
    tuning = {k: v for k, v in config["tuning"].items() if k not in excluded}
    teacher = read_json(Path(exp_dir) / "teacher" / "metrics.json")
    key = digest(tuning, tuning_budget(config, method)[1], config["student"], method_from_config(config, method),
                 teacher["weights_sha256"], teacher["data_fingerprint"])
    return f"{config['experiment']}/{method}/{key[:12]}"


def load_study(config: dict[str, Any], exp_dir: Path, method: str, worker: int = 0) -> optuna.Study:
    """Create or reopen a method's study. The sampler is seeded from the sampler seed, the worker and the
    number of trials already stored: a fresh single-worker study is exactly reproducible, and a resumed
    study or a second worker does not replay the random start-up suggestions already tried."""
    tuning = config["tuning"]
    _, epochs = tuning_budget(config, method)
    study = optuna.create_study(
        study_name=study_name(config, exp_dir, method),
        storage=open_storage(tuning["storage"], exp_dir, method),
        pruner=make_pruner(tuning["pruner"], epochs),
        direction="maximize",
        load_if_exists=True,
    )
    stream = (worker, len(study.get_trials(deepcopy=False)))
    study.sampler = make_sampler({**tuning["sampler"], "seed": _derived_seed(tuning["sampler"]["seed"], stream)})
    return study


def _derived_seed(seed: int, stream: tuple[int, int]) -> int:
    return seed if stream == (0, 0) else int(np.random.SeedSequence([seed, *stream]).generate_state(1)[0])


def counts_towards_budget(trial: FrozenTrial) -> bool:
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and EXCLUDED not in trial.user_attrs


def fail_interrupted_trials(study: optuna.Study, slot: tuple[int, int] | None = None) -> int:
    """Trials left RUNNING by a killed worker, failed and given back to the budget. When the job of slot
    ``(worker, workers)`` starts: those of its own slot (no other job runs it) and of slots that no longer
    exist (the study was scaled in); with no slot (no worker runs): every RUNNING one."""
    def orphaned(trial: FrozenTrial) -> bool:
        if slot is None:
            return True
        owner = trial.user_attrs.get(WORKER)
        return owner == slot[0] or (isinstance(owner, int) and owner >= slot[1])

    stale = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)) if orphaned(t)]
    for trial in stale:
        study._storage.set_trial_user_attr(trial._trial_id, EXCLUDED, "interrupted: left RUNNING by a killed job")
        study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
    return len(stale)


def budget_trials(study: optuna.Study, n_trials: int) -> list[FrozenTrial]:
    """The trials the method is judged on: the first ``n_trials`` that count, by trial number."""
    return [t for t in study.get_trials(deepcopy=False) if counts_towards_budget(t)][:n_trials]


def suggest(trial: optuna.Trial, space: dict[str, dict[str, Any]], method: Method) -> Hyperparameters:
    """The student alone tunes what it has (lr, weight_decay); distillation methods also T and beta."""
    names = ("lr", "weight_decay", "T", "beta") if method.uses_teacher else ("lr", "weight_decay")
    values = {name: trial.suggest_float(name, space[name]["low"], space[name]["high"], log=space[name]["log"])
              for name in names}
    return Hyperparameters(**values)


class Objective:
    """Validation accuracy after the study's epochs; reports every epoch to the pruner and to MLflow."""

    def __init__(self, config: dict[str, Any], exp_dir: Path, method: Method, runtime: Runtime, parent_run_id: str,
                 worker: int):
        self.config, self.method, self.parent_run_id, self.worker = config, method, parent_run_id, worker
        self.setup = StudentSetup.open(config, exp_dir, runtime)
        self.epochs = tuning_budget(config, method.name)[1]

    def __call__(self, trial: optuna.Trial) -> float:
        import mlflow

        from renyi_kd.tracking import log_epoch

        hp = suggest(trial, self.config["tuning"]["search_space"], self.method)
        trial.set_user_attr(EPOCHS_TRAINED, 0)

        def on_epoch(record: dict[str, float]) -> None:
            log_epoch(record)
            epoch = int(record["epoch"])
            trial.set_user_attr(EPOCHS_TRAINED, epoch)
            trial.report(record["val_acc"], step=epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {epoch}")

        tags = {"role": "trial", "method": self.method.name, "trial": str(trial.number), WORKER: str(self.worker)}
        with mlflow.start_run(run_name=f"trial {trial.number}", nested=True, parent_run_id=self.parent_run_id, tags=tags):
            mlflow.log_params({"trial": trial.number, "epochs": self.epochs, **hp.as_dict()})
            try:
                _, history = self.setup.train(
                    self.method, hp, seed=self.config["tuning"]["seed"], on_epoch=on_epoch, epochs=self.epochs
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
            return history[-1]["val_acc"]


def optimize_with_budget(
    study: optuna.Study, objective: Callable[[optuna.Trial], float], n_trials: int, worker: int = 0
) -> list[int]:
    """Ask, evaluate, tell until ``n_trials`` trials count; other workers may share the study. A RUNNING
    trial of another worker takes a place (its slot's job fails it and takes the place back if it was
    killed). Returns the numbers of the trials this worker ran."""
    ran = []
    while sum(counts_towards_budget(t) for t in study.get_trials(deepcopy=False)) < n_trials:
        trial = study.ask()
        trial.set_user_attr(WORKER, worker)
        ahead = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number
                 and (counts_towards_budget(t) or (t.state == TrialState.RUNNING and WORKER in t.user_attrs))]
        if len(ahead) >= n_trials:  # another worker took the last place first
            trial.set_user_attr(EXCLUDED, "over budget: started after the last place was taken")
            study.tell(trial, state=TrialState.FAIL)
            break
        ran.append(trial.number)
        try:
            value = objective(trial)
            if not math.isfinite(value):
                raise FloatingPointError(f"objective returned {value}")
            study.tell(trial, value)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
        except Exception as error:  # recorded with its reason; the study goes on
            log.warning("trial %d failed: %r", trial.number, error)
            trial.set_user_attr(FAIL_REASON, repr(error)[:500])
            study.tell(trial, state=TrialState.FAIL)
    return ran


def trials_frame(study: optuna.Study, n_trials: int) -> pd.DataFrame:
    judged = {t.number for t in budget_trials(study, n_trials)}
    rows = []
    for t in study.get_trials(deepcopy=False):
        over = "over budget: finished past the first n_trials" if counts_towards_budget(t) and t.number not in judged else ""
        rows.append({
            "number": t.number, "state": t.state.name, "value": t.value, WORKER: t.user_attrs.get(WORKER),
            VAL_NLL: t.user_attrs.get(VAL_NLL), EPOCHS_TRAINED: t.user_attrs.get(EPOCHS_TRAINED, 0),
            "counts_towards_budget": t.number in judged,
            **{f"params_{k}": v for k, v in t.params.items()},
            FAIL_REASON: t.user_attrs.get(FAIL_REASON, t.user_attrs.get(EXCLUDED, over)),
            "datetime_start": t.datetime_start,
        })
    return pd.DataFrame(rows)


def ranking(trial: FrozenTrial) -> tuple[float, float]:
    """Validation accuracy, then lower validation NLL: accuracy on a small split ties often (one image is a
    fraction of a point), and without a tie-break the earliest of the tied trials would always win."""
    return trial.value, -trial.user_attrs.get(VAL_NLL, math.inf)


def summarize(config: dict[str, Any], method: Method, study: optuna.Study) -> dict[str, Any]:
    n_trials, epochs = tuning_budget(config, method.name)
    counted = budget_trials(study, n_trials)
    if len(counted) < n_trials:
        raise RuntimeError(f"study {study.study_name}: {len(counted)} of {n_trials} trials count; delete "
                           f"tune/{method.name}/workers/ and rerun to let the workers finish the budget")
    complete = [t for t in counted if t.state == TrialState.COMPLETE]
    if not complete:
        reasons = sorted({t.user_attrs.get(FAIL_REASON, "pruned") for t in counted})
        raise RuntimeError(
            f"study {study.study_name}: no trial completed ({len(counted)} pruned or failed: {'; '.join(reasons)[:800]})"
        )
    best = max(complete, key=ranking)
    tuning = config["tuning"]
    return {
        "method": method.name, "divergence": method.divergence, "alpha": method.alpha,
        "params": best.params, "value": best.value, "best_trial": best.number,
        "n_trials": n_trials, "n_complete": len(complete),
        "n_pruned": sum(t.state == TrialState.PRUNED for t in counted),
        "n_failed": sum(t.state == TrialState.FAIL for t in counted),
        "epochs_trained": sum(t.user_attrs.get(EPOCHS_TRAINED, 0) for t in counted),
        "epochs_budget": n_trials * epochs,
        "trial_order": [t.number for t in sorted(counted, key=lambda t: t.datetime_start)],
        "sampler": {"name": "TPESampler", **tuning["sampler"]},
        "pruner": tuning["pruner"], "objective": "val_acc after the last epoch; ties: lower val_nll", "seed": tuning["seed"],
    }


def open_study(config: dict[str, Any], exp_dir: Path, method_name: str, uri: str) -> Path:
    """Create (or reopen) the study and its MLflow parent run before any worker starts; write study.json."""
    from renyi_kd.tracking import open_job_run

    method = method_from_config(config, method_name)
    n_trials, epochs = tuning_budget(config, method.name)
    study = load_study(config, exp_dir, method.name)
    params = {"method": method.name, "alpha": method.alpha, "study": study.study_name, "n_trials": n_trials,
              "epochs": epochs, "sampler_seed": config["tuning"]["sampler"]["seed"],
              "pruner": config["tuning"]["pruner"]["name"]}
    run_id = open_job_run(uri, config["experiment"], f"tune/{method.name}", params=params,
                          tags={"role": "tune", "method": method.name})
    path = study_file(exp_dir, method.name)
    write_json(path, {"study": study.study_name, "run_id": run_id, "n_trials": n_trials, "epochs": epochs})
    log.info("%s: study %s open (%d trials of %d epochs), MLflow run %s", method.name, study.study_name, n_trials,
             epochs, run_id)
    return path


def _opened(config: dict[str, Any], exp_dir: Path, method_name: str, uri: str, worker: int) -> tuple[optuna.Study, str]:
    """The study open_study opened (refusing a config that now names another study) and its MLflow run id."""
    from renyi_kd.tracking import connect

    opened = read_json(study_file(exp_dir, method_name))
    study = load_study(config, exp_dir, method_name, worker)
    if study.study_name != opened["study"]:
        raise RuntimeError(f"{study_file(exp_dir, method_name)} opened {opened['study']}, the config now names "
                           f"{study.study_name}: the study's settings changed after it was opened; rerun the workflow")
    connect(uri, config["experiment"])
    return study, opened["run_id"]


def work_on_study(config: dict[str, Any], exp_dir: Path, method_name: str, slot: tuple[int, int], runtime: Runtime,
                  uri: str) -> Path:
    """Worker ``slot = (worker, workers)`` of a method's study, until the budget counts. After a kill, the
    slot's job fails the trial it left RUNNING (giving the place back) and goes on; finished trials are kept."""
    from renyi_kd.tracking import close_stale_children

    worker = slot[0]
    method = method_from_config(config, method_name)
    study, run_id = _opened(config, exp_dir, method_name, uri, worker)
    interrupted = fail_interrupted_trials(study, slot)
    if interrupted:
        log.info("study %s: worker %d's %d interrupted trial(s) failed and given back to the budget",
                 study.study_name, worker, interrupted)
    close_stale_children(run_id, {WORKER: str(worker)})
    objective = Objective(config, exp_dir, method, runtime, run_id, worker)
    ran = optimize_with_budget(study, objective, tuning_budget(config, method_name)[0], worker)
    log.info("%s: worker %d ran trials %s", method_name, worker, ran)
    path = worker_file(exp_dir, method_name, worker)
    write_json(path, {"study": study.study_name, WORKER: worker, "trials": ran, "interrupted_failed": interrupted})
    return path


def close_study(config: dict[str, Any], exp_dir: Path, method_name: str, uri: str) -> Path:
    """After every worker has ended: fail what is left RUNNING, choose the best trial, write best.json and
    trials.csv and finish the study's MLflow run."""
    import mlflow

    from renyi_kd.tracking import close_stale_children

    method = method_from_config(config, method_name)
    out = tune_dir(exp_dir, method.name)
    study, run_id = _opened(config, exp_dir, method_name, uri, worker=0)
    interrupted = fail_interrupted_trials(study)
    if interrupted:
        log.warning("study %s: %d trial(s) were still RUNNING with no worker left", study.study_name, interrupted)
    with mlflow.start_run(run_id=run_id):
        close_stale_children(run_id)
        summary = summarize(config, method, study)
        write_text(out / "trials.csv", trials_frame(study, summary["n_trials"]).to_csv(index=False))
        write_json(out / "best.json", summary)
        mlflow.log_params({f"best_{k}": v for k, v in summary["params"].items()})
        mlflow.log_metrics({"best_val_acc": summary["value"], "epochs_trained": summary["epochs_trained"],
                            "n_pruned": summary["n_pruned"], "n_failed": summary["n_failed"]})
        mlflow.log_artifact(str(out / "best.json"))
        mlflow.log_artifact(str(out / "trials.csv"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            history_plot = optuna.visualization.matplotlib.plot_optimization_history(study)
        mlflow.log_figure(history_plot.figure, "optimization_history.png")
    log.info("%s: best val_acc %.4f with %s (%d/%d epochs trained)", method.name, summary["value"], summary["params"],
             summary["epochs_trained"], summary["epochs_budget"])
    return out / "best.json"
