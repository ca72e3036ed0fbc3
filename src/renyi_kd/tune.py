"""The tune stage: one Optuna study per method, the same budget for all, every trial a nested MLflow run.

Budget: a study is done when ``n_trials`` trials count, where COMPLETE, PRUNED and FAILED trials count
(a diverging loss is an outcome of the hyperparameters) but trials excluded from the budget do not: those
left RUNNING by a killed job (failed when the study resumes) and those a parallel worker started past the
budget. The objective is validation accuracy after the study's epochs; the test split is never read.
With one worker and a seeded sampler the trial sequence is reproducible; parallel workers are not.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
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


def tune_dir(exp_dir: Path, method: str) -> Path:
    return Path(exp_dir) / "tune" / method


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
    tuning = {k: v for k, v in config["tuning"].items() if k not in ("n_trials", "n_workers", "storage", "per_method")}
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


def fail_interrupted_trials(study: optuna.Study) -> int:
    """Trials left RUNNING by a killed job or worker: failed and given back to the budget. Called when no
    worker of the study is running (the tune job owns its study), so every RUNNING trial is an orphan."""
    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for trial in stale:
        study._storage.set_trial_user_attr(trial._trial_id, EXCLUDED, "interrupted: left RUNNING by a killed job")
        study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
    return len(stale)


def suggest(trial: optuna.Trial, space: dict[str, dict[str, Any]], method: Method) -> Hyperparameters:
    """The student alone tunes what it has (lr, weight_decay); distillation methods also T and beta."""
    names = ("lr", "weight_decay", "T", "beta") if method.uses_teacher else ("lr", "weight_decay")
    values = {name: trial.suggest_float(name, space[name]["low"], space[name]["high"], log=space[name]["log"])
              for name in names}
    return Hyperparameters(**values)


class Objective:
    """Validation accuracy after the study's epochs; reports every epoch to the pruner and to MLflow."""

    def __init__(self, config: dict[str, Any], exp_dir: Path, method: Method, runtime: Runtime, parent_run_id: str):
        self.config, self.method, self.parent_run_id = config, method, parent_run_id
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

        tags = {"role": "trial", "method": self.method.name, "trial": str(trial.number)}
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
            return history[-1]["val_acc"]


def optimize_with_budget(study: optuna.Study, objective: Callable[[optuna.Trial], float], n_trials: int) -> None:
    """Ask, evaluate, tell until ``n_trials`` trials count; several processes may share the study."""
    while sum(counts_towards_budget(t) for t in study.get_trials(deepcopy=False)) < n_trials:
        trial = study.ask()
        ahead = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number
                 and (t.state == TrialState.RUNNING or counts_towards_budget(t))]
        if len(ahead) >= n_trials:  # another worker took the last place first
            trial.set_user_attr(EXCLUDED, "over budget: started after the last place was taken")
            study.tell(trial, state=TrialState.FAIL)
            break
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


def run_worker(
    config: dict[str, Any], exp_dir: Path, method_name: str, runtime: Runtime, parent_run_id: str, worker: int = 0
) -> None:
    """One worker on a method's study (the tune job's own process, or one of its spawned helpers)."""
    from renyi_kd.tracking import connect, tracking_uri

    connect(tracking_uri(config["tracking"]["uri"], Path(exp_dir).parent), config["experiment"])
    method = method_from_config(config, method_name)
    objective = Objective(config, exp_dir, method, runtime, parent_run_id)
    study = load_study(config, exp_dir, method_name, worker)
    optimize_with_budget(study, objective, tuning_budget(config, method_name)[0])


def _spawned_worker(config_json: str, exp_dir: str, method: str, threads: int, parent_run_id: str, worker: int) -> None:
    from renyi_kd.runtime import configure_logging

    configure_logging()
    config = json.loads(config_json)
    run_worker(config, Path(exp_dir), method, Runtime.from_config(config["runtime"], threads), parent_run_id, worker)


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        rows.append({
            "number": t.number, "state": t.state.name, "value": t.value,
            EPOCHS_TRAINED: t.user_attrs.get(EPOCHS_TRAINED, 0),
            "counts_towards_budget": counts_towards_budget(t),
            **{f"params_{k}": v for k, v in t.params.items()},
            FAIL_REASON: t.user_attrs.get(FAIL_REASON, t.user_attrs.get(EXCLUDED, "")),
            "datetime_start": t.datetime_start,
        })
    return pd.DataFrame(rows)


def summarize(config: dict[str, Any], method: Method, study: optuna.Study) -> dict[str, Any]:
    n_trials, epochs = tuning_budget(config, method.name)
    counted = [t for t in study.get_trials(deepcopy=False) if counts_towards_budget(t)]
    complete = [t for t in counted if t.state == TrialState.COMPLETE]
    if not complete:
        reasons = sorted({t.user_attrs.get(FAIL_REASON, "pruned") for t in counted})
        raise RuntimeError(
            f"study {study.study_name}: no trial completed ({len(counted)} pruned or failed: {'; '.join(reasons)[:800]})"
        )
    best = max(complete, key=lambda t: t.value)
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
        "pruner": tuning["pruner"], "objective": "val_acc after the last epoch", "seed": tuning["seed"],
    }


def tune(config: dict[str, Any], exp_dir: Path, method_name: str, runtime: Runtime, threads: int) -> Path:
    """Run (or resume) the study of one method with ``tuning.n_workers`` processes; write best.json."""
    import mlflow

    from renyi_kd.tracking import close_stale_children, job_run, tracking_uri

    method = method_from_config(config, method_name)
    n_trials, epochs = tuning_budget(config, method.name)
    out = tune_dir(exp_dir, method.name)
    study = load_study(config, exp_dir, method.name)
    _give_back_interrupted(study)
    uri = tracking_uri(config["tracking"]["uri"], Path(exp_dir).parent)
    params = {"method": method.name, "alpha": method.alpha, "study": study.study_name, "n_trials": n_trials,
              "epochs": epochs, "sampler_seed": config["tuning"]["sampler"]["seed"],
              "pruner": config["tuning"]["pruner"]["name"]}
    with job_run(uri, config["experiment"], f"tune/{method.name}", params=params,
                 tags={"role": "tune", "method": method.name}) as parent:
        close_stale_children(parent.info.run_id)
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(
                target=_spawned_worker,
                args=(json.dumps(config), str(exp_dir), method.name, threads, parent.info.run_id, index + 1),
            )
            for index in range(config["tuning"]["n_workers"] - 1)
        ]
        for worker in workers:
            worker.start()
        run_worker(config, exp_dir, method.name, runtime, parent.info.run_id)
        for worker in workers:
            worker.join()
        if any(worker.exitcode != 0 for worker in workers):  # a crashed helper leaves its trial RUNNING
            log.warning("a worker of study %s stopped with an error; finishing its share here", study.study_name)
            _give_back_interrupted(study)
            run_worker(config, exp_dir, method.name, runtime, parent.info.run_id)
        summary = summarize(config, method, study)
        write_text(out / "trials.csv", trials_frame(study).to_csv(index=False))
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


def _give_back_interrupted(study: optuna.Study) -> None:
    interrupted = fail_interrupted_trials(study)
    if interrupted:
        log.info("study %s: %d interrupted trial(s) failed and given back to the budget", study.study_name, interrupted)
