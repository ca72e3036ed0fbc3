"""The report of one experiment: inference, then every registered figure and table, then ``report.md``.

Reads the experiment's results through :class:`renyi_kd.layout.Layout` (runs.csv, every teacher's metrics and test
logits, the studies' best.json and trials.csv, the final runs' histories and test predictions) and writes under
its ``report/`` folder ``report.md``, ``tables/`` and ``figures/``: one file set per record of
:data:`renyi_kd.report.artefacts.ARTEFACTS`. ``tables/comparisons.csv`` is the machine-readable contract: one row
per tested hypothesis of the declared questions (:mod:`renyi_kd.report.inference`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout
from renyi_kd.metrics import HEADLINE, METRICS

# Importing the modules that draw registers their figures and tables (with tables and tuning_budget below).
from renyi_kd.report import comparison_tables, dark_knowledge, figures, grid, inference_figures, own_tuned  # noqa: F401
from renyi_kd.report import inference_text as _text
from renyi_kd.report.artefacts import ARTEFACTS, Artefact, in_section, snakemake_captions
from renyi_kd.report.context import ReportContext
from renyi_kd.report.document import teacher_sentence, write_report
from renyi_kd.report.formatting import Table
from renyi_kd.report.image_inputs import load_image_values
from renyi_kd.report.inference import compare, method_intervals
from renyi_kd.report.inputs import load_histories, load_runs, load_teacher, load_trials, tuned_parameters
from renyi_kd.report.methods import MethodCatalog
from renyi_kd.report.published import published_rows
from renyi_kd.report.questions import declare_hypotheses
from renyi_kd.report.settings import ReportSettings, report_settings
from renyi_kd.report.stats import summarize
from renyi_kd.report.tables import latex_label_prefix
from renyi_kd.report.tuning_budget import ranking_changes, tuning_budget

__all__ = ["build_report", "report_captions", "report_context", "results_text", "theory_figures"]

logger = logging.getLogger(__name__)


def theory_figures(out_dir: Path, *, methods: Sequence[str] | None = None) -> list[Path]:
    """The figures that need no runs (section ``theory``): temperature scaling, D_alpha against alpha, gradient
    against T. ``methods`` fixes the colour mapping (the same list as :func:`build_report` gives the same
    colours). Returns the written paths."""
    catalog = MethodCatalog(methods=list(methods or ()))
    context = ReportContext(figures=Path(out_dir), tables=Path(out_dir), catalog=catalog, settings=report_settings())
    return [path for artefact in in_section("theory", "figure") for path in artefact.build(context) or []]


def _resolve_methods(catalog: MethodCatalog, runs_methods: Sequence[str], methods: Sequence[str] | None) -> list[str]:
    if methods is None:
        return catalog.sort(runs_methods)
    methods = list(dict.fromkeys(methods))
    extra = [m for m in catalog.sort(runs_methods) if m not in methods]
    if extra:
        logger.warning("methods %s have runs but are not in the given method list; appended at the end", extra)
    absent = [m for m in methods if m not in set(runs_methods)]
    if absent:
        logger.warning("methods %s have no runs; they keep their colour but appear in no table", absent)
    return methods + extra


def _with_intervals(summary: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """The summary with its t-interval replaced by the clustered interval of the method's mean."""
    merged = summary.drop(columns=["ci_low", "ci_high"]).merge(intervals, on=["method", "metric"], how="left")
    return merged[["method", "metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "interval"]]


def _warn_fractions(runs: pd.DataFrame) -> None:
    for metric in (m.name for m in METRICS.values() if m.unit == "%"):
        if metric in runs and (runs[metric] > 1).any():
            logger.warning("%s has values > 1; the report expects fractions in [0, 1] and shows percent", metric)


def _objective(trials: pd.DataFrame) -> tuple[str, bool] | None:
    """The objective every study optimises (name, maximize), or None when they differ."""
    objectives = trials[["objective", "maximize"]].drop_duplicates()
    if len(objectives) > 1:
        return None
    objective, maximize = objectives.iloc[0] if len(objectives) == 1 else ("val_acc", True)
    return str(objective), bool(maximize)


def _tuning_text(context: ReportContext) -> list[str]:
    """The paragraph on the tuning budget."""
    if context.objective is None:
        return ["The studies optimise different objectives; their tuning-budget curves are not ranked."]
    objective, maximize = context.objective
    ranking = ranking_changes(context.budget, maximize=maximize)
    return [p for p in [_text.budget_paragraph(context.budget, ranking, objective, maximize, context.catalog)] if p]


def report_context(exp_dir: Path, settings: dict[str, Any] | None = None) -> tuple[ReportContext, list[str]]:
    """The statistics of the experiment in ``exp_dir`` as :func:`build_report` computes them (``settings``: the
    config's ``report:`` block), for other documents built from the same numbers (the thesis chapter)."""
    return _context(Layout(exp_dir), report_settings(settings), None)


def _context(layout: Layout, config: ReportSettings, methods: list[str] | None) -> tuple[ReportContext, list[str]]:
    """The inputs, the comparisons and the summary of the experiment in ``layout``, and notes on what is missing."""
    exp_dir = layout.root
    runs = load_runs(layout.report.runs)
    _warn_fractions(runs)
    described = MethodCatalog.from_runs(runs, reference=config.equivalence_reference)
    methods = _resolve_methods(described, list(runs["method"].unique()), methods)
    catalog = MethodCatalog(described.records, methods, config.equivalence_reference)
    present = [m for m in methods if m in set(runs["method"])]
    experiment = str(next(iter(runs["experiment"].dropna()), exp_dir.name))

    hypotheses, notes = declare_hypotheses(config.questions, present)
    image_values, image_notes = load_image_values(exp_dir, runs)
    comparisons, comparison_notes = compare(runs, hypotheses, config, image_values)
    notes += image_notes + comparison_notes
    summary = summarize(runs, methods=present, catalog=catalog)
    metrics = [m for m in METRICS if m in set(summary["metric"])]
    summary = _with_intervals(summary, method_intervals(runs, present, metrics, config, image_values))
    trials = load_trials(exp_dir, present, catalog)
    context = ReportContext(
        figures=layout.report.figures, tables=layout.report.tables, catalog=catalog, settings=config, methods=present,
        runs=runs, summary=summary, comparisons=comparisons, teacher=load_teacher(exp_dir, runs),
        tuned=tuned_parameters(exp_dir, runs, present, catalog), trials=trials, budget=tuning_budget(trials),
        objective=_objective(trials), histories=load_histories(exp_dir, runs),
        published=published_rows(config.published, runs, catalog),
        experiment=experiment, level=1 - config.significance, label_prefix=latex_label_prefix(experiment),
    )  # fmt: skip
    if config.own_tuned:
        context.own_tuned, own_notes = own_tuned.own_tuned_comparisons(exp_dir, runs, config, image_values, metrics)
        notes += own_notes
    return context, notes


def _build(artefact: Artefact, context: ReportContext) -> Any:
    """The artefact built (a Table written under ``tables/``), or None when an input it needs is missing."""
    missing = [need for need in artefact.needs if getattr(context, need) is None]
    if missing:
        logger.info("%s %s skipped: no %s", artefact.kind, artefact.name, ", ".join(missing))
        return None
    built = artefact.build(context)
    if isinstance(built, Table) and artefact.written:
        built.write(context.tables, label_prefix=context.label_prefix)
    return built


def results_text(context: ReportContext) -> list[str]:
    """What the verdicts cover, verdicts per reference of the headline metric, what inconclusive means, the power,
    the other metrics' claims."""
    config, comparisons, present = context.settings, context.comparisons, context.methods
    references = context.headline_references
    scope = _text.scope_sentence(comparisons, context.runs)
    results = [scope] if scope else []
    results += [_text.verdict_paragraph(comparisons, present, r, HEADLINE, config, context.catalog) for r in references]
    results.append(_text.INCONCLUSIVE_MEANS)
    power = _text.power_sentence(comparisons, config, context.catalog, HEADLINE)
    others = [m for m in dict.fromkeys(q.metric for q in config.questions) if m != HEADLINE]
    results += [power] if power else []
    results += [answer for q in grid.grid_questions(config.questions)
                if (answer := grid.grid_answer(grid.grid_comparisons(comparisons, q), config.margin(HEADLINE),
                                               config.significance))]
    results += [answer for answer in (own_tuned.own_tuned_answer(context),
                                      dark_knowledge.dark_knowledge_answer(context)) if answer]
    results += [s for r in references
                if (s := _text.other_metrics_sentence(comparisons, present, r, others, context.catalog))]
    return results


def build_report(
    exp_dir: Path, *, methods: list[str] | None = None, settings: dict[str, Any] | None = None
) -> Path:
    """Build inference, tables, figures and ``report.md`` for the experiment in ``exp_dir``.

    ``methods`` gives the row order and the colour mapping (default: the methods in ``runs.csv`` in report
    order: the students alone, the equivalence reference, then Rényi by alpha, then the rest by name).
    ``settings`` is the config's ``report:`` block (None: the schema's defaults; :func:`report_settings`).
    Missing optional inputs skip their table or figure with a note. Returns the path of ``report.md``.
    """
    layout = Layout(exp_dir)
    context, notes = _context(layout, report_settings(settings), methods)
    built = {key: _build(artefact, context) for key, artefact in ARTEFACTS.items()
             if artefact.applies is None or artefact.applies(context)}
    sections = {
        "teacher": [teacher_sentence(context)],
        "results": results_text(context),
        "method": [_text.questions_paragraph(context.comparisons, context.settings, context.catalog),
                   _text.method_paragraph(context.comparisons, context.settings, context.catalog)],
        "tuning": _tuning_text(context),
        "notes": notes,
    }  # fmt: skip
    return write_report(layout.report, context, built, sections)


def report_captions(kind: str, experiment: Experiment) -> dict[str, str]:
    """The caption of every artefact of ``kind`` (``figure``, ``table``) for ``snakemake --report``, from the
    typed experiment (the reference's label from its method record, as the final runs write it)."""
    from renyi_kd.labels import method_labels

    settings = report_settings(experiment.report)
    reference = settings.equivalence_reference
    if reference in experiment.methods:
        reference = method_labels(experiment.methods[reference])["text"]
    fields = {"level": f"{100 * (1 - settings.significance):g}", "reference": reference, "experiment": experiment.name}
    return snakemake_captions(kind, fields)
