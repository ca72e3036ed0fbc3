"""``renyi-kd plan CONFIG``: an experiment's design, its cost on this machine and the smallest difference it can
detect, before anything runs.

**Design.** Clusters (``teacher.seeds`` x ``tuning.repeats``), one study per method and cluster, the trials of
the equal budget, one final run per study and seed.

**Cost.** Per-job seconds come from the last finished run of the same experiment under ``results/`` (or of
the experiment ``--like`` names, with the same data and models) when there is one: the teachers' ``wall_time_s``,
the trials' ``seconds`` per epoch, the final runs' ``wall_time_s`` per epoch. Otherwise they come from timing a
few training and inference steps of the two models here (:func:`measured_costs`). A method that trains on all of
train instead of the transfer set costs proportionally more per epoch. ``PercentilePruner(percentile=p)`` keeps
the best p% at a rung, so a share ``(100 - p) / 100`` of the trials after the start-up design is counted as
stopping at the first rung. The wall time assumes ``cores // threads`` jobs at once, stage after stage (the
per-job seconds are this machine's; ``--cores`` sizes a machine with more cores of the same speed).

**Detectable difference.** For the headline metric against the equivalence reference: with ``C >= 2`` clusters
and ``S`` seeds, a cluster's mean difference has SD ``sqrt(s_b^2 + s_w^2 / S)``, where ``s_b`` is the SD of the
true difference across clusters (teacher and tuning draw) and ``s_w`` the SD of a seed's difference inside a
cluster; the t-test on the ``C`` cluster means at Holm's first step (level ``significance / m``, ``m`` the tests of
the question) detects :func:`~renyi_kd.report.stats.minimum_detectable_difference` with ``report.power``. With
one cluster the seeds are the units (SD ``s_w``) and the claim covers one teacher and one tuning draw. ``s_b`` and
``s_w`` come from the last run's ``runs.csv`` where it can estimate them, otherwise from :data:`ASSUMED`. The test
sample's share of the variance is left out (it adds little to a paired difference).
"""

from __future__ import annotations

import glob
import json
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from renyi_kd.config import ConfigError
from renyi_kd.data.registry import DATASETS
from renyi_kd.data.split_plan import SplitSizes, census, plan_splits
from renyi_kd.experiment import Experiment
from renyi_kd.layout import RESULTS_DIR, Layout
from renyi_kd.metrics import HEADLINE
from renyi_kd.report.comparison_tables import fmt_difference
from renyi_kd.report.questions import declare_hypotheses
from renyi_kd.report.settings import report_settings
from renyi_kd.report.stats import minimum_detectable_difference
from renyi_kd.tuning.study import rungs

__all__ = ["ASSUMED", "Budget", "Costs", "Design", "Spread", "costs_from_run", "design", "detectable", "format_plan",
           "measured_costs", "plan", "spread_from_run", "stage_seconds"]

JOB_START_S = 11.0  # starting one job: Python, torch, timm and MLflow imports, data, logits and study loaded
REPORT_S = 30.0  # aggregate and report stages: tables, figures, the PDF and HTML pages (20 s on the default)


@dataclass(frozen=True)
class Spread:
    """SDs of the headline metric's paired difference: across clusters (``between``) and seeds (``within``)."""

    between: float
    within: float
    source: str


# Measured on the digits default (six clusters, two seeds each): a method's difference to KL in test accuracy
# has an SD of 0.86 points across clusters and 0.81 points across seeds inside a cluster.
ASSUMED = Spread(between=0.0086, within=0.0081,
                 source="assumed: the digits default's, measured on six clusters (README \"Planning a run\")")


@dataclass(frozen=True)
class Budget:
    """One method's study: its trials, epochs per trial, the expected epochs of a trial (pruning counted), the
    validated epochs of a full trial, and the images it trains on as a multiple of the transfer set's."""

    n_trials: int
    epochs: int
    trial_epochs: float
    validated: int
    images: float


@dataclass(frozen=True)
class Design:
    teachers: tuple[int, ...]
    repeats: int
    budgets: dict[str, Budget]  # by method
    seeds: int
    final_epochs: int
    splits: SplitSizes

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.budgets)

    @property
    def clusters(self) -> int:
        return len(self.teachers) * self.repeats

    @property
    def studies(self) -> int:
        return len(self.methods) * self.clusters

    @property
    def trials(self) -> int:
        return self.clusters * sum(b.n_trials for b in self.budgets.values())

    @property
    def tuning_epochs(self) -> float:
        """Expected trial epochs of all studies, in transfer-set epochs."""
        return self.clusters * sum(b.n_trials * b.trial_epochs * b.images for b in self.budgets.values())

    @property
    def final_runs(self) -> int:
        return self.studies * self.seeds

    @property
    def final_run_epochs(self) -> float:
        """Epochs of all final runs, in transfer-set epochs."""
        return self.clusters * self.seeds * self.final_epochs * sum(b.images for b in self.budgets.values())


@dataclass(frozen=True)
class Costs:
    """Seconds on one job slot: a teacher (training and export), a trial epoch, a final-run epoch."""

    teacher: float
    trial_epoch: float
    final_epoch: float
    source: str


def _budget(experiment: Experiment, method: str, splits: SplitSizes) -> Budget:
    tuning = experiment.tuning
    n_trials, epochs = experiment.tuning_budget(method)
    n_trials = n_trials if tuning.enabled else 0  # nothing tuned: the final runs use the fixed values
    stops = rungs(tuning.pruner, epochs)
    after_design = max(n_trials - tuning.sampler.n_startup_trials, 0) / max(n_trials, 1)
    # PercentilePruner(percentile=p) keeps the best p% at a rung: about (100 - p)% of the later trials stop there
    stopped = (100 - tuning.pruner.percentile) / 100 * after_design if stops else 0.0
    trial_epochs = epochs - stopped * (epochs - stops[0]) if stops else float(epochs)
    images = getattr(splits, experiment.methods[method].transfer) / splits.transfer
    return Budget(n_trials, epochs, trial_epochs, len(stops) + 1, images)


def design(experiment: Experiment) -> Design:
    splits = plan_splits(experiment.data.as_dict())
    return Design(
        teachers=tuple(experiment.teacher.seeds), repeats=experiment.tuning.repeats,
        budgets={method: _budget(experiment, method, splits) for method in experiment.methods},
        seeds=len(experiment.seeds), final_epochs=experiment.student.epochs, splits=splits,
    )


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def costs_from_run(experiment: Experiment, layout: Layout) -> Costs | None:
    """Per-job seconds of the last finished run in ``layout`` (None when it has no final runs yet): per epoch,
    scaled to ``experiment``'s teacher epochs (the run may be another experiment's with the same data and models)."""
    runs = _csv(layout.report.runs)
    teachers = [json.loads(Path(path).read_text()) for path in glob.glob(str(layout.teacher("*").metrics))]
    trials = [pd.read_csv(path) for path in glob.glob(str(layout.study("*/*/*").trials))]
    if runs is None or not teachers or not trials:
        return None
    trials_table = pd.concat(trials)
    teacher = float(np.mean([t["wall_time_s"] / t["epochs"] for t in teachers])) * experiment.teacher.epochs
    return Costs(
        teacher=teacher,
        trial_epoch=float(trials_table["seconds"].sum() / trials_table["epochs_trained"].sum()),
        final_epoch=float(runs["wall_time_s"].sum() / runs["epochs"].sum()),
        source=f"the last run of {layout.root.name} ({layout.root})",
    )


def _step_seconds(section, data, *, batch: int, train: bool, steps: int) -> float:
    """Seconds per image of a training (or inference) step of ``section``'s model on random images."""
    import torch

    from renyi_kd.models.factory import model_for

    model = model_for(section, data, from_file=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    images = torch.randn(batch, data.in_chans, data.image_size, data.image_size)
    labels = torch.randint(0, data.num_classes, (batch,))
    model.train(train)

    def step() -> None:
        if train:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(images), labels).backward()
            optimizer.step()
        else:
            with torch.inference_mode():
                model(images)

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / (steps * batch)


@dataclass(frozen=True)
class _Shape:
    in_chans: int
    num_classes: int
    image_size: int


def measured_costs(experiment: Experiment, plan_design: Design) -> Costs:
    """Per-job seconds from timing a few steps of the teacher and the student here (``runtime.threads``)."""
    import torch

    record = DATASETS[experiment.data.name]
    classes = census(experiment.data.as_dict()).num_classes  # the config check's count, its errors included
    shape = _Shape(record.in_chans, classes, experiment.data.image_size or record.image_size)
    splits, first = plan_design.splits, next(iter(plan_design.budgets.values()))
    torch.set_num_threads(experiment.runtime.teacher_threads)
    teacher, student = experiment.teacher, experiment.student
    t_train = _step_seconds(teacher, shape, batch=teacher.batch_size, train=True, steps=3)
    t_infer = _step_seconds(teacher, shape, batch=256, train=False, steps=2)
    torch.set_num_threads(experiment.runtime.threads)
    s_train = _step_seconds(student, shape, batch=student.batch_size, train=True, steps=10)
    s_infer = _step_seconds(student, shape, batch=256, train=False, steps=3)
    images = splits.train + splits.val + splits.test
    return Costs(
        teacher=teacher.epochs * (splits.train * t_train + splits.val * t_infer) + images * t_infer,
        trial_epoch=splits.transfer * s_train + splits.val * s_infer * first.validated / first.epochs,
        final_epoch=splits.transfer * s_train + splits.val * s_infer,
        source=f"timed here ({os.cpu_count()} cores): a few training and inference steps of each model",
    )


def stage_seconds(experiment: Experiment, plan_design: Design, costs: Costs, cores: int) -> pd.DataFrame:
    """Jobs, CPU time and wall time of each stage (``cores // threads`` jobs at once)."""
    runtime = experiment.runtime
    slots = max(cores // runtime.threads, 1)
    teacher_slots = max(cores // runtime.teacher_threads, 1)
    final_jobs = plan_design.studies * math.ceil(plan_design.seeds / experiment.final.seeds_per_job)
    tune_jobs = plan_design.studies * experiment.tuning.workers_per_study if experiment.tuning.enabled else 0
    teachers = len(plan_design.teachers)
    rows = [
        ("data", 2, 1, 2 * JOB_START_S, 2),  # the splits and the tracking store
        ("teachers", 2 * teachers, runtime.teacher_threads, teachers * (costs.teacher + 2 * JOB_START_S),
         teacher_slots),  # training and logit export
        ("tuning", tune_jobs, runtime.threads,
         plan_design.tuning_epochs * costs.trial_epoch + tune_jobs * JOB_START_S, slots),
        ("final runs", final_jobs, runtime.threads,
         plan_design.final_run_epochs * costs.final_epoch + final_jobs * JOB_START_S, slots),
        ("report", 2, 1, REPORT_S, 1),
    ]
    table = pd.DataFrame(rows, columns=["stage", "jobs", "threads", "job_seconds", "slots"])
    table["cpu_seconds"] = table["job_seconds"] * table["threads"]
    table["wall_seconds"] = [seconds / max(min(slots_, jobs), 1) for seconds, slots_, jobs
                             in zip(table["job_seconds"], table["slots"], table["jobs"])]
    return table.drop(columns="slots")


def spread_from_run(layout: Layout, metric: str, reference: str) -> Spread | None:
    """``s_b`` and ``s_w`` of ``metric``'s difference to ``reference`` in the last run's ``runs.csv``; None
    without one. With a single cluster only ``s_w`` is estimated (``s_b`` from :data:`ASSUMED`)."""
    runs = _csv(layout.report.runs)
    if runs is None or metric not in runs or reference not in set(runs["method"]):
        return None
    keys = [k for k in ("teacher", "repeat") if k in runs] + ["seed"]
    wide = runs.pivot_table(index=keys, columns="method", values=metric)
    diffs = wide.drop(columns=reference).sub(wide[reference], axis=0)
    clusters = [k for k in ("teacher", "repeat") if k in runs]
    grouped = diffs.groupby(level=clusters) if clusters else diffs.groupby(lambda _: 0)
    variances = grouped.var(ddof=1).to_numpy()
    if np.isnan(variances).all():  # one seed per cluster: the seeds' spread is not separable from the clusters'
        return None
    within = float(np.sqrt(np.nanmean(variances)))
    means = grouped.mean()
    source = f"the last run of {layout.root.name} ({layout.report.runs})"
    if len(means) < 2:
        return replace(ASSUMED, within=within, source=f"{source} (within); between {ASSUMED.source}")
    seeds = float(grouped.size().mean())
    between = float(np.sqrt(max(np.nanmean(means.var(ddof=1).to_numpy()) - within**2 / seeds, 0.0)))
    return Spread(between=between, within=within, source=source)


def detectable(experiment: Experiment, plan_design: Design, spread: Spread) -> dict:
    """The smallest difference in the headline metric to the equivalence reference found with ``report.power``."""
    settings = report_settings(experiment.report)
    reference = settings.equivalence_reference
    hypotheses, _ = declare_hypotheses(settings.questions, list(plan_design.methods))
    question = next((h.question for h in hypotheses
                     if h.metric == HEADLINE and any(map(settings.is_equivalence_reference, h.pair))), None)
    if question is None:
        raise ConfigError("report.comparisons", f"no declared question compares {HEADLINE} against {reference} "
                          "(report.equivalence_reference): there is no difference to plan for")
    tests = sum(h.question == question for h in hypotheses)
    level = settings.significance / max(tests, 1)
    if plan_design.clusters >= 2:
        units, sd = plan_design.clusters, math.sqrt(spread.between**2 + spread.within**2 / plan_design.seeds)
    else:
        units, sd = plan_design.seeds, spread.within
    return {"metric": HEADLINE, "reference": reference, "tests": tests, "level": level, "units": units, "sd": sd,
            "power": settings.power, "margin": settings.margin(HEADLINE),
            "difference": minimum_detectable_difference(sd, units, level, settings.power)}


def _listing(values: tuple[int, ...]) -> str:
    return ", ".join(map(str, values)) if len(values) <= 6 else f"{values[0]}, {values[1]}, ..., {values[-1]}"


def _budget_text(d: Design) -> str:
    """`` of 12 trials (432 trials of up to 15 epochs, 13.8 expected)``, or the total where budgets differ."""
    if len({(b.n_trials, b.epochs) for b in d.budgets.values()}) > 1:
        return f" ({d.trials} trials; budgets differ by method: tuning.per_method)"
    b = next(iter(d.budgets.values()))
    return f" of {b.n_trials} trials ({d.trials} trials of up to {b.epochs} epochs, {b.trial_epochs:.1f} expected)"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def format_plan(experiment: Experiment, plan_design: Design, costs: Costs, stages: pd.DataFrame,
                spread: Spread, power: dict, cores: int) -> str:
    d = plan_design
    metric = power["metric"]
    lines = [
        f"Plan of {experiment.name}",
        f"Design: {d.clusters} cluster(s) = {len(d.teachers)} teacher(s) (seeds {_listing(d.teachers)})"
        f" x {d.repeats} tuning draw(s); {len(d.methods)} methods -> "
        f"{f'{d.studies} studies{_budget_text(d)}' if d.trials else 'nothing tuned (tuning.enabled: false)'}; "
        f"{d.seeds} seeds -> "
        f"{d.final_runs} final runs.",
        f"Data: {d.splits.describe()}.",
        f"Cost per job from {costs.source}: a teacher {costs.teacher:.0f} s, a trial epoch {costs.trial_epoch:.2f} s, "
        f"a final-run epoch {costs.final_epoch:.2f} s (plus {JOB_START_S:g} s to start each job).",
        f"{'stage':<11}{'jobs':>6}{'CPU time':>12}{'wall time':>12}",
    ]
    lines += [f"{row.stage:<11}{row.jobs:>6}{_minutes(row.cpu_seconds):>12}{_minutes(row.wall_seconds):>12}"
              for row in stages.itertuples()]
    lines.append(f"{'total':<11}{stages['jobs'].sum():>6}{_minutes(stages['cpu_seconds'].sum()):>12}"
                 f"{_minutes(stages['wall_seconds'].sum()):>12}   (on {cores} cores, "
                 f"{max(cores // experiment.runtime.threads, 1)} jobs at once)")
    unit = "cluster means" if d.clusters >= 2 else "seeds (one teacher and one tuning draw: the claims cover them only)"
    sd_text = (f"sqrt(between {fmt_difference(metric, spread.between).lstrip('+')}^2 + seed "
               f"{fmt_difference(metric, spread.within).lstrip('+')}^2 / {d.seeds})" if d.clusters >= 2
               else f"seed {fmt_difference(metric, spread.within).lstrip('+')}")
    margin = power["margin"]
    lines.append(
        f"Detectable difference in {metric} to {power['reference']}: "
        f"{fmt_difference(metric, power['difference']).lstrip('+')} with {100 * power['power']:g}% power "
        f"(a t-test on {power['units']} {unit}; Holm over {power['tests']} tests: level {power['level']:.4f}; "
        f"SD of a unit's difference {fmt_difference(metric, power['sd']).lstrip('+')} = {sd_text}; SDs from "
        f"{spread.source})"
        + (f"; equivalence margin {fmt_difference(metric, margin).lstrip('+')}." if margin else ".")
    )
    return "\n".join(lines)


def plan(experiment: Experiment, results: Path = RESULTS_DIR, *, like: str | None = None, spread: Spread | None = None,
         measure: bool = False, cores: int | None = None) -> str:
    """The plan of ``experiment`` as text. Costs and SDs come from the last run of ``like`` (default: the
    experiment itself); ``spread`` overrides the SDs, ``measure`` times the models even where a run exists,
    ``cores`` sizes the wall time for another machine (default: this one's)."""
    cores = cores or os.cpu_count() or 1
    layout = Layout.of(like or experiment.name, results)
    plan_design = design(experiment)
    costs = None if measure else costs_from_run(experiment, layout)
    costs = costs or measured_costs(experiment, plan_design)
    stages = stage_seconds(experiment, plan_design, costs, cores)
    reference = report_settings(experiment.report).equivalence_reference
    spread = spread or spread_from_run(layout, HEADLINE, reference) or ASSUMED
    power = detectable(experiment, plan_design, spread)
    return format_plan(experiment, plan_design, costs, stages, spread, power, cores)
