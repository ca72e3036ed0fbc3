"""Where every result of an experiment lives: the one module that spells a result file's name.

``Layout(exp_dir)`` names every file and folder of one experiment (``results/{experiment}/``); the Snakefile's
outputs and every stage of the package read their paths from it, so no stage rebuilds another's path::

    layout = Layout("results/digits-default")
    layout.teacher(0).weights                 # results/digits-default/teacher/seed0/model.safetensors
    layout.study("kl/teacher0/repeat0").best  # .../tune/kl/teacher0/repeat0/best.json
    layout.final("kl/teacher0/repeat0", 3).metrics   # .../final/kl/teacher0/repeat0/seed3/metrics.json
    layout.report.table("main", "tex")        # .../report/tables/main.tex

Any argument may be a Snakemake wildcard (``layout.final("{study}", "{seed}").metrics``), so the rules'
patterns come from the same names as the files the package writes.

A *cluster* is one teacher (``teacher.seeds``: each teacher is named by its training seed) and one tuning draw
(``tuning.repeats``). A *study* is one method's tuning study in one cluster: its id is
``{method}/teacher{t}/repeat{r}`` (:func:`study_id`), the same scheme for one cluster as for many, so the
files of a method nest by teacher, then by repeat, and the final runs of a study under ``final/{study}/``.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

_NUMBER = r"(?:0|[1-9][0-9]*)"
_STUDY = re.compile(rf"^(?P<method>[^/]+)/teacher(?P<teacher>{_NUMBER})/repeat(?P<repeat>{_NUMBER})$")

RESULTS_DIR = Path("results")
TRACKING_STORE = "mlflow.db"  # the embedded MLflow store, in the results folder beside every experiment
ARTIFACTS_DIR = "mlartifacts"


class Study(NamedTuple):
    """What a study id names: the method, the teacher's seed and the tuning repeat."""

    method: str
    teacher: int
    repeat: int


def study_id(method: str, teacher: int, repeat: int = 0) -> str:
    """``kl/teacher0/repeat0``: method ``kl``, the teacher of seed 0, tuning repeat 0."""
    if teacher < 0 or repeat < 0:
        raise ValueError(f"teacher and repeat must be >= 0, got teacher {teacher}, repeat {repeat}")
    return f"{method}/teacher{teacher}/repeat{repeat}"


def parse_study(study: str) -> Study:
    """Inverse of :func:`study_id`."""
    match = _STUDY.match(study)
    if match is None:
        raise ValueError(f"{study!r} is not a study id (METHOD/teacherT/repeatR, e.g. kl/teacher0/repeat0)")
    return Study(match["method"], int(match["teacher"]), int(match["repeat"]))


def study_ids(methods: list[str], teachers: list[int] | tuple[int, ...], repeats: int) -> list[str]:
    """Every study of an experiment, method by method, then cluster by cluster (teacher, then repeat)."""
    return [study_id(method, teacher, repeat)
            for method in methods for teacher in teachers for repeat in range(repeats)]


def study_pattern(methods: list[str]) -> str:
    """Regular expression of the study ids of ``methods`` (a Snakemake wildcard constraint)."""
    names = "|".join(re.escape(m) for m in sorted(methods, key=len, reverse=True))
    return rf"(?:{names})/teacher{_NUMBER}/repeat{_NUMBER}"


def _file(name: str, doc: str = "") -> property:
    """The file ``name`` in a folder record's ``dir``: each result file's name is spelled once."""
    return property(lambda files: files.dir / name, doc=doc or name)


@dataclass(frozen=True)
class TeacherFiles:
    """``teacher/seed{t}/``: the teacher trained with seed ``t`` and its exported logits."""

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
    """``final/{study}/seed{seed}/``: one final run (a study's chosen hyperparameters, one seed)."""

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

    def teacher(self, seed: int | str) -> TeacherFiles:
        """The files of the teacher trained with ``seed`` (one of ``teacher.seeds``)."""
        return TeacherFiles(self.root / "teacher" / f"seed{seed}")

    def study(self, study: str) -> StudyFiles:
        return StudyFiles(self.root / "tune" / study)

    def studies(self, method: str) -> list[Study]:
        """The studies of ``method`` that have a folder, by cluster."""
        folders = (self.root / "tune").glob(f"{glob.escape(method)}/teacher*/repeat*")
        ids = ("/".join(folder.relative_to(self.root / "tune").parts) for folder in folders if folder.is_dir())
        return sorted(parse_study(study) for study in ids if _STUDY.match(study))

    def final(self, study: str, seed: int | str) -> RunFiles:
        return RunFiles(self.root / "final" / study / f"seed{seed}")

    @property
    def report(self) -> ReportFiles:
        return ReportFiles(self.root / "report")

    def log(self, *parts: str) -> Path:
        """``logs/{parts}.log``: one log file per job."""
        *folders, name = parts
        return self.root.joinpath("logs", *folders, f"{name}.log")
