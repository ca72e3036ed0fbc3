"""``renyi-kd``: one subcommand per workflow rule, usable without Snakemake.

``--config`` takes a YAML file (validated here) or the validated config as inline JSON (what the rules pass:
the sections the stage reads); either becomes the typed :class:`~renyi_kd.experiment.Experiment`, and every
path comes from the :class:`~renyi_kd.layout.Layout` of ``--exp-dir``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from renyi_kd.config import ConfigError, load_config
from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout

log = logging.getLogger("renyi_kd")
# Subcommands import what they use when they run: `renyi-kd --help` and `check-config` stay light.


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    for noisy in ("alembic", "mlflow", "urllib3", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _config(value: str) -> dict[str, Any]:
    if value.lstrip().startswith("{"):
        return json.loads(value)
    return load_config(value)


STUDY_HELP = "METHOD/teacherT/repeatR: the method's study in the cluster of teacher seed T and tuning repeat R"


def _experiment(args: argparse.Namespace) -> Experiment:
    return Experiment.from_config(_config(args.config))


def _uri(experiment: Experiment, layout: Layout) -> str:
    from renyi_kd.tracking.mlflow_runs import tracking_uri

    return tracking_uri(experiment.tracking.uri, layout)


def _runtime(experiment: Experiment, args: argparse.Namespace):
    from renyi_kd.training.runtime import Runtime

    return Runtime.from_config(experiment.runtime, threads=args.threads)


def cmd_check_config(args: argparse.Namespace) -> None:
    config = _config(args.file or args.config)
    print(json.dumps(config, indent=1))


def cmd_init_tracking(args: argparse.Namespace) -> None:
    from renyi_kd.files import write_json
    from renyi_kd.tracking.mlflow_runs import init_tracking

    experiment, layout = _experiment(args), Layout(args.exp_dir)
    uri = _uri(experiment, layout)
    experiment_id = init_tracking(uri, experiment.name, layout.artifacts)
    write_json(layout.tracking, {"uri": uri, "experiment": experiment.name, "experiment_id": experiment_id})


def cmd_prepare_data(args: argparse.Namespace) -> None:
    from renyi_kd.data.prepare import prepare_data

    prepare_data(_experiment(args).data, Layout(args.exp_dir))


def _teacher(experiment: Experiment, args: argparse.Namespace) -> int:
    """The teacher a job trains or exports: ``--teacher``, else the first of ``teacher.seeds``."""
    return experiment.teacher.seeds[0] if args.teacher is None else args.teacher


def cmd_train_teacher(args: argparse.Namespace) -> None:
    from renyi_kd.training.teacher import train_teacher

    experiment, layout = _experiment(args), Layout(args.exp_dir)
    train_teacher(experiment, layout, _runtime(experiment, args), _uri(experiment, layout), _teacher(experiment, args))


def cmd_export_logits(args: argparse.Namespace) -> None:
    from renyi_kd.training.teacher import export_logits

    experiment = _experiment(args)
    export_logits(experiment, Layout(args.exp_dir), _runtime(experiment, args), _teacher(experiment, args))


def cmd_train_student(args: argparse.Namespace) -> None:
    from renyi_kd.files import read_json
    from renyi_kd.training.student import Hyperparameters, final_runs

    experiment, layout = _experiment(args), Layout(args.exp_dir)
    hp = Hyperparameters.from_params(read_json(args.params)["params"]) if args.params else None
    final_runs(experiment, layout, args.study, args.seeds, hp, _runtime(experiment, args), _uri(experiment, layout))


def cmd_tune(args: argparse.Namespace) -> None:
    from renyi_kd.tuning.tune import tune_study

    experiment, layout = _experiment(args), Layout(args.exp_dir)
    tune_study(experiment, layout, args.study, args.workers, _uri(experiment, layout), threads=args.threads)


def cmd_tune_worker(args: argparse.Namespace) -> None:
    from renyi_kd.tuning.tune import work_on_study

    experiment, layout = _experiment(args), Layout(args.exp_dir)
    work_on_study(experiment, layout, args.study, (args.worker, args.workers), _uri(experiment, layout),
                  threads=args.threads)


def cmd_aggregate(args: argparse.Namespace) -> None:
    from renyi_kd.report.aggregate import aggregate

    aggregate(args.metrics, Layout(args.exp_dir), list(_experiment(args).methods))


def cmd_report(args: argparse.Namespace) -> None:
    from renyi_kd.report import build_report
    from renyi_kd.tracking.mlflow_runs import log_report

    experiment, layout = _experiment(args), Layout(args.exp_dir)
    log.info("report: %s", build_report(layout.root, methods=list(experiment.methods), settings=experiment.report))
    log_report(_uri(experiment, layout), experiment.name, layout)  # the experiment's report run


def cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from renyi_kd.report.compare_runs import RunsTableError, compare_runs, parse_margins

    try:
        table = compare_runs(pd.read_csv(args.runs), args.reference, args.metric, margins=parse_margins(args.margin),
                             lower_is_better=args.lower_is_better)  # fmt: skip
    except RunsTableError as error:
        log.error("%s: %s", args.runs, error)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    log.info("compare: %d comparisons, %s", len(table), table["verdict"].value_counts().to_dict())
    return 0


def cmd_plan(args: argparse.Namespace) -> None:
    from renyi_kd.plan import ASSUMED, Spread, plan

    spread = None
    if args.between_sd is not None or args.seed_sd is not None:
        spread = Spread(between=ASSUMED.between if args.between_sd is None else args.between_sd,
                        within=ASSUMED.within if args.seed_sd is None else args.seed_sd, source="the command line")
    print(plan(Experiment.from_config(_config(args.file)), args.results, like=args.like, spread=spread,
               measure=args.measure, cores=args.cores))


def _plan_parser(commands: argparse._SubParsersAction) -> None:
    text = ("an experiment's design, its estimated time on this machine and the smallest difference it can detect, "
            "before anything runs")  # fmt: skip
    sub = commands.add_parser("plan", help=text, description=text)
    sub.add_argument("file", help="the config file")
    sub.add_argument("--results", type=Path, default=Path("results"),
                     help="where the last run of the experiment is looked for (default: results)")
    sub.add_argument("--like", default=None, metavar="EXPERIMENT",
                     help="take costs and SDs from the last run of another experiment with the same data and models")
    sub.add_argument("--measure", action="store_true", help="time the models here even where a last run exists")
    sub.add_argument("--cores", type=int, default=None,
                     help="cores of the machine to size the wall time for (default: this machine's)")
    sub.add_argument("--between-sd", type=float, default=None,
                     help="SD across clusters of a method's difference to the reference, in the metric's units")
    sub.add_argument("--seed-sd", type=float, default=None,
                     help="SD across seeds of that difference inside a cluster, in the metric's units")
    sub.set_defaults(handler=cmd_plan)


def cmd_thesis(args: argparse.Namespace) -> int:
    from renyi_kd.thesis.chapter import build_chapter
    from renyi_kd.thesis.pdf import LatexError, compile_chapter

    chapter = build_chapter(args.results, args.out)
    log.info("chapter: %s", chapter)
    if args.no_pdf:
        return 0
    try:
        pdf, pages = compile_chapter(args.out)
    except LatexError as error:
        log.error("%s", error)
        return 1
    log.info("chapter PDF: %s (%d pages)", pdf, pages)
    return 0


def _thesis_parser(commands: argparse._SubParsersAction) -> None:
    text = ("the experiments chapter of the thesis (chapter.tex, no preamble, and chapter.pdf) from every "
            "experiment's results")  # fmt: skip
    sub = commands.add_parser("thesis", help=text, description=text)
    sub.add_argument("--results", type=Path, default=Path("results"), help="the experiments' folder (default: results)")
    sub.add_argument("--out", type=Path, default=Path("results/thesis"), help="default: results/thesis")
    sub.add_argument("--no-pdf", action="store_true", help="write chapter.tex only")
    sub.set_defaults(handler=cmd_thesis)


def _compare_parser(commands: argparse._SubParsersAction) -> None:
    text = ("every method of a runs table against one reference, one Holm question per metric, with clusters "
            "(teacher, repeat) as units of replication; writes the comparisons table")  # fmt: skip
    sub = commands.add_parser("compare", help=text, description=text + ". The test is analytic: results do not "
                              "depend on --seed.")  # fmt: skip
    sub.add_argument("runs", type=Path, metavar="RUNS.csv",
                     help="columns method and seed; teacher and repeat optional (absent: one cluster); one numeric "
                     "column per metric")  # fmt: skip
    sub.add_argument("--reference", required=True, help="the method every other method is compared with")
    sub.add_argument("--metric", required=True, action="append", help="a metric column (repeatable)")
    sub.add_argument("--margin", action="append", default=[], metavar="NAME=VALUE",
                     help="TOST equivalence margin of a metric, in its units (repeatable)")  # fmt: skip
    sub.add_argument("--lower-is-better", action="append", default=[], metavar="NAME",
                     help="a metric outside the registry whose lower values are better (repeatable)")  # fmt: skip
    sub.add_argument("--seed", type=int, default=0, help="accepted for scripts; the results do not depend on it")
    sub.add_argument("--out", type=Path, required=True, help="the comparisons table (CSV)")
    sub.set_defaults(handler=cmd_compare)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="renyi-kd", description="Rényi-divergence knowledge distillation benchmark")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help_text: str, *, exp_dir: bool = True, threads: bool = False,
                config: bool = True):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", required=config, help="config.yaml, or the validated config as JSON")
        if exp_dir:
            sub.add_argument("--exp-dir", type=Path, required=True, help="results/{experiment}")
        if threads:
            sub.add_argument("--threads", type=int, default=None, help="CPU threads (default: runtime.threads)")
        sub.set_defaults(handler=handler)
        return sub

    check = command("check-config", cmd_check_config, "validate a config and print it with defaults filled in",
                    exp_dir=False, config=False)
    check.add_argument("file", nargs="?", help="the config file (or --config)")
    command("init-tracking", cmd_init_tracking, "create the MLflow store and experiment once, before parallel jobs")
    command("prepare-data", cmd_prepare_data, "stratified splits and transfer subset with the data fingerprint")
    teachers = [command("train-teacher", cmd_train_teacher, "train a teacher (resumes from its checkpoint)",
                        threads=True),
                command("export-logits", cmd_export_logits, "cache a teacher's logits for train/val/test",
                        threads=True)]
    for sub in teachers:
        sub.add_argument("--teacher", type=int, default=None,
                         help="the teacher's seed (default: the first of teacher.seeds)")
    tune = command("tune", cmd_tune, "a method's Optuna study: open, trials until the budget counts, best.json",
                   threads=True)
    worker = command("tune-worker", cmd_tune_worker, "one of several workers sharing a study (resumes)", threads=True)
    for sub in (tune, worker):
        sub.add_argument("--study", required=True, help=STUDY_HELP)
        sub.add_argument("--workers", type=int, default=1, help="worker jobs sharing the study (workers_per_study)")
    worker.add_argument("--worker", type=int, required=True, help="this worker's slot, 0 .. WORKERS-1")
    student = command("train-student", cmd_train_student, "final runs of one study on some seeds, measured on test",
                      threads=True)
    student.add_argument("--study", required=True, help=STUDY_HELP)
    student.add_argument("--seeds", type=int, nargs="+", required=True)
    student.add_argument("--params", type=Path, default=None, help="best.json from tuning (default: config values)")
    agg = command("aggregate", cmd_aggregate, "collect final runs into runs.csv and a table")
    agg.add_argument("--metrics", type=Path, nargs="+", required=True)
    command("report", cmd_report, "statistics, tables (.tex/.md/.csv), figures (.pdf/.png) and report.md")
    _compare_parser(commands)
    _plan_parser(commands)
    _thesis_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    if args.command == "check-config" and not (args.file or args.config):
        build_parser().error("check-config needs a config file")
    try:
        return args.handler(args) or 0  # a handler returns an exit status or nothing
    except (ConfigError, FileNotFoundError) as error:
        log.error("%s", error)
        return 2


if __name__ == "__main__":
    sys.exit(main())
