"""``python -m renyi_kd.tracking.dashboard``: every tuning study of an experiment in one optuna-dashboard (``make dashboard``).

By default each study has its own journal file (``tune/{study}/study.journal``) and optuna-dashboard serves one
storage, so the studies are copied into one in-memory storage when it starts: a snapshot (start it again to see
trials added since; to follow one study live, give ``optuna-dashboard`` its journal file). With
``tuning.storage`` (an RDB URL that holds every study) that storage is served as it is, live; so is a single
study's journal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import optuna

from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout, study_ids


def experiment_storages(experiment: Experiment, layout: Layout) -> list[optuna.storages.BaseStorage]:
    """The storages holding the experiment's studies: the RDB of ``tuning.storage``, or the journal of every
    study that has been opened (a study not yet started is left alone: serving it must not create it)."""
    from renyi_kd.tuning.study import open_storage

    spec = experiment.tuning.storage
    studies = study_ids(list(experiment.methods), experiment.teacher.seeds, experiment.tuning.repeats)
    if spec:
        return [open_storage(spec, layout, studies[0])]
    return [open_storage(None, layout, study) for study in studies if layout.study(study).dir.is_dir()]


def one_storage(storages: list[optuna.storages.BaseStorage]) -> optuna.storages.BaseStorage:
    """One storage to serve: the only one as it is, several copied (study and trial attributes, intermediate
    values and all) into one in-memory storage. Study names carry experiment and study id, so none collide."""
    if len(storages) == 1:
        return storages[0]
    snapshot = optuna.storages.InMemoryStorage()
    for storage in storages:
        for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
            optuna.copy_study(from_study_name=summary.study_name, from_storage=storage, to_storage=snapshot)
    return snapshot


def main(argv: list[str] | None = None) -> int:
    from optuna_dashboard import run_server

    parser = argparse.ArgumentParser(prog="python -m renyi_kd.tracking.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yaml", help="the experiment's config (default: config.yaml)")
    parser.add_argument("--results", type=Path, default=Path("results"), help="results folder (default: results)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    experiment = Experiment.load(args.config)
    layout = Layout.of(experiment.name, args.results)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # not a line per study copied: the address stays in view
    storages = experiment_storages(experiment, layout)
    if not storages:
        print(f"no tuning study of {experiment.name} under {layout.root} yet: run `make run` first", file=sys.stderr)
        return 2
    storage = one_storage(storages)
    count = len(optuna.get_all_study_summaries(storage, include_best_trial=False))
    print(f"Optuna dashboard of {experiment.name} ({count} studies): http://{args.host}:{args.port}/dashboard/",
          flush=True)
    run_server(storage, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
