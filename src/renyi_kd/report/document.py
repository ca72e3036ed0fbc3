"""``report.md``: the tables, the figures (relative links) and generated sentences stating the results.

The sentences report, for test accuracy, which methods differ from ``kl`` and from ``ce`` after Holm
correction (paired t-test over seeds), with the mean difference in percentage points, its 95% CI, Cohen's
``d_z`` and the adjusted p-values; then the other metrics with significant differences; then the teacher.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from renyi_kd.report.formatting import Table, is_missing
from renyi_kd.report.methods import method_label

__all__ = ["FIGURE_CAPTIONS", "significance_paragraph", "teacher_sentence", "write_report"]

logger = logging.getLogger(__name__)

METRIC_NAMES = {
    "test_acc": "test accuracy",
    "test_nll": "NLL",
    "test_ece": "ECE",
    "agreement": "agreement with the teacher",
    "fidelity_kl": "KL(teacher‖student)",
    "wall_time_s": "wall time",
}
# Accuracy-like metrics are fractions; differences are stated in percentage points.
PERCENT_METRICS = {"test_acc", "test_ece", "agreement"}

FIGURE_CAPTIONS = {
    "accuracy_vs_alpha": "Test accuracy against the Rényi order α (mean and 95% t-CI over seeds; α = 0 is the "
    "reverse-KL limit, α = 1 is KL). Dashed: KL (Hinton), dotted: student alone, with 95% CI bands.",
    "tuned_vs_alpha": "Temperature T and soft-term weight β selected by Optuna, against α.",
    "optuna_landscape": "Validation accuracy of every completed Optuna trial over (α, T); black edge: best trial "
    "per method (trials of one α are spread horizontally).",
    "learning_curves": "Validation accuracy per epoch of the final runs, mean over seeds with a 95% t-CI band.",
    "temperature_scaling": "Temperature scaling (thesis Figure 1.1): logits 5.4, 0.2, −1.3 for horse, zebra, car "
    "and their softmax at T = 1 (horse > 0.99) and T = 4.",
    "divergence_vs_alpha": "D_α(P‖Q) against α for P = softmax(5.4, 0.2, −1.3) and Q = softmax(2, −1, 0.5): "
    "non-decreasing from D_0 (left marker) to D_∞ (right marker, dashed); KL at α = 1. Coloured markers: the "
    "orders of the benchmarked methods.",
    "gradient_vs_temperature": "Mean |∂(s D_α)/∂z| against T for random zero-mean logits (10 classes), by "
    "autograd through the project's loss. Left, thesis scaling s = T²/α: every α tends to the high-temperature limit "
    "(1/n)|z − v| (dashed). Right, s = 1: the gradient falls as α/T² (dashed: α|z − v|/(nT²)). At usual "
    "temperatures (shaded, T = 3–5) a large α is under-weighted: D_α stays bounded by D_∞ while s falls as 1/α "
    "(the T²/α scaling holds only for T ≫ α|v|, |(1 − α)z|).",
}
RESULT_FIGURES = ("accuracy_vs_alpha", "learning_curves", "tuned_vs_alpha", "optuna_landscape")
THEORY_FIGURES = ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature")


def _fmt_p(p: float) -> str:
    if is_missing(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def _p_is(name: str, p: float) -> str:
    """``p_Holm = 0.0123`` or ``p_Holm < 0.0001``."""
    text = _fmt_p(p)
    return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"


def _fmt_diff(row: pd.Series) -> str:
    """Mean difference with its CI, in percentage points for accuracy-like metrics."""
    scale, unit = (100.0, " pp") if row["metric"] in PERCENT_METRICS else (1.0, "")
    diff = f"{scale * row['mean_diff']:+.2f}{unit}"
    if is_missing(row["ci_low"]):
        return diff
    return f"{diff}, 95% CI [{scale * row['ci_low']:+.2f}, {scale * row['ci_high']:+.2f}]"


def _describe(row: pd.Series) -> str:
    dz = "n/a" if is_missing(row["cohens_dz"]) else f"{row['cohens_dz']:.2f}"
    return (
        f"{method_label(row['method'])}: {_fmt_diff(row)}, d_z = {dz}, {_p_is('p_Holm', row['p_ttest_holm'])} "
        f"(Wilcoxon {_p_is('p_Holm', row['p_wilcoxon_holm'])})"
    )


def significance_paragraph(
    comparisons: pd.DataFrame, reference: str, *, metric: str = "test_acc", significance: float = 0.05
) -> str:
    """Sentences naming the methods that differ significantly from ``reference`` on ``metric``."""
    ref_label = method_label(reference)
    rows = comparisons[(comparisons["reference"] == reference) & (comparisons["metric"] == metric)]
    if rows.empty:
        return f"No paired comparisons against {ref_label} (no runs of it, or no other method)."
    family = int(rows["p_ttest"].notna().sum())
    n_pairs = int(rows["n_pairs"].max())
    name = METRIC_NAMES.get(metric, metric)
    if family == 0:
        return (
            f"No test against {ref_label} on {name} could be computed (fewer than two paired seeds or "
            "identical differences)."
        )
    setting = (
        f"paired t-test over {n_pairs} seeds, Holm correction across the {family} comparisons against {ref_label}, "
        f"level {significance:g}"
    )
    significant = rows[rows["significant"]]
    if significant.empty:
        best = rows.loc[rows["p_ttest_holm"].idxmin()]
        return (
            f"No method differs significantly from {ref_label} in {name} ({setting}); the smallest adjusted "
            f"p-value is {_fmt_p(best['p_ttest_holm'])} ({method_label(best['method'])}: {_fmt_diff(best)})."
        )
    significant = significant.sort_values("mean_diff", ascending=False)
    listed = "; ".join(_describe(row) for _, row in significant.iterrows())
    count = "1 method differs" if len(significant) == 1 else f"{len(significant)} methods differ"
    others = len(rows) - len(significant)
    tail = "" if others == 0 else f" The other {others} do not." if others > 1 else " The other one does not."
    return f"In {name}, {count} significantly from {ref_label} ({setting}): {listed}.{tail}"


def _other_metrics_sentence(comparisons: pd.DataFrame, reference: str, metrics: Sequence[str]) -> str | None:
    parts = []
    for metric in metrics:
        rows = comparisons[
            (comparisons["reference"] == reference) & (comparisons["metric"] == metric) & comparisons["significant"]
        ]
        if rows.empty:
            continue
        items = ", ".join(
            f"{method_label(r['method'])} ({'higher' if r['mean_diff'] > 0 else 'lower'}, "
            f"{_p_is('p_Holm', r['p_ttest_holm'])})"
            for _, r in rows.iterrows()
        )
        parts.append(f"{METRIC_NAMES.get(metric, metric)}: {items}")
    if not parts:
        return None
    return f"Other metrics with significant differences from {method_label(reference)}: " + "; ".join(parts) + "."


def _wilcoxon_note(comparisons: pd.DataFrame, significance: float) -> str | None:
    if comparisons.empty:
        return None
    n = int(comparisons["n_pairs"].max())
    if n < 1:
        return None
    smallest = 2.0 / 2**n  # exact two-sided p when every difference has the same sign
    if smallest < significance:
        return None
    return (
        f"With {n} paired seeds the Wilcoxon signed-rank test cannot reach p < {significance:g} (its smallest "
        f"two-sided p-value is {smallest:.4f}); it is reported as a robustness check only."
    )


def teacher_sentence(teacher: Mapping[str, Any] | None, runs: pd.DataFrame, summary: pd.DataFrame) -> str:
    """One sentence on the teacher, and the student trained alone for comparison."""
    acc = summary[summary["metric"] == "test_acc"].set_index("method")
    teacher = teacher or {}
    name = teacher.get("model") or next(iter(runs["teacher"].dropna()), None)
    parts = []
    if name is None and not teacher:
        parts.append("No teacher metrics were found (teacher/metrics.json).")
    else:
        details = []
        if not is_missing(teacher.get("params")):
            details.append(f"{int(teacher['params']):,} parameters")
        text = f"The teacher ({name}" + (", " + ", ".join(details) if details else "") + ")"
        if not is_missing(teacher.get("test_acc")):
            text += f" reaches {100 * teacher['test_acc']:.2f}% test accuracy"
            if not is_missing(teacher.get("val_acc")):
                text += f" ({100 * teacher['val_acc']:.2f}% on validation)"
            if not is_missing(teacher.get("epochs")):
                text += f" after {int(teacher['epochs'])} epochs"
        parts.append(text + ".")
    if "ce" in acc.index:
        student = next(iter(runs["student"].dropna()), "the student")
        params = next(iter(runs["student_params"].dropna()), None)
        size = f", {int(params):,} parameters" if params is not None else ""
        std = acc.loc["ce", "std"]
        spread = "" if is_missing(std) else f" ± {100 * std:.2f}"
        parts.append(f"The student ({student}{size}) trained alone reaches {100 * acc.loc['ce', 'mean']:.2f}{spread}%.")
    return " ".join(parts)


def _comparison_table(comparisons: pd.DataFrame, metric: str = "test_acc") -> str:
    rows = comparisons[comparisons["metric"] == metric]
    if rows.empty:
        return ""
    table = pd.DataFrame(
        {
            "Method": [method_label(m) for m in rows["method"]],
            "vs": [method_label(r) for r in rows["reference"]],
            "Δ (95% CI)": [_fmt_diff(r) for _, r in rows.iterrows()],
            "d_z": ["n/a" if is_missing(d) else f"{d:.2f}" for d in rows["cohens_dz"]],
            "p t-test": [_fmt_p(p) for p in rows["p_ttest"]],
            "p t-test (Holm)": [_fmt_p(p) for p in rows["p_ttest_holm"]],
            "p Wilcoxon (Holm)": [_fmt_p(p) for p in rows["p_wilcoxon_holm"]],
        }
    )
    return table.to_markdown(index=False, disable_numparse=True) + "\n"


def _figure_block(name: str, paths: Sequence[Path] | None, report_dir: Path) -> str:
    if not paths:
        return ""
    png = next((p for p in paths if p.suffix == ".png"), paths[0])
    pdf = next((p for p in paths if p.suffix == ".pdf"), None)
    rel = png.relative_to(report_dir).as_posix()
    caption = FIGURE_CAPTIONS.get(name, name)
    link = f" ([PDF]({pdf.relative_to(report_dir).as_posix()}))" if pdf else ""
    return f"![{caption}]({rel})\n\n*{caption}*{link}\n"


def write_report(
    path: Path,
    *,
    experiment: str,
    tables: Mapping[str, Table],
    figures: Mapping[str, Sequence[Path] | None],
    summary: pd.DataFrame,
    comparisons: pd.DataFrame,
    teacher: Mapping[str, Any] | None,
    runs: pd.DataFrame,
    significance: float = 0.05,
) -> Path:
    """Write ``report.md`` at ``path`` (figures linked relative to its folder) and return ``path``."""
    report_dir = path.parent
    out: list[str] = [f"# Results: {experiment}", ""]
    n_methods = runs["method"].nunique()
    n_seeds = runs["seed"].nunique()
    out += [
        f"{n_methods} methods, {n_seeds} seeds each, {len(runs)} final runs. "
        "Numbers are last-epoch test metrics of the final runs (test data was never used for tuning).",
        "",
        teacher_sentence(teacher, runs, summary),
        "",
        "## Main results",
        "",
    ]
    for reference in ("kl", "ce"):
        out += [significance_paragraph(comparisons, reference, significance=significance), ""]
        other_metrics = [m for m in METRIC_NAMES if m != "test_acc"]
        sentence = _other_metrics_sentence(comparisons, reference, other_metrics) if not comparisons.empty else None
        if sentence:
            out += [sentence, ""]
    note = _wilcoxon_note(comparisons, significance)
    if note:
        out += [note, ""]
    if "main" in tables:
        out += [tables["main"].to_markdown()]
    for name in RESULT_FIGURES[:2]:
        block = _figure_block(name, figures.get(name), report_dir)
        if block:
            out += [block]
    comparison = _comparison_table(comparisons)
    if comparison:
        out += ["### Paired comparisons (test accuracy)", "", comparison]
    out += ["## Tuning", ""]
    if "hyperparameters" in tables:
        out += [tables["hyperparameters"].to_markdown()]
    for name in RESULT_FIGURES[2:]:
        block = _figure_block(name, figures.get(name), report_dir)
        if block:
            out += [block]
    out += ["## Models", ""]
    if "models" in tables:
        out += [tables["models"].to_markdown()]
    out += ["## Theory", ""]
    for name in THEORY_FIGURES:
        block = _figure_block(name, figures.get(name), report_dir)
        if block:
            out += [block]
    skipped = [name for name, paths in figures.items() if not paths]
    if skipped:
        out += [f"Figures skipped for lack of inputs: {', '.join(skipped)}.", ""]
    out += [
        "Full statistics: [summary](stats/summary.csv), [paired comparisons](stats/comparisons.csv); tables "
        "as LaTeX (booktabs), Markdown and CSV in [tables/](tables/).",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    logger.info("report written to %s", path)
    return path

