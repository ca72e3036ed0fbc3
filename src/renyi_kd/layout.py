"""Where every result of an experiment lives: the one module that spells a result file's name.

``Layout(exp_dir)`` names every file and folder of one experiment (``results/{experiment}/``); the Snakefile's
outputs and every stage of the package read their paths from it, so no stage rebuilds another's path::

    layout = Layout("results/digits-default")
    layout.teacher.weights                    # results/digits-default/teacher/model.safetensors
    layout.study("kl").best                   # .../tune/kl/best.json
    layout.final("kl", 3).metrics             # .../final/kl/seed3/metrics.json
    layout.report.table("main", "tex")        # .../report/tables/main.tex

Any argument may be a Snakemake wildcard (``layout.final("{study}", "{seed}").metrics``), so the rules'
patterns come from the same names as the files the package writes.

A *study* is one method's tuning study, or one of its independent repeats (``tuning.repeats``): its id is
the method name for repeat 0 and ``{method}/repeat{r}`` for repeat r > 0, so the default layout (one repeat)
reads ``tune/kl/best.json`` and ``final/kl/seed3/metrics.json``, and repeats nest under their method.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_REPEAT = re.compile(r"^(?P<method>[^/]+)/repeat(?P<repeat>[1-9][0-9]*)$")

RESULTS_DIR = Path("results")
TRACKING_STORE = "mlflow.db"  # the embedded MLflow store, in the results folder beside every experiment
ARTIFACTS_DIR = "mlartifacts"


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


def _file(name: str, doc: str = "") -> property:
    """The file ``name`` in a folder record's ``dir``: each result file's name is spelled once."""
    return property(lambda files: files.dir / name, doc=doc or name)


@dataclass(frozen=True)
class TeacherFiles:
    """``teacher/``: the trained teacher and its exported logits."""

    dir: Path

    weights = _file("model.safetensors")
    metrics = _file("metrics.json")
    history = _file("history.csv")
    checkpoint = _file("checkpoint.safetensors", "Training state for resuming a killed job; removed once written.")
    logits = _file("logits.safetensors")


@dataclass(frozen=True)
class StudyFiles:
    """``tune/{study}/``: the journal, the record of the study and its workers."""

    dir: Path

    journal = _file("study.journal")
    best = _file("best.json")
    trials = _file("trials.csv")
    opened = _file("open", "The marker of a study whose start-up design and MLflow run exist.")

    def worker(self, worker: int | str) -> Path:
        return self.dir / "workers" / f"{worker}.json"


@dataclass(frozen=True)
class RunFiles:
    """``final/{study}/seed{seed}/``: one final run."""

    dir: Path

    metrics = _file("metrics.json")
    history = _file("history.csv")
    predictions = _file("predictions.safetensors")
    checkpoint = _file("checkpoint.safetensors")


@dataclass(frozen=True)
class ReportFiles:
    """``report/``: the runs table, the report and its tables and figures."""

    dir: Path

    runs = _file("runs.csv")
    accuracy = _file("accuracy.md", "The aggregate stage's first look at the results (before any statistics).")
    document = _file("report.md")
    html = _file("report.html", "``snakemake --report``'s page.")
    tables = _file("tables")
    figures = _file("figures")

    def table(self, name: str, ext: str) -> Path:
        return self.tables / f"{name}.{ext}"

    def figure(self, name: str, ext: str) -> Path:
        return self.figures / f"{name}.{ext}"


@dataclass(frozen=True)
class Layout:
    """Every result file of the experiment whose folder is ``root`` (``results/{experiment}``)."""

    root: Path

    def __init__(self, root: str | Path) -> None:
        object.__setattr__(self, "root", Path(root))

    @classmethod
    def of(cls, experiment: str, results: str | Path = RESULTS_DIR) -> Layout:
        return cls(Path(results) / experiment)

    @property
    def results(self) -> Path:
        """The folder shared by every experiment (the MLflow store and artifacts)."""
        return self.root.parent

    @property
    def tracking_store(self) -> Path:
        return self.results / TRACKING_STORE

    @property
    def artifacts(self) -> Path:
        return self.results / ARTIFACTS_DIR

    @property
    def tracking(self) -> Path:
        """The MLflow store and experiment this workflow's jobs log to."""
        return self.root / "tracking.json"

    @property
    def splits(self) -> Path:
        return self.root / "data" / "splits.json"

    @property
    def teacher(self) -> TeacherFiles:
        return TeacherFiles(self.root / "teacher")

    def study(self, study: str) -> StudyFiles:
        return StudyFiles(self.root / "tune" / study)

    def final(self, study: str, seed: int | str) -> RunFiles:
        return RunFiles(self.root / "final" / study / f"seed{seed}")

    @property
    def report(self) -> ReportFiles:
        return ReportFiles(self.root / "report")

    def log(self, *parts: str) -> Path:
        """``logs/{parts}.log``: one log file per job."""
        *folders, name = parts
        return self.root.joinpath("logs", *folders, f"{name}.log")
