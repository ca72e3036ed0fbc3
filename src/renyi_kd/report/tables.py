"""The three thesis tables: ``main`` (results), ``hyperparameters`` (tuned values) and ``models``.

Each is a :class:`renyi_kd.report.formatting.Table`, written as ``.tex`` (booktabs), ``.md`` and ``.csv``.

``main``: per method, ``mean ± std`` over seeds of test accuracy, NLL, ECE, teacher-student agreement and
``KL(teacher || student)`` at T = 1; the best mean per column in bold (max for accuracy and agreement, min for
the others); ``†`` marks a significant difference from ``kl`` and ``‡`` from ``ce`` (paired t-test,
Holm-adjusted p < 0.05 within each reference's family of comparisons on that metric).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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
    latex_escape,
)
from renyi_kd.report.methods import method_label
from renyi_kd.report.stats import HIGHER_IS_BETTER

__all__ = ["MAIN_COLUMNS", "hyperparameters_table", "latex_label_prefix", "main_table", "models_table"]

logger = logging.getLogger(__name__)

MARK_VS_KL = "†"
MARK_VS_CE = "‡"


@dataclass(frozen=True)
class MetricColumn:
    """How one metric is shown: header (text and LaTeX), scale factor and decimals."""

    metric: str
    text: str
    latex: str
    scale: float
    decimals: int


MAIN_COLUMNS = (
    MetricColumn("test_acc", "Accuracy (%)", r"Acc.\ (\%)", 100.0, 2),
    MetricColumn("test_nll", "NLL", "NLL", 1.0, 3),
    MetricColumn("test_ece", "ECE (%)", r"ECE (\%)", 100.0, 2),
    MetricColumn("agreement", "Agreement (%)", r"Agree.\ (\%)", 100.0, 2),
    MetricColumn("fidelity_kl", "KL(teacher‖student)", r"KL($t\|s$)", 1.0, 3),
)


def latex_label_prefix(experiment: str) -> str:
    """``tab:{experiment}-`` with characters unsafe in a LaTeX label replaced by ``-``."""
    return "tab:" + re.sub(r"[^A-Za-z0-9_.:-]", "-", experiment) + "-"


def _best_methods(means: pd.Series, higher: bool, decimals: int, scale: float) -> set[str]:
    """Methods whose displayed mean equals the best displayed mean (ties are all bold)."""
    shown = (means * scale).round(decimals).dropna()
    if shown.empty:
        return set()
    best = shown.max() if higher else shown.min()
    return set(shown.index[shown == best])


def _significant(comparisons: pd.DataFrame, reference: str, metric: str) -> dict[str, float]:
    """method -> Holm-adjusted p-value of the paired t-test against ``reference`` on ``metric``."""
    if comparisons.empty:
        return {}
    rows = comparisons[(comparisons["reference"] == reference) & (comparisons["metric"] == metric)]
    return dict(zip(rows["method"], rows["p_ttest_holm"].astype(float)))


def main_table(
    summary: pd.DataFrame,
    comparisons: pd.DataFrame,
    methods: Sequence[str],
    *,
    significance: float = 0.05,
) -> Table:
    """Main results: method x metrics as ``mean ± std``, best in bold, significance marks vs kl and ce."""
    columns = [
        c for c in MAIN_COLUMNS if not summary[(summary["metric"] == c.metric) & summary["mean"].notna()].empty
    ]
    methods = [m for m in methods if m in set(summary["method"])]
    text_rows: list[list[str]] = [[method_label(m, "text")] for m in methods]
    latex_rows: list[list[str]] = [[method_label(m, "latex")] for m in methods]
    data = pd.DataFrame({"method": methods, "label": [method_label(m, "text") for m in methods]})
    for column in columns:
        stats = summary[summary["metric"] == column.metric].set_index("method").reindex(methods)
        best = _best_methods(stats["mean"], HIGHER_IS_BETTER[column.metric], column.decimals, column.scale)
        p_kl = _significant(comparisons, "kl", column.metric)
        p_ce = _significant(comparisons, "ce", column.metric)
        for i, method in enumerate(methods):
            mean = stats.loc[method, "mean"] * column.scale
            std = stats.loc[method, "std"] * column.scale
            text = fmt_mean_std(mean, std, column.decimals)
            latex = fmt_mean_std(mean, std, column.decimals, latex=True)
            if method in best:
                text, latex = f"**{text}**", rf"\textbf{{{latex}}}"
            marks = [
                (mark, command)
                for mark, command, p in ((MARK_VS_KL, r"\dagger", p_kl), (MARK_VS_CE, r"\ddagger", p_ce))
                if p.get(method, math.nan) < significance
            ]
            text_rows[i].append(text + "".join(m for m, _ in marks))
            latex_rows[i].append(latex + (f"$^{{{''.join(c for _, c in marks)}}}$" if marks else ""))
        for stat in ("n", "mean", "std", "ci_low", "ci_high"):
            data[f"{column.metric}_{stat}"] = stats[stat].to_numpy()
        data[f"{column.metric}_p_holm_vs_kl"] = [p_kl.get(m, np.nan) for m in methods]
        data[f"{column.metric}_p_holm_vs_ce"] = [p_ce.get(m, np.nan) for m in methods]
    n_seeds = sorted({int(n) for n in summary["n"] if not is_missing(n) and n > 0})
    seeds = f"{n_seeds[0]}" if len(n_seeds) == 1 else f"{n_seeds[0]}–{n_seeds[-1]}" if n_seeds else "0"
    notes = [
        f"Mean ± std over {seeds} seeds; best mean per column in bold "
        "(highest accuracy and agreement, lowest NLL, ECE and KL).",
        f"{MARK_VS_KL} differs from KL (Hinton), {MARK_VS_CE} from CE (student alone): paired t-test over "
        f"seeds, Holm-adjusted p < {significance:g} within each metric's comparisons against that reference.",
    ]
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


def hyperparameters_table(tuned: pd.DataFrame, methods: Sequence[str]) -> Table:
    """Tuned lr, weight decay, T and beta per method, with best validation accuracy and trial counts."""
    tuned = tuned.set_index("method")
    methods = [m for m in methods if m in tuned.index]
    text_rows, latex_rows = [], []
    for method in methods:
        row = tuned.loc[method]
        cells: list[tuple[str, str]] = [
            (method_label(method, "text"), method_label(method, "latex")),
            (fmt_sci(row["lr"]), fmt_sci(row["lr"], latex=True)),
            (fmt_sci(row["weight_decay"]), fmt_sci(row["weight_decay"], latex=True)),
            (fmt_float(row["T"], 2), fmt_float(row["T"], 2, latex=True)),
            (fmt_float(row["beta"], 2), fmt_float(row["beta"], 2, latex=True)),
            (fmt_float(100 * row["value"], 2), fmt_float(100 * row["value"], 2, latex=True)),
            (_trials_text(row, latex=False), _trials_text(row, latex=True)),
        ]
        text_rows.append([c[0] for c in cells])
        latex_rows.append([c[1] for c in cells])
    budgets = sorted({int(n) for n in tuned["n_trials"].dropna()})
    budget = ", ".join(str(b) for b in budgets) if budgets else "unknown"
    notes = [
        "lr and weight decay are tuned for every method, T and β only for distillation methods; "
        f"every study has the same budget ({budget} trials). Trials: complete/pruned/failed.",
    ]
    from_runs = [m for m in methods if tuned.loc[m, "source"] == "runs"]
    if from_runs:
        notes.append(
            "No tuning record for " + ", ".join(method_label(m, "text") for m in from_runs)
            + ": values are those of its final runs."
        )  # fmt: skip
    header_text = ["Method", "lr", "Weight decay", "T", "β", "Best val. acc. (%)", "Trials (C/P/F)"]
    header_latex = ["Method", "lr", "Weight decay", "$T$", r"$\beta$", r"Val.\ acc.\ (\%)", "Trials C/P/F"]
    check_rows(header_text, text_rows)
    return Table(
        name="hyperparameters",
        caption="Hyperparameters selected by Optuna per method",
        text_header=header_text,
        latex_header=header_latex,
        text_rows=text_rows,
        latex_rows=latex_rows,
        data=tuned.loc[methods].reset_index(),
        notes=notes,
        align="lrrrrrr",
    )


def _first_value(runs: pd.DataFrame, column: str) -> Any:
    values = runs[column].dropna() if column in runs.columns else pd.Series(dtype=object)
    return values.iloc[0] if len(values) else None


def models_table(teacher: dict[str, Any] | None, runs: pd.DataFrame, summary: pd.DataFrame) -> Table:
    """Teacher and student backbones, parameter counts and test accuracies.

    The student's accuracy is that of the student trained alone (``ce``), mean ± std over seeds.
    """
    teacher = teacher or {}
    teacher_name = teacher.get("model") or _first_value(runs, "teacher")
    student_name = _first_value(runs, "student")
    student_params = _first_value(runs, "student_params")
    acc = summary[summary["metric"] == "test_acc"].set_index("method")
    ce_mean = acc.loc["ce", "mean"] * 100 if "ce" in acc.index else math.nan
    ce_std = acc.loc["ce", "std"] * 100 if "ce" in acc.index else math.nan
    teacher_acc = teacher.get("test_acc")
    teacher_acc = 100 * float(teacher_acc) if teacher_acc is not None else math.nan
    student_epochs = _first_value(runs[runs["method"] == "ce"], "epochs")
    rows = [
        ("Teacher", teacher_name, teacher.get("params"), teacher_acc, math.nan, teacher.get("epochs")),
        ("Student", student_name, student_params, ce_mean, ce_std, student_epochs),
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
