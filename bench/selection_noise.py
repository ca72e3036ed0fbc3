"""How much of each study's choice is noise: a measurement on a finished run, not part of the workflow.

For every study of a finished run, retrains its chosen trial and the next best complete ones (``--top`` in all)
on two more training seeds (``tuning.seed + 1`` and ``+ 2``) and records their validation objective; no test
image is read. Per study it
gives the gap between the best and the second-best trial, the seed-to-seed SD of the objective at the chosen
setting, and what re-evaluating would have bought without selection bias: the top trials are re-ranked on the
mean of their tuning seed and seed +1 (what a re-evaluation step inside the budget would do, at a cost of
``--top`` trials), and both choices are judged on seed +2, which neither choice saw.

Usage (after `make run`):
    .venv/bin/python bench/selection_noise.py [--config config.yaml] [--top 3] [--jobs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def retrain_top(args: tuple[str, str, int]) -> list[dict]:
    config_path, study, top = args
    from renyi_kd.experiment import Experiment
    from renyi_kd.files import read_json
    from renyi_kd.layout import Layout, parse_study
    from renyi_kd.training.runtime import Runtime
    from renyi_kd.training.student import Hyperparameters, StudentSetup

    experiment = Experiment.load(config_path)
    layout = Layout.of(experiment.name, ROOT / "results")
    method, teacher, repeat = parse_study(study)
    objective = experiment.tuning.objective
    chosen = read_json(layout.study(study).best)["best_trial"]  # the study's choice, its tie-break included
    trials = pd.read_csv(layout.study(study).trials)
    complete = trials[(trials["state"] == "COMPLETE") & trials["counts_towards_budget"]]
    others = complete[complete["number"] != chosen].sort_values("value", ascending=objective == "val_nll")
    ranked = pd.concat([complete[complete["number"] == chosen], others]).head(top)
    epochs = experiment.tuning_budget(method)[1]
    setup = StudentSetup.open(experiment, layout, Runtime.from_config(experiment.runtime, threads=1), teacher)
    rows = []
    for rank, trial in enumerate(ranked.itertuples()):
        params = {name[len("params_"):]: getattr(trial, name) for name in ranked.columns
                  if name.startswith("params_") and pd.notna(getattr(trial, name))}
        values = [trial.value]
        for extra in (1, 2):
            _, history = setup.train(experiment.methods[method], Hyperparameters.from_params(params),
                                     seed=experiment.tuning.seed + extra, epochs=epochs)
            values.append(history[-1][objective])
        rows.append({"study": study, "method": method, "teacher": teacher, "repeat": repeat, "rank": rank,
                     "trial": trial.number, "tuning_seed": values[0], "seed_plus_1": values[1],
                     "seed_plus_2": values[2]})
    print(f"{study}: {len(rows)} trials retrained", flush=True)
    return rows


def summarize(table: pd.DataFrame, minimize: bool) -> pd.DataFrame:
    sign = 1.0 if minimize else -1.0  # gains are "better" in the objective's direction

    def study(rows: pd.DataFrame) -> pd.Series:
        rows = rows.sort_values("rank")
        chosen = rows.iloc[0]
        paired = rows[["tuning_seed", "seed_plus_1"]].mean(axis=1) * sign
        reevaluated = rows.loc[paired.idxmin()]
        return pd.Series({
            "gap_best_second": abs(rows["tuning_seed"].iloc[1] - chosen["tuning_seed"]) if len(rows) > 1 else np.nan,
            "seed_sd_chosen": float(np.std(chosen[["tuning_seed", "seed_plus_1", "seed_plus_2"]].astype(float),
                                           ddof=1)),
            "switched": int(reevaluated["rank"] != 0),
            "gain_on_unseen_seed": sign * (chosen["seed_plus_2"] - reevaluated["seed_plus_2"]),
            "optimism_of_choice": sign * (chosen[["seed_plus_1", "seed_plus_2"]].mean() - chosen["tuning_seed"]),
        })

    return table.groupby(["method", "study"]).apply(study, include_groups=False).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--top", type=int, default=3, help="best complete trials of each study to retrain")
    parser.add_argument("--jobs", type=int, default=2, help="studies retrained at once (one thread each)")
    args = parser.parse_args()

    from renyi_kd.experiment import Experiment
    from renyi_kd.layout import Layout, study_ids

    experiment = Experiment.load(args.config)
    studies = study_ids(list(experiment.methods), experiment.teacher.seeds, experiment.tuning.repeats)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        rows = [row for result in pool.imap(retrain_top, [(args.config, s, args.top) for s in studies])
                for row in result]
    table = pd.DataFrame(rows)
    out = Layout.of(experiment.name, ROOT / "results").root / "bench" / "selection_noise.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    per_study = summarize(table, minimize=experiment.tuning.objective == "val_nll")
    per_study.to_csv(out.with_name("selection_noise_studies.csv"), index=False)
    print(per_study.groupby("method")[["gap_best_second", "seed_sd_chosen", "switched", "gain_on_unseen_seed",
                                        "optimism_of_choice"]].mean().round(4).to_string())
    print("all studies:", per_study[["gap_best_second", "seed_sd_chosen", "switched", "gain_on_unseen_seed",
                                     "optimism_of_choice"]].mean().round(4).to_dict())
    print(f"studies where the gap to the second-best trial is below the seed SD: "
          f"{int((per_study['gap_best_second'] < per_study['seed_sd_chosen']).sum())} of {len(per_study)}")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
