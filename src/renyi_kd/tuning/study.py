"""A method's tuning study without the training: storage, sampler, pruner, the shared start-up design,
the budget, and the study's record (best.json, trials.csv, its MLflow parent run).

Imports optuna (and mlflow where a run is touched), never torch: opening and closing a study is
bookkeeping, and the trials themselves run in :mod:`renyi_kd.tuning.tune`.

Fairness, by construction:

- **Clusters.** A study is one method in one cluster (a teacher and a tuning draw, :func:`renyi_kd.layout.study_id`):
  its sampler seed and start-up design come from the cluster (:func:`sampler_seed`), the same for every method
  inside it and different across clusters, so every comparison of methods pairs within clusters.
- **Start-up design.** The first ``tuning.sampler.n_startup_trials`` trials of every study are the points
  of :func:`renyi_kd.tuning.design.startup_design`, the same for every method of a cluster (common random numbers),
  enqueued when the study is opened and never pruned; the seeded TPE sampler takes over after them.
- **Pruning** (:data:`PRUNERS`) compares a trial only with completed trials that reported at the same
  epoch, and only once ``n_startup_trials`` of them have; the epochs where it may act are the *rungs*. A trial
  validates, and so reports, only at the rungs and after its last epoch, so the pruner judges its value at
  the rung (Optuna's "best so far" is then the best over the rungs up to this one).
- **Budget.** A study is done when ``n_trials`` trials count: COMPLETE, PRUNED and FAILED trials count
  (diverging is an outcome of the hyperparameters), trials left RUNNING by a killed job and trials a worker
  started past the budget do not. A method is judged on its first ``n_trials`` counted trials by number,
  so workers racing past the budget never give it more.
- **Objective** (:data:`OBJECTIVES`): validation accuracy after the last epoch (ties: lower validation
  NLL, never the earlier trial) or validation NLL. The test split is never read while tuning.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from renyi_kd.config import Method
from renyi_kd.experiment import Experiment, PrunerConfig, SamplerConfig, own_ranges
from renyi_kd.files import digest, read_json, write_json, write_text
from renyi_kd.layout import Layout, parse_study
from renyi_kd.tuning.design import startup_design

log = logging.getLogger("renyi_kd.tuning.study")

# Trial user attributes (also columns of trials.csv).
EXCLUDED = "budget_excluded"  # why a FAILED trial does not count towards the budget
FAIL_REASON = "fail_reason"
EPOCHS_TRAINED = "epochs_trained"
SECONDS = "seconds"  # training and validation time of the trial
VAL_NLL = "val_nll"  # validation NLL after the last epoch: the tie-break of validation accuracy
WORKER = "worker"  # the worker slot that ran the trial (also a tag of its MLflow run)
DESIGN_POINT = "design_point"  # index in the shared start-up design; absent for sampler trials
# Study user attributes.
DESIGN = "startup_design"
RUN_ID = "mlflow_run_id"


@dataclass(frozen=True)
class Goal:
    """How a trial is judged: the epoch record's ``key``, its direction, and the tie-break (lower wins)."""

    direction: str
    tie_break: str | None = None

    def rank(self, value: float, tie: float | None) -> tuple[float, float]:
        """Larger is better: the study's choice is the trial with the largest rank."""
        sign = 1.0 if self.direction == "maximize" else -1.0
        return sign * value, -(tie if tie is not None else math.inf) if self.tie_break else 0.0


OBJECTIVES: dict[str, Goal] = {"val_acc": Goal("maximize", tie_break=VAL_NLL), "val_nll": Goal("minimize")}


def _percentile(settings: PrunerConfig, n_startup: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.PercentilePruner(
        percentile=settings.percentile, n_startup_trials=n_startup, n_min_trials=n_startup,
        n_warmup_steps=settings.first_epoch, interval_steps=settings.interval_epochs,
    )


def _no_pruning(settings: PrunerConfig, n_startup: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.NopPruner()


# A pruner must never judge a trial against fewer than n_startup completed trials at the same epoch.
PRUNERS: dict[str, Callable[[PrunerConfig, int], optuna.pruners.BasePruner]] = {
    "percentile": _percentile,
    "none": _no_pruning,
}


def rungs(settings: PrunerConfig, epochs: int) -> list[int]:
    """The epochs at which the pruner may stop a trial (none for ``none``; the last epoch never)."""
    if settings.name == "none":
        return []
    return list(range(settings.first_epoch, epochs, settings.interval_epochs))


def tuned_names(method: Method) -> list[str]:
    """The student alone tunes what it has (lr, weight_decay); distillation methods also T and beta; every
    method also its own listed parameters (a family's, label_smoothing), in the same budget."""
    shared = ["lr", "weight_decay", "T", "beta"] if method.uses_teacher else ["lr", "weight_decay"]
    return shared + [name for name in method.tune if name not in shared]


def sampler_seed(experiment: Experiment, teacher: int, repeat: int) -> int:
    """Cluster ``k`` (:meth:`~renyi_kd.experiment.Experiment.cluster_index`: teacher index * repeats + repeat) of
    every method uses the sampler seed ``tuning.sampler.seed + k``; with one teacher, repeat r uses
    ``tuning.sampler.seed + r``."""
    return experiment.tuning.sampler.seed + experiment.cluster_index(teacher, repeat)


def design_points(experiment: Experiment, method: Method, teacher: int, repeat: int) -> list[dict[str, float]]:
    """The cluster's start-up design, in the coordinates ``method`` tunes."""
    tuning = experiment.tuning
    return startup_design(tuning.search_space, own_ranges(method), tuned_names(method),
                          tuning.sampler.n_startup_trials, sampler_seed(experiment, teacher, repeat))


def study_name(experiment: Experiment, layout: Layout, study: str) -> str:
    """``{experiment}/{study}/{digest}``: the digest covers everything a trial's outcome depends on (search
    space, objective, epochs, sampler and the cluster's sampler seed, pruner, student, method, repeat, data and
    teacher) but not the number of trials, so a changed setting starts a new study while a larger budget
    extends this one."""
    method, teacher_seed, repeat = parse_study(study)
    excluded = ("n_trials", "repeats", "workers_per_study", "storage", "per_method")
    tuning = {k: v for k, v in experiment.tuning.as_dict().items() if k not in excluded}
    teacher = read_json(layout.teacher(teacher_seed).metrics)
    key = digest(tuning, repeat, sampler_seed(experiment, teacher_seed, repeat), experiment.tuning_budget(method)[1],
                 experiment.student.as_dict(), experiment.methods[method], teacher["weights_sha256"],
                 teacher["data_fingerprint"])
    return f"{experiment.name}/{study}/{key[:12]}"


def open_storage(spec: str | None, layout: Layout, study: str) -> optuna.storages.BaseStorage:
    """A journal file per study by default (safe for several processes and NFS hosts); an RDB URL on clusters."""
    if spec:
        return optuna.storages.RDBStorage(spec)
    path = layout.study(study).journal
    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def make_sampler(settings: SamplerConfig, seed: int) -> optuna.samplers.TPESampler:
    # Optuna 5 changed TPE defaults; every choice the protocol depends on is set here and recorded in best.json.
    return optuna.samplers.TPESampler(
        seed=seed,
        n_startup_trials=settings.n_startup_trials,
        multivariate=settings.multivariate,
        constant_liar=settings.constant_liar,
    )


def load_study(experiment: Experiment, layout: Layout, study: str, worker: int = 0) -> optuna.Study:
    """Create or reopen a study. The sampler is seeded from the cluster's sampler seed, the worker and the
    number of trials already stored: a fresh single-worker study is exactly reproducible, and a resumed study
    or a second worker does not replay the suggestions already tried."""
    tuning = experiment.tuning
    _, teacher, repeat = parse_study(study)
    loaded = optuna.create_study(
        study_name=study_name(experiment, layout, study),
        storage=open_storage(tuning.storage, layout, study),
        pruner=PRUNERS[tuning.pruner.name](tuning.pruner, tuning.sampler.n_startup_trials),
        direction=OBJECTIVES[tuning.objective].direction,
        load_if_exists=True,
    )
    stream = (worker, len(loaded.get_trials(deepcopy=False)))
    seed = sampler_seed(experiment, teacher, repeat)
    loaded.sampler = make_sampler(tuning.sampler, _derived_seed(seed, stream))
    return loaded


def _derived_seed(seed: int, stream: tuple[int, int]) -> int:
    import numpy as np

    return seed if stream == (0, 0) else int(np.random.SeedSequence([seed, *stream]).generate_state(1)[0])


def enqueue_design(study: optuna.Study, points: list[dict[str, float]]) -> None:
    """The start-up design as the study's first trials, each marked with its index (never pruned)."""
    for index, params in enumerate(points):
        study.enqueue_trial(params, user_attrs={DESIGN_POINT: index})
    study.set_user_attr(DESIGN, points)


@contextmanager
def _study_lock(layout: Layout, study: str) -> Iterator[None]:
    """Optuna's symlink lock (safe on NFS; a lock left by a killed process is broken after 30 s)."""
    target = layout.study(study).opened
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = optuna.storages.journal.JournalFileSymlinkLock(str(target), grace_period=30)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def open_study(experiment: Experiment, layout: Layout, study: str, uri: str) -> tuple[optuna.Study, str]:
    """The study and the id of its MLflow parent run, created once whichever job comes first: the first
    opener enqueues the start-up design and creates the run; later openers (other workers, a rerun after a
    kill or after a change of the worker count) find both in the study."""
    from renyi_kd.tracking.mlflow_runs import connect, open_job_run, reopen_run

    method_name, teacher, repeat = parse_study(study)
    method, tuning = experiment.methods[method_name], experiment.tuning
    with _study_lock(layout, study):
        opened = load_study(experiment, layout, study)
        if DESIGN not in opened.user_attrs:
            enqueue_design(opened, design_points(experiment, method, teacher, repeat))
        if RUN_ID in opened.user_attrs:
            connect(uri, experiment.name)
            run_id = reopen_run(opened.user_attrs[RUN_ID])
        else:
            n_trials, epochs = experiment.tuning_budget(method_name)
            params = {"method": method_name, "teacher": teacher, "repeat": repeat, "alpha": method.alpha,
                      "study": opened.study_name, "n_trials": n_trials, "epochs": epochs,
                      "objective": tuning.objective, "sampler_seed": sampler_seed(experiment, teacher, repeat),
                      "pruner": tuning.pruner.name}
            tags = {"role": "tune", "method": method_name, "teacher": str(teacher), "repeat": str(repeat)}
            run_id = open_job_run(uri, experiment.name, f"tune/{study}", params=params, tags=tags)
            opened.set_user_attr(RUN_ID, run_id)
    return opened, run_id


def report_epoch(trial: optuna.Trial, epoch: int, value: float, prune_at: Collection[int]) -> None:
    """Report the objective after ``epoch`` and stop the trial if the pruner says so at one of the rungs
    ``prune_at`` (:func:`rungs`: never after the last epoch, when stopping saves nothing); trials of the start-up
    design are never stopped."""
    trial.report(value, step=epoch)
    if epoch in prune_at and DESIGN_POINT not in trial.user_attrs and trial.should_prune():
        raise optuna.TrialPruned(f"pruned after epoch {epoch}")


def counts_towards_budget(trial: FrozenTrial) -> bool:
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    return trial.state == TrialState.FAIL and EXCLUDED not in trial.user_attrs


def fail_interrupted_trials(study: optuna.Study, slot: tuple[int, int] | None = None) -> int:
    """Trials left RUNNING by a killed job, failed and given back to the budget; a start-up design point
    among them is enqueued again, so the design is always run in full. When the job of slot
    ``(worker, workers)`` starts: those of its own slot (no other job runs it) and of slots that no longer
    exist (the study was scaled in); with no slot (no worker job runs any more): every RUNNING one."""
    def orphaned(trial: FrozenTrial) -> bool:
        if slot is None:
            return True
        owner = trial.user_attrs.get(WORKER)
        return owner == slot[0] or (isinstance(owner, int) and owner >= slot[1])

    stale = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)) if orphaned(t)]
    for trial in stale:
        study._storage.set_trial_user_attr(trial._trial_id, EXCLUDED, "interrupted: left RUNNING by a killed job")
        study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        if DESIGN_POINT in trial.user_attrs:
            study.enqueue_trial(trial.params, user_attrs={DESIGN_POINT: trial.user_attrs[DESIGN_POINT]})
    return len(stale)


def budget_trials(study: optuna.Study, n_trials: int) -> list[FrozenTrial]:
    """The trials the method is judged on: the first ``n_trials`` that count, by trial number."""
    return [t for t in study.get_trials(deepcopy=False) if counts_towards_budget(t)][:n_trials]


def budget_left(study: optuna.Study, n_trials: int) -> int:
    return max(0, n_trials - sum(counts_towards_budget(t) for t in study.get_trials(deepcopy=False)))


def optimize_with_budget(
    study: optuna.Study, objective: Callable[[optuna.Trial], float], n_trials: int, worker: int = 0
) -> list[int]:
    """Ask, evaluate, tell until ``n_trials`` trials count; other workers may share the study. A RUNNING
    trial of another worker takes a place (its slot's job fails it and takes the place back if it was
    killed). Returns the numbers of the trials this worker ran."""
    ran = []
    while budget_left(study, n_trials):
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
    """One row per trial: state, objective, the epochs and seconds it trained, every reported value
    (``intermediate``: JSON epoch -> objective), its worker, design point and parameters."""
    judged = {t.number for t in budget_trials(study, n_trials)}
    rows = []
    for t in study.get_trials(deepcopy=False):
        over = "over budget: finished past the first n_trials" if counts_towards_budget(t) and t.number not in judged else ""
        rows.append({
            "number": t.number, "state": t.state.name, "value": t.value, WORKER: t.user_attrs.get(WORKER),
            VAL_NLL: t.user_attrs.get(VAL_NLL), EPOCHS_TRAINED: t.user_attrs.get(EPOCHS_TRAINED, 0),
            SECONDS: t.user_attrs.get(SECONDS, 0.0), "counts_towards_budget": t.number in judged,
            DESIGN_POINT: t.user_attrs.get(DESIGN_POINT),
            "intermediate": json.dumps({str(step): value for step, value in sorted(t.intermediate_values.items())}),
            **{f"params_{k}": v for k, v in t.params.items()},
            FAIL_REASON: t.user_attrs.get(FAIL_REASON, t.user_attrs.get(EXCLUDED, over)),
            "datetime_start": t.datetime_start, "datetime_complete": t.datetime_complete,
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame[DESIGN_POINT] = frame[DESIGN_POINT].astype("Int64")
    return frame


def choose(trials: list[FrozenTrial], objective: str) -> FrozenTrial:
    """The completed trial with the best objective; ties go to the tie-break, never to the trial number."""
    goal = OBJECTIVES[objective]
    return max(trials, key=lambda t: goal.rank(t.value, t.user_attrs.get(goal.tie_break) if goal.tie_break else None))


def summarize(experiment: Experiment, study_id: str, study: optuna.Study) -> dict[str, Any]:
    """best.json: the chosen parameters and everything needed to audit the choice."""
    method_name, teacher, repeat = parse_study(study_id)
    method, tuning = experiment.methods[method_name], experiment.tuning
    seed = sampler_seed(experiment, teacher, repeat)
    n_trials, epochs = experiment.tuning_budget(method_name)
    counted = budget_trials(study, n_trials)
    if len(counted) < n_trials:
        raise RuntimeError(f"study {study.study_name}: {len(counted)} of {n_trials} trials count")
    complete = [t for t in counted if t.state == TrialState.COMPLETE]
    if not complete:
        reasons = sorted({t.user_attrs.get(FAIL_REASON, "pruned") for t in counted})
        raise RuntimeError(
            f"study {study.study_name}: no trial completed ({len(counted)} pruned or failed: {'; '.join(reasons)[:800]})"
        )
    best = choose(complete, tuning.objective)
    goal = OBJECTIVES[tuning.objective]
    return {
        "method": method.name, "teacher": teacher, "repeat": repeat, "divergence": method.divergence,
        "alpha": method.alpha,
        "params": best.params, "value": best.value, "best_trial": best.number,
        "n_trials": n_trials, "n_complete": len(complete),
        "n_pruned": sum(t.state == TrialState.PRUNED for t in counted),
        "n_failed": sum(t.state == TrialState.FAIL for t in counted),
        "epochs_trained": sum(t.user_attrs.get(EPOCHS_TRAINED, 0) for t in counted),
        "epochs_budget": n_trials * epochs,
        "seconds": sum(t.user_attrs.get(SECONDS, 0.0) for t in counted),
        "trial_order": [t.number for t in sorted(counted, key=lambda t: t.datetime_start)],
        "objective": {"name": tuning.objective, "direction": goal.direction, "tie_break": goal.tie_break},
        "startup_design": {"kind": "scrambled Sobol (scipy.stats.qmc), shared by every method of the cluster",
                           "seed": seed, "points": study.user_attrs.get(DESIGN, [])},
        "sampler": {"name": "TPESampler", **tuning.sampler.as_dict(), "seed": seed},
        "pruner": {**tuning.pruner.as_dict(), "rungs": rungs(tuning.pruner, epochs),
                   "min_trials_at_rung": tuning.sampler.n_startup_trials},
        "seed": tuning.seed,
    }


def close_study(experiment: Experiment, layout: Layout, study_id: str, study: optuna.Study, run_id: str) -> Path:
    """Write best.json and trials.csv and finish the study's MLflow run (every worker has ended)."""
    import mlflow

    from renyi_kd.tracking.mlflow_runs import close_stale_children

    summary = summarize(experiment, study_id, study)
    files = layout.study(study_id)
    with mlflow.start_run(run_id=run_id):
        close_stale_children(run_id)
        write_text(files.trials, trials_frame(study, summary["n_trials"]).to_csv(index=False))
        write_json(files.best, summary)
        mlflow.log_params({f"best_{k}": v for k, v in summary["params"].items()})
        mlflow.log_metrics({"best_value": summary["value"], "epochs_trained": summary["epochs_trained"],
                            "n_pruned": summary["n_pruned"], "n_failed": summary["n_failed"]})
        mlflow.log_artifact(str(files.best))
        mlflow.log_artifact(str(files.trials))
    log.info("%s: best %s %.4f with %s (%d/%d epochs trained)", study_id, summary["objective"]["name"],
             summary["value"], summary["params"], summary["epochs_trained"], summary["epochs_budget"])
    return files.best
