"""Where every result of an experiment lives: the one module the rules and the package both use.

A *study* is one method's tuning study, or one of its independent repeats (``tuning.repeats``): its id is
the method name for repeat 0 and ``{method}/repeat{r}`` for repeat r > 0, so the default layout (one repeat)
reads ``tune/kl/best.json`` and ``final/kl/seed3/metrics.json``, and repeats nest under their method.
No stage builds another stage's path by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

_REPEAT = re.compile(r"^(?P<method>[^/]+)/repeat(?P<repeat>[1-9][0-9]*)$")


def study_id(method: str, repeat: int = 0) -> str:
    """``kl`` for repeat 0, ``kl/repeat2`` for repeat 2."""
    if repeat < 0:
        raise ValueError(f"repeat must be >= 0, got {repeat}")
    return method if repeat == 0 else f"{method}/repeat{repeat}"


def parse_study(study: str) -> tuple[str, int]:
    """Inverse of :func:`study_id`: ``(method, repeat)``."""
    match = _REPEAT.match(study)
    return (match["method"], int(match["repeat"])) if match else (study, 0)


def study_ids(methods: list[str], repeats: int) -> list[str]:
    """Every study of an experiment, method by method."""
    return [study_id(method, repeat) for method in methods for repeat in range(repeats)]


def study_pattern(methods: list[str]) -> str:
    """Regular expression of the study ids of ``methods`` (a Snakemake wildcard constraint)."""
    names = "|".join(re.escape(m) for m in sorted(methods, key=len, reverse=True))
    return rf"(?:{names})(?:/repeat[1-9][0-9]*)?"


def tracking_file(exp_dir: Path) -> Path:
    return Path(exp_dir) / "tracking.json"


def splits_file(exp_dir: Path) -> Path:
    return Path(exp_dir) / "data" / "splits.json"


def teacher_dir(exp_dir: Path) -> Path:
    return Path(exp_dir) / "teacher"


def tune_dir(exp_dir: Path, study: str) -> Path:
    """``tune/{study}/``: the journal, best.json, trials.csv and the worker records of one study."""
    return Path(exp_dir) / "tune" / study


def worker_file(exp_dir: Path, study: str, worker: int) -> Path:
    return tune_dir(exp_dir, study) / "workers" / f"{worker}.json"


def best_file(exp_dir: Path, study: str) -> Path:
    return tune_dir(exp_dir, study) / "best.json"


def trials_file(exp_dir: Path, study: str) -> Path:
    return tune_dir(exp_dir, study) / "trials.csv"


def final_dir(exp_dir: Path, study: str, seed: int) -> Path:
    """``final/{study}/seed{seed}/``: metrics.json, history.csv, predictions.safetensors of one final run."""
    return Path(exp_dir) / "final" / study / f"seed{seed}"


def metrics_file(exp_dir: Path, study: str, seed: int) -> Path:
    return final_dir(exp_dir, study, seed) / "metrics.json"


def history_file(exp_dir: Path, study: str, seed: int) -> Path:
    return final_dir(exp_dir, study, seed) / "history.csv"


def predictions_file(exp_dir: Path, study: str, seed: int) -> Path:
    return final_dir(exp_dir, study, seed) / "predictions.safetensors"


def report_dir(exp_dir: Path) -> Path:
    return Path(exp_dir) / "report"


def runs_file(exp_dir: Path) -> Path:
    return report_dir(exp_dir) / "runs.csv"
