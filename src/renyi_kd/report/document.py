"""``report.md``: the tables, the figures (relative links) and generated sentences stating the results.

The results section states, per declared reference, every method's verdict on test accuracy (better, worse,
equivalent, inconclusive; :mod:`renyi_kd.report.inference_text`) with its difference and interval, the power
of the design, the claims on the other metrics, and how the comparisons were made; then the teacher, the
tuning (with the expected best validation objective against the number of trials), the models and the theory.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from renyi_kd.report.formatting import Table, is_missing

__all__ = ["FIGURE_CAPTIONS", "teacher_sentence", "write_report"]

logger = logging.getLogger(__name__)

FIGURE_CAPTIONS = {
    "accuracy_vs_alpha": "Test accuracy against the Rényi order α (mean and {level}% bootstrap interval over "
    "repeats, seeds and test images; α = 0 is the reverse-KL limit, α = 1 is KL). Dashed: KL (Hinton), dotted: "
    "student alone, with their interval bands. Methods without a Rényi order are in the forest plot.",
    "forest_vs_kl": "Test accuracy of every method minus KL (Hinton), in percentage points, with its {level}% "
    "bootstrap interval (repeats, seeds and test images resampled, paired); shaded: the equivalence margin; "
    "right: the verdict of the declared family.",
    "tuned_vs_alpha": "Temperature T and soft-term weight β selected by Optuna, against α (one point per study).",
    "optuna_landscape": "Validation objective of every completed Optuna trial over (α, T); black edge: the trial "
    "each study chose (trials of one α are spread horizontally).",
    "tuning_budget": "Expected best validation objective after k trials (Dodge et al. 2019), per method: the best "
    "of k judged trials drawn without replacement from the study; band: ± one standard deviation.",
    "learning_curves": "Validation accuracy per epoch of the final runs, mean over runs with a 95% t-CI band.",
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
RESULT_FIGURES = ("forest_vs_kl", "accuracy_vs_alpha", "learning_curves")
TUNING_FIGURES = ("tuning_budget", "tuned_vs_alpha", "optuna_landscape")
THEORY_FIGURES = ("temperature_scaling", "divergence_vs_alpha", "gradient_vs_temperature")


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


def _figure_block(name: str, paths: Sequence[Path] | None, report_dir: Path, level: float) -> str:
    if not paths:
        return ""
    png = next((p for p in paths if p.suffix == ".png"), paths[0])
    pdf = next((p for p in paths if p.suffix == ".pdf"), None)
    rel = png.relative_to(report_dir).as_posix()
    caption = FIGURE_CAPTIONS.get(name, name).format(level=f"{100 * level:g}")
    link = f" ([PDF]({pdf.relative_to(report_dir).as_posix()}))" if pdf else ""
    return f"![{caption}]({rel})\n\n*{caption}*{link}\n"


def write_report(
    path: Path,
    *,
    experiment: str,
    tables: Mapping[str, Table],
    figures: Mapping[str, Sequence[Path] | None],
    runs: pd.DataFrame,
    sections: Mapping[str, Sequence[str]],
    level: float,
) -> Path:
    """Write ``report.md`` at ``path`` (figures linked relative to its folder) and return ``path``.

    ``sections``: the generated paragraphs, keyed ``teacher``, ``results`` (verdicts, power, other metrics),
    ``method`` (families, how the comparisons are made), ``tuning`` and ``notes``; ``tables`` may hold
    ``verdicts``, ``main``, ``hyperparameters`` and ``models``.
    """
    report_dir = path.parent

    def figure_blocks(names: Sequence[str]) -> list[str]:
        blocks = [_figure_block(name, figures.get(name), report_dir, level) for name in names]
        return [block for block in blocks if block]

    def table(name: str) -> list[str]:
        return [tables[name].to_markdown()] if name in tables else []

    repeats = runs["repeat"].nunique()
    design = f"{runs['seed'].nunique()} seeds" + (f" × {repeats} tuning repeats" if repeats > 1 else "")
    out: list[str] = [
        f"# Results: {experiment}",
        "",
        f"{runs['method'].nunique()} methods, {design} each, {len(runs)} final runs. Numbers are last-epoch test "
        "metrics of the final runs (test data was never used for tuning).",
        "",
        *[p for paragraph in sections.get("teacher", []) for p in (paragraph, "")],
        "## Main results",
        "",
        *[p for paragraph in sections.get("results", []) for p in (paragraph, "")],
        *table("verdicts"),
        *table("main"),
        *figure_blocks(RESULT_FIGURES),
        "### How the comparisons are made",
        "",
        *[p for paragraph in sections.get("method", []) for p in (paragraph, "")],
        "All comparisons, every family: [tables/comparisons.md](tables/comparisons.md) "
        "([CSV](tables/comparisons.csv), one row per tested hypothesis).",
        "",
        "## Tuning",
        "",
        *[p for paragraph in sections.get("tuning", []) for p in (paragraph, "")],
        *table("hyperparameters"),
        *figure_blocks(TUNING_FIGURES),
        "## Models",
        "",
        *table("models"),
        "## Theory",
        "",
        *figure_blocks(THEORY_FIGURES),
    ]
    skipped = [name for name, paths in figures.items() if not paths]
    notes = list(sections.get("notes", []))
    if skipped:
        notes.append(f"Figures skipped for lack of inputs: {', '.join(skipped)}.")
    if notes:
        out += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    out += ["Tables as LaTeX (booktabs), Markdown and CSV in [tables/](tables/).", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    logger.info("report written to %s", path)
    return path
