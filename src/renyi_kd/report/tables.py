"""The thesis tables: ``main`` (results), ``hyperparameters`` (tuned values) and ``models``.

Each is a :class:`renyi_kd.report.formatting.Table`, written as ``.tex`` (booktabs), ``.md`` and ``.csv``.

``main``: per method, ``mean ± std`` over its final runs of every per-image metric of
:data:`renyi_kd.metrics.METRICS` (test accuracy, NLL, ECE, teacher-student agreement, ``KL(teacher || student)``
at T = 1, ...), in the registry's order, scale and decimals. Nothing is emphasised for being the largest or
smallest mean; the only marks are the verdicts of the declared questions (:mod:`renyi_kd.report.inference`):
after a value, ``+X`` better than reference X, ``−X`` worse, ``≈X`` equivalent within the margin; no mark:
inconclusive or untested.
References carry the symbols †, ‡, §, ¶ in the order they are first declared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from renyi_kd.metrics import HEADLINE, Metric, per_image_metrics
from renyi_kd.report.artefacts import table
from renyi_kd.report.context import ReportContext
from renyi_kd.report.formatting import (
    DASH_LATEX,
    DASH_TEXT,
    Table,
    check_rows,
    fmt_float,
    fmt_int,
    fmt_mean_std,
    fmt_sci,
    is_missing,
    label_safe,
    latex_escape,
)
from renyi_kd.report.inference import against
from renyi_kd.report.methods import MethodCatalog
from renyi_kd.report.published import PublishedRow

__all__ = [
    "hyperparameters_table",
    "latex_label_prefix",
    "main_table",
    "models_table",
    "reference_marks",
]

_SYMBOLS = (("†", r"\dagger"), ("‡", r"\ddagger"), ("§", r"\S"), ("¶", r"\P"))
_VERDICT_SIGNS = {"better": ("+", "+"), "worse": ("−", "-"), "equivalent": ("≈", r"\approx ")}


def latex_label_prefix(experiment: str) -> str:
    """``tab:{experiment}-`` with characters unsafe in a LaTeX label replaced by ``-``."""
    return "tab:" + label_safe(experiment) + "-"


def reference_marks(references: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Reference -> (text symbol, LaTeX symbol), in declaration order; more than four references get ``*1``..."""
    references = list(dict.fromkeys(references))
    return {
        ref: _SYMBOLS[i] if i < len(_SYMBOLS) else (f"*{i - len(_SYMBOLS) + 1}", f"*{i - len(_SYMBOLS) + 1}")
        for i, ref in enumerate(references)
    }


def _marks(comparisons: pd.DataFrame, method: str, metric: str, marks: dict[str, tuple[str, str]]) -> tuple[str, str]:
    r"""The verdict marks of one cell: ``≈† +‡`` in text, ``$^{\approx\dagger\,+\ddagger}$`` in LaTeX."""
    text, latex = [], []
    for reference, (symbol, command) in marks.items():
        row = None if reference == method else against(comparisons, method, reference, metric)
        if row is None or row["verdict"] not in _VERDICT_SIGNS:
            continue
        sign_text, sign_latex = _VERDICT_SIGNS[row["verdict"]]
        text.append(sign_text + symbol)
        latex.append(sign_latex + command)
    joined = r"\,".join(latex)
    return (" " + " ".join(text) if text else ""), (f"$^{{{joined}}}$" if latex else "")


def main_table(
    summary: pd.DataFrame, comparisons: pd.DataFrame, methods: Sequence[str], marks: dict[str, tuple[str, str]],
    published: Sequence[PublishedRow] = (), catalog: MethodCatalog | None = None,
) -> Table:
    """Main results: method x metrics as ``mean ± std`` over runs, with the verdict marks of ``marks``' references;
    then the ``published`` reference rows (accuracy only, no marks). Labels from ``catalog`` (default: the
    methods' names as the configuration's shorthand reads them)."""
    catalog = catalog or MethodCatalog()
    method_label = catalog.label
    columns: list[Metric] = [
        c for c in per_image_metrics() if not summary[(summary["metric"] == c.name) & summary["mean"].notna()].empty
    ]
    methods = [m for m in methods if m in set(summary["method"])]
    text_rows: list[list[str]] = [[method_label(m, "text")] for m in methods]
    latex_rows: list[list[str]] = [[method_label(m, "latex")] for m in methods]
    data = pd.DataFrame({"method": methods})
    for column in columns:
        stats = summary[summary["metric"] == column.name].set_index("method").reindex(methods)
        for i, method in enumerate(methods):
            mean = stats.loc[method, "mean"] * column.scale
            std = stats.loc[method, "std"] * column.scale
            mark_text, mark_latex = _marks(comparisons, method, column.name, marks)
            text_rows[i].append(fmt_mean_std(mean, std, column.decimals) + mark_text)
            latex_rows[i].append(fmt_mean_std(mean, std, column.decimals, latex=True) + mark_latex)
        for stat in ("n", "mean", "std", "ci_low", "ci_high"):
            data[f"{column.name}_{stat}"] = stats[stat].to_numpy()
        for reference in marks:
            found = [against(comparisons, m, reference, column.name) for m in methods]
            data[f"{column.name}_vs_{reference}"] = [row["verdict"] if row else None for row in found]
    counts = sorted({int(n) for n in summary["n"] if not is_missing(n) and n > 0})
    runs = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}" if counts else "0"
    legend = ", ".join(f"{symbol} {method_label(ref)}" for ref, (symbol, _) in marks.items())
    notes = [
        f"Mean ± std over {runs} final runs per method; no value is emphasised for being the best mean.",
        "Marks are verdicts of the declared comparisons (comparisons table): +X better than X, −X worse, "
        f"≈X equivalent within the margin; no mark: inconclusive or not tested. {legend}.",
    ]
    for row in published:  # accuracy only; every other column and every mark stays empty
        cells = [fmt_float(100 * row.test_acc, 2) if c.name == HEADLINE else DASH_TEXT for c in columns]
        text_rows.append([row.label, *cells])
        latex_rows.append([latex_escape(row.label), *(c.replace(DASH_TEXT, DASH_LATEX) for c in cells)])
        data = pd.concat([data, pd.DataFrame([{"method": f"published:{row.method}", "test_acc_mean": row.test_acc}])],
                         ignore_index=True)
    if published:
        notes.append(f"Published rows: {published[0].citation}; numbers from the paper, not runs of this project, "
                     "never tested against (see docs/reproduction.md for how the protocols differ).")
    header_text = ["Method"] + [c.text for c in columns]
    header_latex = ["Method"] + [c.latex for c in columns]
    check_rows(header_text, text_rows)
    latex_notes = [latex_escape(note) for note in notes] + [
        r"CE (alone): the student trained without a teacher; R\'enyi $\alpha\to 0$: the reverse-KL limit; "
        r"Agree.: top-1 agreement with the teacher; KL($t\|s$): KL(teacher$\|$student) at $T = 1$."
    ]
    return Table(
        name="main",
        caption="Test results of the student per distillation method",
        text_header=header_text,
        latex_header=header_latex,
        text_rows=text_rows,
        latex_rows=latex_rows,
        data=data,
        notes=notes,
        latex_notes=latex_notes,
    )


def _trials_text(row: pd.Series, *, latex: bool) -> str:
    if is_missing(row.get("n_complete")):
        return DASH_LATEX if latex else DASH_TEXT
    keys = ("n_complete", "n_pruned", "n_failed")
    counts = [fmt_int(row.get(k)) if not is_missing(row.get(k)) else "0" for k in keys]
    return "/".join(counts)


_OBJECTIVE_HEADERS = {
    "val_acc": ("Best val. acc. (%)", r"Val.\ acc.\ (\%)", 100.0),
    "val_nll": ("Best val. NLL", r"Val.\ NLL", 1.0),
}


def hyperparameters_table(tuned: pd.DataFrame, methods: Sequence[str], catalog: MethodCatalog | None = None) -> Table:
    """Tuned lr, weight decay, T and beta per study (a Teacher and a Repeat column when there are several), with
    the best validation objective and trial counts."""
    method_label = (catalog or MethodCatalog()).label
    tuned = tuned[tuned["method"].isin(methods)].copy()
    tuned["order"] = tuned["method"].map({m: i for i, m in enumerate(methods)})
    tuned = tuned.sort_values(["order", "teacher", "repeat"])
    factors = [(column, header) for column, header in (("teacher", "Teacher"), ("repeat", "Repeat"))
               if tuned[column].nunique() > 1]  # the cluster factors that vary
    objectives = set(tuned["objective"].dropna())
    objective = objectives.pop() if len(objectives) == 1 else "val_acc"
    value_text, value_latex, value_scale = _OBJECTIVE_HEADERS.get(objective, (f"Best {objective}", objective, 1.0))
    text_rows, latex_rows = [], []
    for _, row in tuned.iterrows():
        cells: list[tuple[str, str]] = [
            (method_label(row["method"], "text"), method_label(row["method"], "latex")),
            *[(str(int(row[column])), str(int(row[column]))) for column, _ in factors],
            (fmt_sci(row["lr"]), fmt_sci(row["lr"], latex=True)),
            (fmt_sci(row["weight_decay"]), fmt_sci(row["weight_decay"], latex=True)),
            (fmt_float(row["T"], 2), fmt_float(row["T"], 2, latex=True)),
            (fmt_float(row["beta"], 2), fmt_float(row["beta"], 2, latex=True)),
            (fmt_float(value_scale * row["value"], 3 if value_scale == 1 else 2),
             fmt_float(value_scale * row["value"], 3 if value_scale == 1 else 2, latex=True)),
            (_trials_text(row, latex=False), _trials_text(row, latex=True)),
        ]  # fmt: skip
        text_rows.append([c[0] for c in cells])
        latex_rows.append([c[1] for c in cells])
    budgets = sorted({int(n) for n in tuned["n_trials"].dropna()})
    budget = ", ".join(str(b) for b in budgets) if budgets else "unknown"
    notes = [
        "lr and weight decay are tuned for every method, T and β only for distillation methods; "
        f"every study has the same budget ({budget} trials). Trials: complete/pruned/failed.",
    ]
    from_runs = list(dict.fromkeys(tuned.loc[tuned["source"] == "runs", "method"]))
    if from_runs:
        notes.append(
            "No tuning record for " + ", ".join(method_label(m, "text") for m in from_runs)
            + ": values are those of its final runs."
        )  # fmt: skip
    factor_header = [header for _, header in factors]
    header_text = ["Method", *factor_header, "lr", "Weight decay", "T", "β", value_text, "Trials (C/P/F)"]
    header_latex = ["Method", *factor_header, "lr", "Weight decay", "$T$", r"$\beta$", value_latex, "Trials C/P/F"]
    check_rows(header_text, text_rows)
    return Table(
        name="hyperparameters",
        caption="Hyperparameters selected by Optuna per method",
        text_header=header_text,
        latex_header=header_latex,
        text_rows=text_rows,
        latex_rows=latex_rows,
        data=tuned.drop(columns="order").reset_index(drop=True),
        notes=notes,
        align="l" + "r" * (len(header_text) - 1),
    )


def _first_value(runs: pd.DataFrame, column: str) -> Any:
    values = runs[column].dropna() if column in runs.columns else pd.Series(dtype=object)
    return values.iloc[0] if len(values) else None


def models_table(teacher: dict[str, Any] | None, runs: pd.DataFrame, summary: pd.DataFrame,
                 catalog: MethodCatalog | None = None) -> Table:
    """Teacher and student backbones, parameter counts and test accuracies.

    ``teacher`` summarises every teacher (:func:`renyi_kd.report.inputs.load_teacher`): with several, their mean
    test accuracy ± std over teachers. The student's accuracy is that of the student trained alone (the first such
    method), mean ± std over its runs.
    """
    alone = (catalog or MethodCatalog()).alone(summary["method"])
    teacher = teacher or {}
    teacher_name = teacher.get("model") or _first_value(runs, "teacher_model")
    student_name = _first_value(runs, "student")
    student_params = _first_value(runs, "student_params")
    acc = summary[summary["metric"] == HEADLINE].set_index("method")
    alone_mean = acc.loc[alone, "mean"] * 100 if alone in acc.index else math.nan
    alone_std = acc.loc[alone, "std"] * 100 if alone in acc.index else math.nan
    teacher_acc, teacher_std = (100 * float(teacher[key]) if teacher.get(key) is not None else math.nan
                                for key in ("test_acc", "test_acc_std"))
    student_epochs = _first_value(runs[runs["method"] == alone], "epochs")
    rows = [
        ("Teacher", teacher_name, teacher.get("params"), teacher_acc, teacher_std, teacher.get("epochs")),
        ("Student", student_name, student_params, alone_mean, alone_std, student_epochs),
    ]
    text_rows, latex_rows = [], []
    for role, name, params, mean, std, epochs in rows:
        name_text = DASH_TEXT if is_missing(name) else str(name)
        text_rows.append([role, name_text, fmt_int(params), fmt_mean_std(mean, std, 2), fmt_int(epochs)])
        latex_rows.append(
            [
                role,
                DASH_LATEX if is_missing(name) else r"\texttt{" + latex_escape(str(name)) + "}",
                fmt_int(params, latex=True),
                fmt_mean_std(mean, std, 2, latex=True),
                fmt_int(epochs, latex=True),
            ]
        )
    notes = ["Student accuracy: the student trained alone (CE), mean ± std over seeds."]
    if teacher.get("count", 1) > 1:
        notes.append(f"Teacher accuracy: mean ± std over the {teacher['count']} teachers (seeds "
                     f"{', '.join(str(seed) for seed in teacher['seeds'])}).")
    if not is_missing(teacher.get("params")) and not is_missing(student_params) and float(student_params) > 0:
        ratio = float(teacher["params"]) / float(student_params)
        notes.append(f"The student has {ratio:.1f}× fewer parameters than the teacher.")
    data = pd.DataFrame(
        [
            {"role": r, "model": n, "params": p, "test_acc_mean": m / 100, "test_acc_std": s / 100, "epochs": e}
            for r, n, p, m, s, e in rows
        ]
    )
    header_text = ["Role", "Backbone", "Parameters", "Test accuracy (%)", "Epochs"]
    header_latex = ["Role", "Backbone", "Parameters", r"Test accuracy (\%)", "Epochs"]
    return Table(
        name="models",
        caption="Teacher and student models",
        text_header=header_text,
        latex_header=header_latex,
        text_rows=text_rows,
        latex_rows=latex_rows,
        data=data,
        notes=notes,
        align="llrrr",
    )


@table("main", section="results", needs=("summary", "comparisons"), caption="Main results of experiment "
       "{experiment}: the test metrics of every method, mean ± standard deviation over the final runs (the same seeds "
       "for every method). No value is emphasised for being the best mean. Marks are the verdicts of the declared "
       "questions (report.comparisons): +X better than reference X, −X worse, ≈X equivalent within the margin "
       "(TOST); no mark: inconclusive. Every method had the same tuning budget.")
def _main(report: ReportContext) -> Table:
    return main_table(report.summary, report.comparisons, report.methods, reference_marks(report.references),
                      report.published, report.catalog)


@table("hyperparameters", section="tuning", needs=("tuned",), caption="Hyperparameters chosen by each method's "
       "Optuna study, one row per tuning repeat when there are several (the same number of trials, epochs, pruner and "
       "sampler seed for every method), and the best validation objective; the student alone tunes only learning "
       "rate and weight decay. The expected best objective against the number of trials is in "
       "tables/tuning_budget.csv and the figure tuning_budget.")
def _hyperparameters(report: ReportContext) -> Table:
    return hyperparameters_table(report.tuned, report.methods, report.catalog)


@table("models", section="models", needs=("runs", "summary"), caption="Teacher and student backbones, their "
       "parameter counts and test accuracies (the student trained alone).")
def _models(report: ReportContext) -> Table:
    return models_table(report.teacher, report.runs, report.summary, report.catalog)
