"""How much signal the tuning has on the default data: a measurement, not part of the workflow.

For a few methods, trains the first N points of the shared start-up design (scrambled Sobol over the
search space) unpruned for the full epoch budget, and records every epoch's validation accuracy and NLL,
then the test accuracy at the end (read here only to judge the objectives, never by the workflow's tuning).
It prints, per epoch, how well the validation objective at that epoch ranks the trials' final objective
(Spearman's rho, median over methods: where a pruning rung can sit), how many distinct values each
objective takes, and how well each final objective ranks test accuracy.

Usage (after the teacher exists: `make run` or `snakemake .../teacher/seed0/logits.safetensors`):
    .venv/bin/python bench/tuning_signal.py [--points 16] [--methods ce kl renyi-a0.5 renyi-a2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]


def run_method(args: tuple[str, int, str]) -> list[dict]:
    method_name, points, config_path = args
    import torch

    from renyi_kd.experiment import Experiment
    from renyi_kd.layout import Layout
    from renyi_kd.tuning.design import startup_design
    from renyi_kd.metrics import classification_metrics
    from renyi_kd.training.runtime import Runtime
    from renyi_kd.training.student import Hyperparameters, StudentSetup
    from renyi_kd.training.loop import predict
    from renyi_kd.tuning.study import tuned_names

    experiment = Experiment.load(config_path)
    tuning = experiment.tuning
    runtime = Runtime.from_config(experiment.runtime, threads=1)
    layout = Layout.of(experiment.name, ROOT / "results")
    setup = StudentSetup.open(experiment, layout, runtime, experiment.teacher.seeds[0])  # the first teacher
    method = experiment.methods[method_name]
    design = startup_design(tuning.search_space, {}, tuned_names(method), points, tuning.sampler.seed)
    rows = []
    for number, params in enumerate(design):
        model, history = setup.train(method, Hyperparameters.from_params(params), seed=tuning.seed)
        logits, targets = predict(model, setup.source, setup.prepared.splits["test"], batch_size=256,
                                  runtime=runtime)
        test = classification_metrics(logits, targets)
        for record in history:
            rows.append({"method": method_name, "trial": number, **params, "epoch": int(record["epoch"]),
                         "val_acc": record["val_acc"], "val_nll": record["val_nll"], "seconds": record["seconds"],
                         "test_acc": test["acc"], "test_nll": test["nll"]})
        print(json.dumps({"method": method_name, "trial": number, **params, "val_acc": history[-1]["val_acc"],
                          "test_acc": test["acc"]}), flush=True)
        torch.cuda.empty_cache()
    return rows


def summarize(frame: pd.DataFrame) -> None:
    last = frame["epoch"].max()
    final = frame[frame["epoch"] == last].set_index(["method", "trial"])
    print(f"\nper-epoch seconds: median {frame['seconds'].median():.3f}")
    print("\nrank agreement of the objective at epoch e with the final objective (Spearman rho; median, min over methods)")
    for objective, sign in (("val_acc", 1), ("val_nll", -1)):
        line = []
        for epoch in sorted(frame["epoch"].unique()):
            at = frame[frame["epoch"] == epoch].set_index(["method", "trial"])
            rhos = [spearmanr(at.loc[m, objective], final.loc[m, objective]).statistic
                    for m in final.index.get_level_values(0).unique()]
            line.append(f"{epoch}:{np.nanmedian(rhos):.2f}/{np.nanmin(rhos):.2f}")
        print(f"  {objective}: " + "  ".join(line))
    print("\nfinal objectives: distinct values among the trials, and Spearman rho with test accuracy")
    for method in final.index.get_level_values(0).unique():
        part = final.loc[method]
        acc_rho = spearmanr(part["val_acc"], part["test_acc"]).statistic
        nll_rho = spearmanr(-part["val_nll"], part["test_acc"]).statistic
        best_acc = part["val_acc"].max()
        print(f"  {method}: val_acc {part['val_acc'].nunique()} distinct (best {best_acc:.4f}, "
              f"{(part['val_acc'] == best_acc).sum()} tied), rho {acc_rho:.2f}; val_nll {part['val_nll'].nunique()} "
              f"distinct, rho {nll_rho:.2f}; test acc of val_acc pick "
              f"{part.loc[part['val_acc'].idxmax(), 'test_acc']:.4f}, of val_nll pick "
              f"{part.loc[part['val_nll'].idxmin(), 'test_acc']:.4f}, best {part['test_acc'].max():.4f}")
    print("\nlearning rate of the five best trials by final val_nll, per method")
    for method in final.index.get_level_values(0).unique():
        best = final.loc[method].nsmallest(5, "val_nll")
        print(f"  {method}: " + ", ".join(f"{lr:.3g}" for lr in best["lr"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--methods", nargs="+", default=["ce", "kl", "renyi-a0.5", "renyi-a2"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "results" / "measurements" / "tuning_signal.csv"))
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists() and not set(args.methods) - set(pd.read_csv(out)["method"]):
        frame = pd.read_csv(out)
    else:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            parts = pool.map(run_method, [(m, args.points, args.config) for m in args.methods])
        frame = pd.DataFrame([row for part in parts for row in part])
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
    summarize(frame[frame["method"].isin(args.methods)])


if __name__ == "__main__":
    main()
