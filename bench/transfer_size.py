"""How much distillation adds against the size of the transfer set: a measurement before choosing
``data.transfer_size``, not part of the workflow.

For each size it draws a stratified subset of train (as ``data.transfer_size`` does) and trains the student alone
(``ce``) and KL distillation (``kl``) on each seed, untuned: the student's learning rate and weight decay, the
distillation section's beta and T. It prints validation accuracy and NLL (no test image is read) and the gain of
KL over the student alone. It needs the prepared splits and the first teacher's logits of the config's experiment
(``make run``, or the workflow up to ``export_logits``).

Usage:
    .venv/bin/python bench/transfer_size.py --config configs/fashion-mnist.yaml --sizes 500 1000 2000 5000 [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()

    from renyi_kd.data.splits import _transfer_subset
    from renyi_kd.experiment import Experiment
    from renyi_kd.layout import Layout
    from renyi_kd.training.runtime import Runtime
    from renyi_kd.training.student import Hyperparameters, StudentSetup

    experiment = Experiment.load(args.config)
    layout = Layout.of(experiment.name, args.results)
    setup = StudentSetup.open(experiment, layout, Runtime.from_config(experiment.runtime, threads=1),
                              experiment.teacher.seeds[0])
    train = np.asarray(setup.prepared.splits["train"])
    labels = np.asarray(setup.prepared.data.targets)[train]
    optimizer, soft = experiment.student.optimizer, experiment.distillation
    rows = []
    for size in args.sizes:
        for seed in args.seeds:
            subset = _transfer_subset(train, labels, size, np.random.default_rng(seed))
            setup.prepared.splits["transfer"] = sorted(int(i) for i in subset)
            for name in ("ce", "kl"):
                method = experiment.methods[name]
                kd = method.uses_teacher
                hp = Hyperparameters(lr=optimizer.lr, weight_decay=optimizer.weight_decay,
                                     beta=soft.beta if kd else None, T=soft.T if kd else None)
                start = time.perf_counter()
                _, history = setup.train(method, hp, seed=seed, validate_at=())
                rows.append({"size": size, "seed": seed, "method": name, "val_acc": history[-1]["val_acc"],
                             "val_nll": history[-1]["val_nll"], "seconds": time.perf_counter() - start})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows).pivot_table(index=["size", "seed"], columns="method", values=["val_acc", "val_nll"])
    gain = (table["val_acc"]["kl"] - table["val_acc"]["ce"]).groupby("size").agg(["mean", "std", "count"])
    print("KL minus the student alone, validation accuracy (points):")
    print((100 * gain[["mean", "std"]]).round(2).assign(seeds=gain["count"]).to_string())


if __name__ == "__main__":
    main()
