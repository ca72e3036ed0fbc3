"""How well the workflow uses its cores, and what caching the teacher's logits costs a student epoch.

1. The last finished run of the default experiment (its Snakemake log under .snakemake/log/): wall time
   against the training and validation seconds it did (teacher, every tuning trial, every final run),
   divided by the cores it had. The efficiency ratio is ``wall / (seconds / cores)``: 1 would be every core
   training all the time; the rest is process start-up, bookkeeping, the report and idle cores. The
   teacher's seconds count once per thread it ran on (``runtime.teacher_threads``): core-seconds of work.
2. One student epoch (training + validation) distilling from cached teacher logits against one epoch of
   the student alone on the same data: the cost of the soft term and the logit lookup (the bound for cached
   distillation: nothing runs the teacher). Median of repeated epochs, one thread.

Usage: .venv/bin/python bench/bench_workflow.py [--config config.yaml]   (`make bench` runs it)
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout, study_ids

ROOT = Path(__file__).resolve().parents[1]


def last_finished_log(report: Path) -> Path | None:
    """The newest Snakemake log that built ``report`` and ended with every step done."""
    for log in sorted((ROOT / ".snakemake" / "log").glob("*.snakemake.log"), reverse=True):
        text = log.read_text(errors="replace")
        if str(report) in text and re.search(r"\d+ of \d+ steps \(100%\) done", text):
            return log
    return None


def seconds(text: str) -> float:
    hours, minutes, rest = text.split(":")
    return 3600 * int(hours) + 60 * int(minutes) + float(rest)


def training_seconds(experiment: Experiment, layout: Layout) -> dict[str, float]:
    """Core-seconds of training and validation epochs, by stage, from the run's own records."""
    teachers = _seconds(layout.teacher(seed).history for seed in experiment.teacher.seeds)
    teacher = experiment.runtime.teacher_threads * teachers
    studies = study_ids(list(experiment.methods), experiment.teacher.seeds, experiment.tuning.repeats)
    trials = _seconds(layout.study(study).trials for study in studies)  # none where tuning is off
    finals = _seconds(layout.final(study, seed).history for study in studies for seed in experiment.seeds)
    return {"teacher": float(teacher), "tuning trials": float(trials), "final runs": float(finals)}


def _seconds(records: Iterable[Path]) -> float:
    return sum(pd.read_csv(path)["seconds"].sum() for path in records if path.is_file())


def workflow_efficiency(experiment: Experiment) -> None:
    layout = Layout.of(experiment.name, ROOT / "results")
    log = last_finished_log(Layout.of(experiment.name).report.document)
    if log is None:
        print(f"workflow: no finished run of {experiment.name} under .snakemake/log/ (run `make run` first)")
        return
    text = log.read_text(errors="replace")
    wall = seconds(re.findall(r"Elapsed time: (\S+)", text)[-1])
    cores = int(re.search(r"Provided cores: (\d+)", text).group(1))
    jobs = int(re.findall(r"(\d+) of \d+ steps \(100%\) done", text)[-1])
    stages = training_seconds(experiment, layout)
    busy = sum(stages.values())
    print(f"workflow ({log.name}): {jobs} jobs, wall {wall:.0f} s on {cores} cores; training + validation "
          + ", ".join(f"{name} {value:.0f} s" for name, value in stages.items()) + f" = {busy:.0f} s")
    print(f"workflow efficiency ratio: wall / (training seconds / cores) = {wall:.0f} / {busy / cores:.0f} "
          f"= {wall / (busy / cores):.2f} (1.00: every core trains all the time)")


def epoch_costs(experiment: Experiment, epochs: int) -> None:
    import torch

    from renyi_kd.training.runtime import Runtime
    from renyi_kd.training.student import Hyperparameters, StudentSetup

    layout = Layout.of(experiment.name, ROOT / "results")
    teacher = experiment.teacher.seeds[0]
    if not layout.teacher(teacher).logits.exists():
        print("epoch: no cached teacher logits yet (run `make run` first)")
        return
    torch.set_num_threads(1)
    runtime = Runtime.from_config(dataclasses.replace(experiment.runtime, progress="log"), threads=1)
    setup = StudentSetup.open(experiment, layout, runtime, teacher)
    results = {}
    for name in ("ce", "kl"):
        method = experiment.methods[name]
        hp = Hyperparameters.defaults(experiment.student, method)
        _, history = setup.train(method, hp, seed=0, epochs=epochs)
        results[name] = statistics.median(r["seconds"] for r in history)
    print(f"epoch (transfer set {len(setup.prepared.splits['transfer'])} images + validation, 1 thread): "
          f"student alone {results['ce'] * 1000:.0f} ms, distilling from cached logits {results['kl'] * 1000:.0f} ms "
          f"= {results['kl'] / results['ce']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--epochs", type=int, default=9)
    args = parser.parse_args()
    experiment = Experiment.load(args.config)
    workflow_efficiency(experiment)
    epoch_costs(experiment, args.epochs)


if __name__ == "__main__":
    main()
