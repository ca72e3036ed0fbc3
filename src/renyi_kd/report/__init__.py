"""Thesis report of one experiment: statistics, tables, figures and ``report.md``.

Reads ``results/{exp}/`` (``report/runs.csv``, ``teacher/metrics.json``, ``tune/{method}/``,
``final/{method}/seed{k}/history.csv``) and writes under ``results/{exp}/report/``::

    report.md
    tables/{main,hyperparameters,models}.{tex,md,csv}
    figures/{name}.{pdf,png}
    stats/{summary,comparisons}.csv

>>> from renyi_kd.report import build_report
>>> build_report(Path("results/default"))  # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: the report is built by workflow jobs without a display

import logging  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from renyi_kd.report import figures as _figures  # noqa: E402
from renyi_kd.report.document import write_report  # noqa: E402
from renyi_kd.report.inputs import (  # noqa: E402
    load_histories,
    load_runs,
    load_teacher,
    load_trials,
    tuned_parameters,
)
from renyi_kd.report.methods import method_palette, sort_methods  # noqa: E402
from renyi_kd.report.stats import compare_to_references, summarize  # noqa: E402
from renyi_kd.report.tables import (  # noqa: E402
    hyperparameters_table,
    latex_label_prefix,
    main_table,
    models_table,
)

__all__ = ["build_report", "theory_figures"]

logger = logging.getLogger(__name__)

SIGNIFICANCE = 0.05
_FRACTION_METRICS = ("test_acc", "test_ece", "agreement")


def theory_figures(out_dir: Path, *, methods: Sequence[str] | None = None) -> list[Path]:
    """The figures that need no runs: temperature scaling, D_alpha against alpha, gradient against T.

    ``methods`` fixes the colour mapping (the same list as :func:`build_report` gives the same colours);
    by default ``ce``, ``kl`` and the Rényi orders drawn in the gradient figure. Returns the written paths.
    """
    out_dir = Path(out_dir)
    palette = method_palette(list(methods) if methods is not None else ["ce", "kl"])
    paths = _figures.temperature_scaling_figure(out_dir)
    paths += _figures.divergence_vs_alpha_figure(out_dir, palette)
    paths += _figures.gradient_vs_temperature_figure(out_dir, palette)
    return paths


def _resolve_methods(runs_methods: Sequence[str], methods: Sequence[str] | None) -> list[str]:
    if methods is None:
        return sort_methods(runs_methods)
    methods = list(dict.fromkeys(methods))
    extra = [m for m in sort_methods(runs_methods) if m not in methods]
    if extra:
        logger.warning("methods %s have runs but are not in the given method list; appended at the end", extra)
    absent = [m for m in methods if m not in set(runs_methods)]
    if absent:
        logger.warning("methods %s have no runs; they keep their colour but appear in no table", absent)
    return methods + extra


def build_report(exp_dir: Path, *, methods: list[str] | None = None) -> Path:
    """Build statistics, tables, figures and ``report.md`` for the experiment in ``exp_dir``.

    ``methods`` gives the row order and the colour mapping (default: the methods in ``runs.csv`` in report
    order: ce, kl, then Rényi by alpha). Missing optional inputs skip their table or figure with a logged
    note. Returns the path of ``report.md``.
    """
    exp_dir = Path(exp_dir)
    report_dir = exp_dir / "report"
    runs = load_runs(report_dir / "runs.csv")
    for metric in _FRACTION_METRICS:
        if (runs[metric] > 1).any():
            logger.warning("%s has values > 1; the report expects fractions in [0, 1] and shows percent", metric)
    methods = _resolve_methods(list(runs["method"].unique()), methods)
    present = [m for m in methods if m in set(runs["method"])]
    experiment = str(next(iter(runs["experiment"].dropna()), exp_dir.name))
    palette = method_palette(methods)

    summary = summarize(runs, methods=present)
    comparisons = compare_to_references(runs, methods=present, significance=SIGNIFICANCE)
    stats_dir = report_dir / "stats"
    stats_dir.mkdir(parents=True, exist_ok=True)
    summary.to_csv(stats_dir / "summary.csv", index=False)
    comparisons.to_csv(stats_dir / "comparisons.csv", index=False)

    teacher = load_teacher(exp_dir)
    tuned = tuned_parameters(exp_dir, runs, present)
    tables = {
        "main": main_table(summary, comparisons, present, significance=SIGNIFICANCE),
        "hyperparameters": hyperparameters_table(tuned, present),
        "models": models_table(teacher, runs, summary),
    }
    prefix = latex_label_prefix(experiment)
    for table in tables.values():
        table.write(report_dir / "tables", label_prefix=prefix)

    fig_dir = report_dir / "figures"
    figures = {
        "accuracy_vs_alpha": _figures.accuracy_vs_alpha_figure(summary, fig_dir, palette),
        "learning_curves": _figures.learning_curves_figure(load_histories(exp_dir, present), fig_dir, palette, present),
        "tuned_vs_alpha": _figures.tuned_vs_alpha_figure(tuned, fig_dir, palette),
        "optuna_landscape": _figures.optuna_landscape_figure(load_trials(exp_dir, present), fig_dir),
    }
    theory = theory_figures(fig_dir, methods=methods)
    for name in ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature"):
        figures[name] = [p for p in theory if p.stem == name]

    return write_report(
        report_dir / "report.md",
        experiment=experiment,
        tables=tables,
        figures=figures,
        summary=summary,
        comparisons=comparisons,
        teacher=teacher,
        runs=runs,
        significance=SIGNIFICANCE,
    )
