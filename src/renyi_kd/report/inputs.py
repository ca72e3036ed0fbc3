"""Loading the workflow's outputs for the report, each at its place in :class:`renyi_kd.layout.Layout`;
a *study* is a method's tuning study in one cluster (teacher, repeat) (:func:`renyi_kd.layout.study_id`):

- the runs table (``Layout.report.runs``): one row per final run (required); a run is
  ``(method, teacher, repeat, seed)`` (``teacher``: the teacher's seed), and a file without a ``teacher`` or
  ``repeat`` column holds teacher 0 or repeat 0 only.
- each teacher's metrics (``Layout.teacher(t).metrics``): their summary (optional).
- each study's best trial and trials (``Layout.study(study).best``, ``.trials``): the Optuna studies (optional).
- each final run's history (``Layout.final(study, seed).history``): per-epoch curves (optional).

Optional inputs that are missing give ``None`` (or an empty frame) and a logged note, never an exception.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from renyi_kd.layout import Layout, study_id
from renyi_kd.metrics import HEADLINE, METRICS
from renyi_kd.report.methods import MethodCatalog

__all__ = [
    "load_best",
    "load_histories",
    "load_runs",
    "load_teacher",
    "load_trials",
    "objective",
    "runs_columns",
    "studies",
    "tuned_parameters",
]

logger = logging.getLogger(__name__)

# The columns of runs.csv that describe a run; its metrics are those of renyi_kd.metrics.METRICS.
_RUN_COLUMNS = ("experiment", "method", "divergence", "alpha", "beta", "T", "scaling", "lr", "weight_decay", "teacher",
                "repeat", "seed", "epochs", "student_params", "teacher_model", "student")  # fmt: skip
_REQUIRED_RUNS_COLUMNS = ("method", "seed")
CLUSTER = ["teacher", "repeat"]  # a cluster: one teacher and one tuning draw (zero where runs.csv has no column)
RUN_KEY = ["method", *CLUSTER, "seed"]


def runs_columns() -> tuple[str, ...]:
    """Every column the report reads from runs.csv: the run's description and every registered metric."""
    return (*_RUN_COLUMNS, *METRICS)


def load_runs(path: Path) -> pd.DataFrame:
    """Read ``runs.csv``; check its required columns (method, seed and the headline metric) and that
    (method, teacher, repeat, seed) is unique.

    Missing optional columns are added as NaN (``teacher`` and ``repeat`` as 0: one cluster), so later steps can
    rely on every column of :func:`runs_columns` being there.
    """
    if not path.is_file():
        raise FileNotFoundError(f"runs table not found: {path} (the aggregate rule writes it)")
    runs = pd.read_csv(path)
    missing = [c for c in (*_REQUIRED_RUNS_COLUMNS, HEADLINE) if c not in runs.columns]
    if missing:
        raise ValueError(f"{path}: missing required column(s) {missing}; columns are {list(runs.columns)}")
    if runs.empty:
        raise ValueError(f"{path}: no runs")
    for column in runs_columns():
        if column not in runs.columns:
            logger.info("%s has no column %r; treated as missing", path, column)
            runs[column] = 0 if column in CLUSTER else np.nan
    runs["method"] = runs["method"].astype(str)
    for column in CLUSTER:
        runs[column] = runs[column].fillna(0).astype(int)
    runs["seed"] = runs["seed"].astype(int)
    duplicated = runs.duplicated(RUN_KEY, keep=False)
    if duplicated.any():
        keys = runs.loc[duplicated, RUN_KEY].drop_duplicates().to_records(index=False).tolist()
        raise ValueError(f"{path}: more than one run per (method, teacher, repeat, seed): {keys}")
    return runs


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def load_teacher(exp_dir: Path, runs: pd.DataFrame) -> dict[str, Any] | None:
    """The metrics of the teachers of ``runs`` (their ``teacher`` seeds) in one dict, or None (logged) when none
    are found. One teacher: its metrics.json as it is, with ``count`` 1. Several: the first one's model, parameters
    and epochs, the mean ``test_acc`` and ``val_acc`` with ``test_acc_std`` (over teachers), ``count`` and
    ``seeds``."""
    seeds = sorted(int(seed) for seed in runs["teacher"].unique())
    found = {seed: _read_json(Layout(exp_dir).teacher(seed).metrics) for seed in seeds}
    missing = [seed for seed, metrics in found.items() if metrics is None]
    if missing:
        logger.info("no teacher metrics for teacher seed(s) %s under %s: the models table and teacher sentence "
                    "summarise the others (or use the runs table only)", missing, exp_dir)  # fmt: skip
    teachers = [metrics for metrics in found.values() if metrics is not None]
    if not teachers:
        return None
    summary = {**teachers[0], "count": len(teachers), "seeds": [s for s in seeds if s not in missing]}
    if len(teachers) > 1:
        for key in ("test_acc", "val_acc"):
            values = [float(t[key]) for t in teachers if t.get(key) is not None]
            summary[key] = float(np.mean(values)) if values else None
        accuracies = [float(t["test_acc"]) for t in teachers if t.get("test_acc") is not None]
        summary["test_acc_std"] = float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else None
    return summary


def load_best(exp_dir: Path, study: str) -> dict[str, Any] | None:
    """The study's best trial as a dict, or None when the study does not exist."""
    return _read_json(Layout(exp_dir).study(study).best)


def studies(exp_dir: Path, method: str) -> list[tuple[int, int, str]]:
    """``(teacher, repeat, study id)`` of every tuning study of ``method`` found, by cluster."""
    return sorted((study.teacher, study.repeat, study_id(*study)) for study in Layout(exp_dir).studies(method))


def objective(best: dict[str, Any] | None) -> tuple[str, bool]:
    """``(name, maximize)`` of a study's objective; a best.json without one (or with a text) means val_acc."""
    spec = (best or {}).get("objective")
    if isinstance(spec, dict):
        return str(spec.get("name", "val_acc")), spec.get("direction", "maximize") == "maximize"
    return "val_acc", True


def _first(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.iloc[0]) if len(values) else float("nan")


_TUNED_COLUMNS = [
    "method", "teacher", "repeat", "alpha", "lr", "weight_decay", "T", "beta", "value", "objective", "n_trials",
    "n_complete", "n_pruned", "n_failed", "epochs_trained", "epochs_budget", "source",
]  # fmt: skip


def _tuned_row(method: str, teacher: int, repeat: int, best: dict[str, Any], alpha: float | None) -> dict[str, Any]:
    params = best.get("params") or {}
    counts = ("n_trials", "n_complete", "n_pruned", "n_failed", "epochs_trained", "epochs_budget")
    return {
        "method": method,
        "teacher": teacher,
        "repeat": repeat,
        "alpha": alpha,  # the alpha axis: Rényi in thesis scaling only (report.methods)
        **{key: params.get(key) for key in ("lr", "weight_decay", "T", "beta")},
        "value": best.get("value"),
        "objective": objective(best)[0],
        **{key: best.get(key) for key in counts},
        "source": "tune",
    }


def tuned_parameters(exp_dir: Path, runs: pd.DataFrame, methods: list[str], catalog: MethodCatalog) -> pd.DataFrame:
    """One row per study (method, teacher, repeat): alpha, lr, weight_decay, T, beta and the tuning summary.

    Values come from each study's best trial (``best.json``); a method without any falls back to the parameters
    its final runs used (``runs.csv``, one row per cluster), with the tuning columns missing and ``source = "runs"``.
    Columns: method, teacher, repeat, alpha, lr, weight_decay, T, beta, value, objective, n_trials, n_complete,
    n_pruned, n_failed, epochs_trained, epochs_budget, source.
    """
    rows = []
    fallback = []
    for method in methods:
        found = [(teacher, repeat, best) for teacher, repeat, study in studies(exp_dir, method)
                 if (best := load_best(exp_dir, study)) is not None]
        if found:
            rows += [_tuned_row(method, t, r, best, catalog.alpha(method)) for t, r, best in found]
            continue
        method_runs = runs[runs["method"] == method]
        if method_runs.empty:
            continue
        fallback.append(method)
        for (teacher, repeat), part in method_runs.groupby(CLUSTER):
            rows.append({"method": method, "teacher": int(teacher), "repeat": int(repeat),
                         "alpha": catalog.alpha(method), "source": "runs",
                         **{key: _first(part[key]) for key in ("lr", "weight_decay", "T", "beta")}})  # fmt: skip
    if fallback:
        logger.info("no tuning record for %s: hyperparameters taken from the runs table", fallback)
    frame = pd.DataFrame(rows, columns=_TUNED_COLUMNS)
    numeric = [c for c in _TUNED_COLUMNS if c not in ("method", "objective", "source")]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce")
    # A student alone has no temperature or soft-term weight, whatever the runs table carries.
    frame.loc[frame["method"].map(catalog.student_alone).astype(bool), ["T", "beta"]] = np.nan
    return frame


def load_trials(exp_dir: Path, methods: list[str], catalog: MethodCatalog | None = None) -> pd.DataFrame:
    """The trials each study is judged on (``counts_towards_budget`` in ``tune/{study}/trials.csv``), stacked,
    with ``method``, ``teacher``, ``repeat``, ``alpha``, ``objective`` and ``maximize`` columns; empty if none exist.

    Columns ``params_T``/``params_beta`` are NaN for the student alone. ``alpha`` is the method's place on the
    alpha axis (:meth:`renyi_kd.report.methods.MethodCatalog.alpha`; default catalog: the names' shorthand);
    ``best`` marks the trial the study chose (``best_trial`` in
    ``best.json``); ``objective`` and ``maximize`` name the study's objective and its direction.
    """
    catalog = catalog or MethodCatalog()
    frames = []
    for method in methods:
        for teacher, repeat, study in studies(exp_dir, method):
            path = Layout(exp_dir).study(study).trials
            if not path.is_file():
                continue
            trials = pd.read_csv(path)
            trials = trials[trials["counts_towards_budget"].astype(str).str.lower() == "true"].copy()
            best = load_best(exp_dir, study) or {}
            trials.insert(0, "repeat", repeat)
            trials.insert(0, "teacher", teacher)
            trials.insert(0, "method", method)
            trials["alpha"] = catalog.alpha(method)
            trials["best"] = trials["number"] == best.get("best_trial")  # the study's choice (with tie-break)
            trials["objective"], trials["maximize"] = objective(best)
            frames.append(trials)
    if not frames:
        logger.info("no trials of any study under %s", exp_dir)
        return pd.DataFrame(columns=["method", "teacher", "repeat", "alpha", "number", "state", "value", "params_T",
                                     "params_beta", "best", "objective", "maximize"])  # fmt: skip
    trials = pd.concat(frames, ignore_index=True)
    for column in ("params_T", "params_beta", "params_lr", "params_weight_decay", "value"):
        if column not in trials.columns:
            trials[column] = np.nan
    return trials


def load_histories(exp_dir: Path, runs: pd.DataFrame) -> pd.DataFrame:
    """The history of every final run in ``runs``, stacked with method, teacher, repeat and seed; empty if none
    exist."""
    frames = []
    for method, teacher, repeat, seed in runs[RUN_KEY].itertuples(index=False):
        path = Layout(exp_dir).final(study_id(method, int(teacher), int(repeat)), int(seed)).history
        if not path.is_file():
            continue
        history = pd.read_csv(path)
        history.insert(0, "seed", int(seed))
        history.insert(0, "repeat", int(repeat))
        history.insert(0, "teacher", int(teacher))
        history.insert(0, "method", method)
        frames.append(history)
    if not frames:
        logger.info("no history of any final run under %s", exp_dir)
        return pd.DataFrame(columns=["method", "teacher", "repeat", "seed", "epoch", "train_loss", "val_acc",
                                     "val_loss"])
    return pd.concat(frames, ignore_index=True)
