"""Thesis report of one experiment: inference, tables, figures and ``report.md``.

Reads ``results/{exp}/`` (``report/runs.csv``, ``teacher/metrics.json``, ``teacher/logits.safetensors``,
``tune/{study}/{best.json,trials.csv}``, ``final/{study}/seed{k}/{history.csv,predictions.safetensors}``)
and writes under ``results/{exp}/report/``::

    report.md
    tables/{main,hyperparameters,models,comparisons}.{tex,md,csv}
    tables/tuning_budget.csv
    figures/{name}.{pdf,png}

``tables/comparisons.csv`` is the machine-readable contract: one row per tested hypothesis of the declared
families (:mod:`renyi_kd.report.inference`).

>>> from renyi_kd.report import build_report
>>> build_report(Path("results/default"))  # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: the report is built by workflow jobs without a display

import logging  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402

from renyi_kd.report import figures as _figures  # noqa: E402
from renyi_kd.report import inference_text as _text  # noqa: E402
from renyi_kd.report.bootstrap import Replicates  # noqa: E402
from renyi_kd.report.comparison_tables import verdict_table, write_comparisons  # noqa: E402
from renyi_kd.report.document import teacher_sentence, write_report  # noqa: E402
from renyi_kd.report.families import declare_hypotheses  # noqa: E402
from renyi_kd.report.image_inputs import load_image_values  # noqa: E402
from renyi_kd.report.inference import compare, method_intervals  # noqa: E402
from renyi_kd.report.inference_figures import forest_figure, tuning_budget_figure  # noqa: E402
from renyi_kd.report.inputs import (  # noqa: E402
    load_histories,
    load_runs,
    load_teacher,
    load_trials,
    tuned_parameters,
)
from renyi_kd.report.methods import describe_methods, method_palette, sort_methods  # noqa: E402
from renyi_kd.report.published import published_rows  # noqa: E402
from renyi_kd.report.settings import ReportSettings, report_settings  # noqa: E402
from renyi_kd.report.stats import METRICS, summarize  # noqa: E402
from renyi_kd.report.tables import (  # noqa: E402
    hyperparameters_table,
    latex_label_prefix,
    main_table,
    models_table,
    reference_marks,
)
from renyi_kd.report.tuning_budget import ranking_changes, tuning_budget  # noqa: E402

__all__ = ["build_report", "load_trials", "report_settings", "theory_figures"]

logger = logging.getLogger(__name__)

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


def _with_intervals(summary: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """The summary with its t-interval replaced by the bootstrap interval of the method's mean."""
    merged = summary.drop(columns=["ci_low", "ci_high"]).merge(intervals, on=["method", "metric"], how="left")
    return merged[["method", "metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "interval"]]


def _tuning(
    exp_dir: Path, present: list[str], palette: dict, tables_dir: Path, fig_dir: Path
) -> tuple[dict, list[str]]:
    """``tables/tuning_budget.csv``, its figure, the landscape figure and the paragraph on the budget."""
    trials = load_trials(exp_dir, present)
    budget = tuning_budget(trials)
    tables_dir.mkdir(parents=True, exist_ok=True)
    budget.to_csv(tables_dir / "tuning_budget.csv", index=False)
    objectives = trials[["objective", "maximize"]].drop_duplicates()
    objective, maximize = objectives.iloc[0] if len(objectives) == 1 else ("val_acc", True)
    paragraphs = []
    if len(objectives) > 1:
        paragraphs.append("The studies optimise different objectives; their tuning-budget curves are not ranked.")
    else:
        ranking = ranking_changes(budget, maximize=bool(maximize))
        paragraphs += [p for p in [_text.budget_paragraph(budget, ranking, objective, bool(maximize))] if p]
    figures = {"tuning_budget": tuning_budget_figure(budget, palette, fig_dir, objective=objective),
               "optuna_landscape": _figures.optuna_landscape_figure(trials, fig_dir)}  # fmt: skip
    return figures, paragraphs


def build_report(
    exp_dir: Path, *, methods: list[str] | None = None, settings: dict[str, Any] | None = None
) -> Path:
    """Build inference, tables, figures and ``report.md`` for the experiment in ``exp_dir``.

    ``methods`` gives the row order and the colour mapping (default: the methods in ``runs.csv`` in report
    order: ce, kl, then Rényi by alpha, then the rest by name). ``settings`` is the config's ``report:`` block
    (None: the schema's defaults; :func:`report_settings`). Missing optional inputs skip their table or figure
    with a note. Returns the path of ``report.md``.
    """
    exp_dir = Path(exp_dir)
    config: ReportSettings = report_settings(settings)
    report_dir = exp_dir / "report"
    runs = load_runs(report_dir / "runs.csv")
    describe_methods(runs)
    for metric in _FRACTION_METRICS:
        if (runs[metric] > 1).any():
            logger.warning("%s has values > 1; the report expects fractions in [0, 1] and shows percent", metric)
    methods = _resolve_methods(list(runs["method"].unique()), methods)
    present = [m for m in methods if m in set(runs["method"])]
    experiment = str(next(iter(runs["experiment"].dropna()), exp_dir.name))
    palette = method_palette(methods)

    hypotheses, notes = declare_hypotheses(config.families, present)
    image_values, image_notes = load_image_values(exp_dir, runs)
    replicates = Replicates(image_values, config.resamples, config.bootstrap_seed)
    comparisons, comparison_notes = compare(runs, hypotheses, config, replicates)
    notes += image_notes + comparison_notes
    summary = summarize(runs, methods=present)
    metrics = [m for m in METRICS if m in set(summary["metric"])]
    summary = _with_intervals(summary, method_intervals(runs, present, metrics, config, replicates))

    tables_dir, fig_dir = report_dir / "tables", report_dir / "figures"
    prefix = latex_label_prefix(experiment)
    level = 1 - config.significance
    write_comparisons(comparisons, tables_dir, level=level, label_prefix=prefix)
    references = [r for spec in config.families for r in spec.references if r in present]
    teacher = load_teacher(exp_dir)
    tuned = tuned_parameters(exp_dir, runs, present)
    tables = {
        "main": main_table(summary, comparisons, present, reference_marks(references),
                           published_rows(config.published, runs)),
        "hyperparameters": hyperparameters_table(tuned, present),
        "models": models_table(teacher, runs, summary),
    }
    for table in tables.values():
        table.write(tables_dir, label_prefix=prefix)
    acc_references = list(dict.fromkeys(r for s in config.families if s.metric == "test_acc" for r in s.references))
    verdicts = verdict_table(comparisons, present, [r for r in acc_references if r in present], "test_acc")
    if verdicts is not None:
        tables["verdicts"] = verdicts

    figures = {
        "forest_vs_kl": forest_figure(comparisons, present, palette, fig_dir, reference=config.equivalence_reference,
                                      margin=config.margin("test_acc")),
        "accuracy_vs_alpha": _figures.accuracy_vs_alpha_figure(summary, fig_dir, palette),
        "learning_curves": _figures.learning_curves_figure(load_histories(exp_dir, runs), fig_dir, palette, present),
        "tuned_vs_alpha": _figures.tuned_vs_alpha_figure(tuned, fig_dir, palette),
    }  # fmt: skip
    tuning_figures, tuning_text = _tuning(exp_dir, present, palette, tables_dir, fig_dir)
    figures |= tuning_figures
    theory = theory_figures(fig_dir, methods=methods)
    for name in ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature"):
        figures[name] = [p for p in theory if p.stem == name]

    results = [_text.verdict_paragraph(comparisons, present, r, "test_acc", config) for r in acc_references]
    results.append(_text.INCONCLUSIVE_MEANS)
    power = _text.power_sentence(comparisons, config)
    other = [m for m in dict.fromkeys(s.metric for s in config.families) if m != "test_acc"]
    results += [power] if power else []
    results += [s for r in acc_references if (s := _text.other_metrics_sentence(comparisons, present, r, other))]
    sections = {
        "teacher": [teacher_sentence(teacher, runs, summary)],
        "results": results,
        "method": [_text.families_paragraph(comparisons, config), _text.method_paragraph(comparisons, config)],
        "tuning": tuning_text,
        "notes": notes,
    }
    return write_report(report_dir / "report.md", experiment=experiment, tables=tables, figures=figures, runs=runs,
                        sections=sections, level=level)  # fmt: skip
