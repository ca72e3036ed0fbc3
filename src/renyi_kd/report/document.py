"""``report.md``: the tables, the figures (relative links) and generated sentences stating the results.

The results section states, per declared reference, every method's verdict on test accuracy (better, worse,
equivalent, inconclusive; :mod:`renyi_kd.report.inference_text`) with its difference and interval, the power
of the design, the claims on the other metrics, and how the comparisons were made; then the teacher, the
tuning (with the expected best validation objective against the number of trials), the models and the theory.
Each section of :data:`renyi_kd.report.artefacts.SECTIONS` shows its registered tables, then its figures with
their records' captions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from renyi_kd.layout import ReportFiles
from renyi_kd.metrics import HEADLINE
from renyi_kd.report.artefacts import SECTIONS, Artefact, in_section
from renyi_kd.report.context import ReportContext
from renyi_kd.report.formatting import Table, is_missing

__all__ = ["teacher_sentence", "write_report"]

logger = logging.getLogger(__name__)

Built = Mapping[tuple[str, str], Any]  # (kind, name) -> what the artefact's build returned


def teacher_sentence(context: ReportContext) -> str:
    """One sentence on the teacher (or the mean of the teachers, with several), and the student trained alone for
    comparison."""
    runs, summary = context.runs, context.summary
    acc = summary[summary["metric"] == HEADLINE].set_index("method")
    alone = context.catalog.alone(context.methods)
    teacher = context.teacher or {}
    name = teacher.get("model") or next(iter(runs["teacher_model"].dropna()), None)
    count = teacher.get("count", 1)
    parts = []
    if name is None and not teacher:
        parts.append("No teacher metrics were found (teacher/seed{t}/metrics.json).")
    else:
        details = []
        if not is_missing(teacher.get("params")):
            details.append(f"{int(teacher['params']):,} parameters")
        if count > 1:
            details.append(f"seeds {', '.join(str(seed) for seed in teacher['seeds'])}")
        subject = "The teacher" if count == 1 else f"The {count} teachers"
        text = f"{subject} ({name}" + (", " + ", ".join(details) if details else "") + ")"
        if not is_missing(teacher.get("test_acc")):
            if count == 1:
                text += f" reaches {100 * teacher['test_acc']:.2f}% test accuracy"
            else:
                spread = "" if is_missing(teacher.get("test_acc_std")) else f" ± {100 * teacher['test_acc_std']:.2f}"
                text += f" reach {100 * teacher['test_acc']:.2f}{spread}% test accuracy on average"
            if not is_missing(teacher.get("val_acc")):
                text += f" ({100 * teacher['val_acc']:.2f}% on validation)"
            if not is_missing(teacher.get("epochs")):
                text += f" after {int(teacher['epochs'])} epochs"
        parts.append(text + ".")
    if alone in acc.index:
        student = next(iter(runs["student"].dropna()), "the student")
        params = next(iter(runs["student_params"].dropna()), None)
        size = f", {int(params):,} parameters" if params is not None else ""
        std = acc.loc[alone, "std"]
        spread = "" if is_missing(std) else f" ± {100 * std:.2f}"
        mean = 100 * acc.loc[alone, "mean"]
        parts.append(f"The student ({student}{size}) trained alone reaches {mean:.2f}{spread}%.")
    return " ".join(parts)


def _figure_block(artefact: Artefact, paths: Sequence[Path] | None, report_dir: Path, fields: Mapping[str, str]) -> str:
    if not paths:
        return ""
    png = next((p for p in paths if p.suffix == ".png"), paths[0])
    pdf = next((p for p in paths if p.suffix == ".pdf"), None)
    rel = png.relative_to(report_dir).as_posix()
    caption = artefact.caption_for(**fields)
    link = f" ([PDF]({pdf.relative_to(report_dir).as_posix()}))" if pdf else ""
    return f"![{caption}]({rel})\n\n*{caption}*{link}\n"


def write_report(
    files: ReportFiles, context: ReportContext, built: Built, sections: Mapping[str, Sequence[str]]
) -> Path:
    """Write ``report.md`` (figures linked relative to its folder) and return its path.

    ``built``: every applicable artefact's build (:data:`renyi_kd.report.artefacts.ARTEFACTS`); each section of
    :data:`~renyi_kd.report.artefacts.SECTIONS` shows its tables, then its figures, in their records' order.
    ``sections``: the generated paragraphs, keyed ``teacher``, ``results`` (verdicts, power, other metrics),
    ``method`` (questions, how the comparisons are made), ``tuning`` and ``notes``.
    """
    path, report_dir, runs = files.document, files.dir, context.runs
    fields = context.caption_fields()

    def figure_blocks(section: str) -> list[str]:
        figures = in_section(section, "figure")
        blocks = [_figure_block(a, built.get(("figure", a.name)), report_dir, fields) for a in figures]
        return [block for block in blocks if block]

    def tables(section: str) -> list[str]:
        shown = [built.get(("table", a.name)) for a in in_section(section, "table")]
        return [table.to_markdown() for table in shown if isinstance(table, Table)]

    def paragraphs(key: str) -> list[str]:
        return [p for paragraph in sections.get(key, []) for p in (paragraph, "")]

    comparisons = files.table("comparisons", "md").relative_to(report_dir).as_posix()
    comparisons_csv = files.table("comparisons", "csv").relative_to(report_dir).as_posix()
    clusters = len(runs[["teacher", "repeat"]].drop_duplicates())
    design = f"{runs['seed'].nunique()} seeds" + (
        f" × {clusters} clusters (teacher, tuning repeat)" if clusters > 1 else "")
    out: list[str] = [
        f"# Results: {context.experiment}",
        "",
        f"{runs['method'].nunique()} methods, {design} each, {len(runs)} final runs. Numbers are last-epoch test "
        "metrics of the final runs (test data was never used for tuning).",
        "",
        *paragraphs("teacher"),
        "## Main results",
        "",
        *paragraphs("results"),
        *tables("results"),
        *figure_blocks("results"),
        "### How the comparisons are made",
        "",
        *paragraphs("method"),
        f"All comparisons, every question: [{comparisons}]({comparisons}) "
        f"([CSV]({comparisons_csv}), one row per tested hypothesis).",
        "",
        "## Tuning",
        "",
        *paragraphs("tuning"),
        *tables("tuning"),
        *figure_blocks("tuning"),
        "## Models",
        "",
        *tables("models"),
        *figure_blocks("models"),
        "## Theory",
        "",
        *tables("theory"),
        *figure_blocks("theory"),
    ]
    figures = [a for section in SECTIONS for a in in_section(section, "figure")]
    skipped = [a.name for a in figures if ("figure", a.name) in built and not built[("figure", a.name)]]
    notes = list(sections.get("notes", []))
    if skipped:
        notes.append(f"Figures skipped for lack of inputs: {', '.join(skipped)}.")
    if notes:
        out += ["## Notes", "", *[f"- {note}" for note in notes], ""]
    tables_dir = files.tables.relative_to(report_dir).as_posix()
    out += [f"Tables as LaTeX (booktabs), Markdown and CSV in [{tables_dir}/]({tables_dir}/).", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    logger.info("report written to %s", path)
    return path
