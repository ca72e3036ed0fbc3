"""Loading the workflow's outputs for the report.

Layout under an experiment folder ``exp_dir = results/{exp}/`` (DESIGN.md section 2):

- ``report/runs.csv``: one row per final run (required).
- ``teacher/metrics.json``: the teacher's summary (optional).
- ``tune/{method}/best.json`` and ``tune/{method}/trials.csv``: the Optuna studies (optional).
- ``final/{method}/seed{k}/history.csv``: per-epoch curves of the final runs (optional).

Optional inputs that are missing give ``None`` (or an empty frame) and a logged note, never an exception.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from renyi_kd.report.methods import method_alpha

__all__ = [
    "RUNS_COLUMNS",
    "load_histories",
    "load_runs",
    "load_teacher",
    "load_trials",
    "tuned_parameters",
]

logger = logging.getLogger(__name__)

RUNS_COLUMNS = (
    "experiment",
    "method",
    "divergence",
    "alpha",
    "beta",
    "T",
    "scaling",
    "lr",
    "weight_decay",
    "seed",
    "test_acc",
    "test_nll",
    "test_ece",
    "agreement",
    "fidelity_kl",
    "epochs",
    "wall_time_s",
    "student_params",
    "teacher",
    "student",
)
_REQUIRED_RUNS_COLUMNS = ("method", "seed", "test_acc")
_SEED_DIR = re.compile(r"^seed(?P<seed>\d+)$")


def load_runs(path: Path) -> pd.DataFrame:
    """Read ``runs.csv``; check its required columns and that (method, seed) is unique.

    Missing optional columns are added as NaN, so later steps can rely on every column of
    :data:`RUNS_COLUMNS` being there.
    """
    if not path.is_file():
        raise FileNotFoundError(f"runs table not found: {path} (the aggregate rule writes it)")
    runs = pd.read_csv(path)
    missing = [c for c in _REQUIRED_RUNS_COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"{path}: missing required column(s) {missing}; columns are {list(runs.columns)}")
    for column in RUNS_COLUMNS:
        if column not in runs.columns:
            logger.info("%s has no column %r; treated as missing", path, column)
            runs[column] = np.nan
    runs["method"] = runs["method"].astype(str)
    duplicated = runs.duplicated(["method", "seed"], keep=False)
    if duplicated.any():
        pairs = runs.loc[duplicated, ["method", "seed"]].drop_duplicates().to_records(index=False).tolist()
        raise ValueError(f"{path}: more than one run per (method, seed): {pairs}")
    if runs.empty:
        raise ValueError(f"{path}: no runs")
    return runs


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def load_teacher(exp_dir: Path) -> dict[str, Any] | None:
    """``teacher/metrics.json`` as a dict, or None (logged) when it is missing."""
    path = exp_dir / "teacher" / "metrics.json"
    teacher = _read_json(path)
    if teacher is None:
        logger.info("no teacher metrics at %s: the models table and teacher sentence use runs.csv only", path)
    return teacher


def load_best(exp_dir: Path, method: str) -> dict[str, Any] | None:
    """``tune/{method}/best.json`` as a dict, or None when the method was not tuned."""
    return _read_json(exp_dir / "tune" / method / "best.json")


def _first(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.iloc[0]) if len(values) else float("nan")


def tuned_parameters(exp_dir: Path, runs: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """One row per method: alpha, lr, weight_decay, T, beta and the tuning summary.

    Values come from ``tune/{method}/best.json``; a method without one falls back to the parameters its
    final runs used (``runs.csv``), with the tuning columns missing and ``source = "runs"``.
    Columns: method, alpha, lr, weight_decay, T, beta, value, n_trials, n_complete, n_pruned, n_failed,
    epochs_trained, epochs_budget, source.
    """
    rows = []
    fallback = []
    for method in methods:
        best = load_best(exp_dir, method)
        alpha = method_alpha(method)
        if best is not None:
            params = best.get("params") or {}
            if best.get("alpha") is not None:
                alpha = float(best["alpha"])
            rows.append(
                {
                    "method": method,
                    "alpha": alpha,
                    "lr": params.get("lr"),
                    "weight_decay": params.get("weight_decay"),
                    "T": params.get("T"),
                    "beta": params.get("beta"),
                    "value": best.get("value"),
                    "n_trials": best.get("n_trials"),
                    "n_complete": best.get("n_complete"),
                    "n_pruned": best.get("n_pruned"),
                    "n_failed": best.get("n_failed"),
                    "epochs_trained": best.get("epochs_trained"),
                    "epochs_budget": best.get("epochs_budget"),
                    "source": "tune",
                }
            )
            continue
        method_runs = runs[runs["method"] == method]
        if method_runs.empty:
            continue
        fallback.append(method)
        rows.append(
            {
                "method": method,
                "alpha": alpha,
                **{key: _first(method_runs[key]) for key in ("lr", "weight_decay", "T", "beta")},
                "source": "runs",
            }
        )
    if fallback:
        logger.info("no tune/{method}/best.json for %s: hyperparameters taken from runs.csv", fallback)
    columns = [
        "method", "alpha", "lr", "weight_decay", "T", "beta", "value", "n_trials", "n_complete",
        "n_pruned", "n_failed", "epochs_trained", "epochs_budget", "source",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    numeric = [c for c in columns if c not in ("method", "source")]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce")
    if "ce" in set(frame["method"]):
        # A student alone has no temperature or soft-term weight, whatever the runs table carries.
        frame.loc[frame["method"] == "ce", ["T", "beta"]] = np.nan
    return frame


def load_trials(exp_dir: Path, methods: list[str]) -> pd.DataFrame:
    """The trials each method is judged on (``counts_towards_budget`` in ``tune/{method}/trials.csv``), stacked,
    with ``method`` and ``alpha`` columns; empty if none exist.

    Columns ``params_T``/``params_beta`` are NaN for ``ce``. ``alpha`` comes from ``best.json`` when present,
    else from the method name; ``best`` marks the trial the study chose (``best_trial`` in ``best.json``).
    """
    frames = []
    for method in methods:
        path = exp_dir / "tune" / method / "trials.csv"
        if not path.is_file():
            continue
        trials = pd.read_csv(path)
        trials = trials[trials["counts_towards_budget"]].copy()
        trials.insert(0, "method", method)
        best = load_best(exp_dir, method)
        alpha = best.get("alpha") if best else None
        trials["alpha"] = float(alpha) if alpha is not None else method_alpha(method)
        trials["best"] = trials["number"] == (best or {}).get("best_trial")  # the study's choice (with tie-break)
        frames.append(trials)
    if not frames:
        logger.info("no tune/*/trials.csv under %s", exp_dir)
        return pd.DataFrame(columns=["method", "alpha", "number", "state", "value", "params_T", "params_beta"])
    trials = pd.concat(frames, ignore_index=True)
    for column in ("params_T", "params_beta", "params_lr", "params_weight_decay", "value"):
        if column not in trials.columns:
            trials[column] = np.nan
    return trials


def load_histories(exp_dir: Path, methods: list[str]) -> pd.DataFrame:
    """All ``final/{method}/seed{k}/history.csv`` stacked with ``method`` and ``seed``; empty if none exist."""
    frames = []
    for method in methods:
        method_dir = exp_dir / "final" / method
        if not method_dir.is_dir():
            continue
        for seed_dir in sorted(method_dir.iterdir()):
            match = _SEED_DIR.match(seed_dir.name)
            path = seed_dir / "history.csv"
            if match is None or not path.is_file():
                continue
            history = pd.read_csv(path)
            history.insert(0, "seed", int(match["seed"]))
            history.insert(0, "method", method)
            frames.append(history)
    if not frames:
        logger.info("no final/*/seed*/history.csv under %s", exp_dir)
        return pd.DataFrame(columns=["method", "seed", "epoch", "train_loss", "val_acc", "val_loss"])
    return pd.concat(frames, ignore_index=True)
