"""The experiment as frozen, typed sections: built once from the validated config, read by every stage.

:func:`renyi_kd.config.validate_config` checks a config and fills in its defaults (a dict, which Snakemake
needs); :meth:`Experiment.from_config` turns that dict into the sections below, with the methods derived
once as :class:`~renyi_kd.config.Method` records. Stage functions take the experiment (or the section they
read); no stage reads a nested config dict by string keys.

A workflow rule passes its job only the config sections the job reads (so that changing another section
reruns nothing): the sections it leaves out are ``None`` here. Every section's :meth:`~Section.as_dict`
gives back its validated mapping, the form that digests of checkpoints and studies were always taken of.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from renyi_kd.config import Method, load_config, method_from_config


class Section:
    """A config section: a frozen dataclass whose fields are the section's keys."""

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> Any:
        """From the validated mapping; sections with nested sections override this."""
        return cls(**section)

    def as_dict(self) -> dict[str, Any]:
        """The validated mapping the section was built from (digests of cached results are taken of it)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DataConfig(Section):
    """``data``: which dataset, where, and how it is split (see :mod:`renyi_kd.data.split_plan`)."""

    name: str
    root: str | None
    download: bool
    image_size: int | None
    val_fraction: float
    test_fraction: float
    transfer_size: int | None
    omit_classes: tuple[int, ...]
    split_seed: int
    augmentation: str
    num_workers: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DataConfig:
        return cls(**{**section, "omit_classes": tuple(section["omit_classes"])})


@dataclass(frozen=True)
class OptimizerConfig(Section):
    name: str
    lr: float
    weight_decay: float
    momentum: float
    nesterov: bool


@dataclass(frozen=True)
class ScheduleConfig(Section):
    name: str
    warmup_epochs: int
    milestones: tuple[int, ...]
    gamma: float


@dataclass(frozen=True)
class ModelConfig(Section):
    """``student`` (and the shared part of ``teacher``): the timm model and how it is trained."""

    model: str
    pretrained_file: str | None
    model_kwargs: dict[str, Any]
    stem: str
    epochs: int
    batch_size: int
    optimizer: OptimizerConfig
    schedule: ScheduleConfig

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ModelConfig:
        schedule = section["schedule"]
        return cls(**{**section, "optimizer": OptimizerConfig(**section["optimizer"]),
                      "schedule": ScheduleConfig(**{**schedule, "milestones": tuple(schedule["milestones"])})})


@dataclass(frozen=True)
class TeacherConfig(ModelConfig):
    """``teacher``: the model, trained once per seed of ``seeds`` (K teachers on the same splits)."""

    seeds: tuple[int, ...] = (0,)

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> TeacherConfig:
        return super().from_config({**section, "seeds": tuple(section["seeds"])})


@dataclass(frozen=True)
class DistillationConfig(Section):
    """``distillation``: which teacher outputs the students compare with, and the defaults of every method
    (applied once, to the :class:`~renyi_kd.config.Method` records; None where the teacher-logit export's rule
    leaves them out, so that changing them does not rerun the export)."""

    teacher_outputs: str
    views: int
    beta: float | None = None
    T: float | None = None
    scaling: str | None = None


@dataclass(frozen=True)
class SearchRange(Section):
    """A tuned parameter's range (log-uniform where ``log``)."""

    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class SamplerConfig(Section):
    seed: int
    n_startup_trials: int
    multivariate: bool
    constant_liar: bool


@dataclass(frozen=True)
class PrunerConfig(Section):
    name: str
    percentile: float
    first_epoch: int
    interval_epochs: int


@dataclass(frozen=True)
class TuningConfig(Section):
    """``tuning``: the budget, objective, sampler, pruner and shared search space of every method's study.

    ``workers_per_study`` is 1 where a rule leaves it out: scaling a study out or in keeps the study."""

    enabled: bool
    n_trials: int
    epochs: int | None
    seed: int
    objective: str
    repeats: int
    sampler: SamplerConfig
    pruner: PrunerConfig
    search_space: dict[str, SearchRange]
    storage: str | None
    per_method: dict[str, dict[str, int]]
    allow_unequal_budgets: bool
    workers_per_study: int = 1

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> TuningConfig:
        return cls(**{**section, "sampler": SamplerConfig(**section["sampler"]),
                      "pruner": PrunerConfig(**section["pruner"]),
                      "search_space": {name: SearchRange(**r) for name, r in section["search_space"].items()}})


@dataclass(frozen=True)
class FinalConfig(Section):
    seeds_per_job: int


@dataclass(frozen=True)
class RuntimeConfig(Section):
    """``runtime``: the device and the threads of a job (see :class:`renyi_kd.training.runtime.Runtime`)."""

    device: str
    amp: bool
    channels_last: bool
    threads: int
    teacher_threads: int
    progress: str


@dataclass(frozen=True)
class TrackingConfig(Section):
    uri: str | None


def _section(kind: type[Section], config: Mapping[str, Any], key: str) -> Any:
    """Section ``key`` of ``config``, or None where a rule left it out."""
    return kind.from_config(config[key]) if key in config else None


@dataclass(frozen=True)
class Experiment:
    """One experiment: its name, its typed sections and its methods (by name, in config order).

    Every job reads ``name``, ``runtime`` and ``tracking``; the other sections are None where the job's rule
    leaves them out. ``report`` is the validated ``report`` mapping (:class:`renyi_kd.report.settings.
    ReportSettings` types it)."""

    name: str
    runtime: RuntimeConfig
    tracking: TrackingConfig
    data: DataConfig | None = None
    teacher: TeacherConfig | None = None
    student: ModelConfig | None = None
    distillation: DistillationConfig | None = None
    methods: dict[str, Method] = field(default_factory=dict)
    tuning: TuningConfig | None = None
    final: FinalConfig | None = None
    seeds: tuple[int, ...] = ()
    report: Mapping[str, Any] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Experiment:
        """From a validated config, or the slice of one that a rule passes its job."""
        return cls(
            name=config["experiment"],
            runtime=RuntimeConfig.from_config(config["runtime"]),
            tracking=TrackingConfig.from_config(config["tracking"]),
            data=_section(DataConfig, config, "data"),
            teacher=_section(TeacherConfig, config, "teacher"),
            student=_section(ModelConfig, config, "student"),
            distillation=_section(DistillationConfig, config, "distillation"),
            methods={name: method_from_config(config, name) for name in config.get("methods", {})},
            tuning=_section(TuningConfig, config, "tuning"),
            final=_section(FinalConfig, config, "final"),
            seeds=tuple(config.get("seeds", ())),
            report=config.get("report"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Experiment:
        """A YAML config file, validated (:func:`renyi_kd.config.load_config`)."""
        return cls.from_config(load_config(path))

    @property
    def clusters(self) -> list[tuple[int, int]]:
        """Every cluster ``(teacher seed, repeat)``, in cluster order (:meth:`cluster_index`)."""
        return [(teacher, repeat) for teacher in self.teacher.seeds for repeat in range(self.tuning.repeats)]

    def cluster_index(self, teacher: int, repeat: int) -> int:
        """``k = teacher index * tuning.repeats + repeat``: 0 for the first teacher's first draw, and ``repeat``
        for every draw of the first teacher, so one teacher numbers its clusters by repeat."""
        if teacher not in self.teacher.seeds:
            raise ValueError(f"teacher {teacher} is not one of teacher.seeds {list(self.teacher.seeds)}")
        if not 0 <= repeat < self.tuning.repeats:
            raise ValueError(f"repeat {repeat} is not below tuning.repeats {self.tuning.repeats}")
        return self.teacher.seeds.index(teacher) * self.tuning.repeats + repeat

    def tuning_budget(self, method: str) -> tuple[int, int]:
        """(trials, epochs per trial) of a method's study: the same for every method unless explicitly allowed."""
        override = self.tuning.per_method.get(method, {})
        epochs = self.tuning.epochs or self.student.epochs
        return override.get("n_trials", self.tuning.n_trials), override.get("epochs", epochs)

    def search_ranges(self, method: Method) -> dict[str, SearchRange]:
        """The range of every parameter ``method`` tunes: the experiment's shared space, then its own."""
        return {**self.tuning.search_space, **own_ranges(method)}


def own_ranges(method: Method) -> dict[str, SearchRange]:
    """The ranges of the extra parameters ``method`` tunes (a family's, ``label_smoothing``)."""
    return {name: SearchRange(**bounds) for name, bounds in method.tune.items()}
