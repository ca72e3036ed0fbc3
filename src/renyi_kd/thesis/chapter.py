"""``results/thesis/chapter.tex``: the experiments chapter, written from every experiment's results.

One section per record of :data:`renyi_kd.thesis.sections.SECTIONS`. With results (``results/{experiment}/report/
runs.csv``): the question, the setup (data and splits, models, budget, seeds, clusters, hardware and training
time, all read from the results), the teachers, the report's results paragraphs (the same code as ``report.md``:
:func:`renyi_kd.report.build.results_text`) and the report's tables and figures, copied beside the chapter and
referred to by ``\\ref``. Without results: one paragraph naming the command that produces them, and no number.

The chapter has no preamble, so a thesis ``\\input``s it; it needs ``booktabs``, ``graphicx`` and ``amsmath``, and
its floats' paths start with ``\\chapterdir`` (``.`` unless the thesis defines it first).
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from renyi_kd.data.split_files import load_splits
from renyi_kd.files import read_json, write_text
from renyi_kd.layout import Layout
from renyi_kd.report.artefacts import ARTEFACTS
from renyi_kd.report.build import report_context, results_text
from renyi_kd.report.context import ReportContext
from renyi_kd.report.document import teacher_sentence
from renyi_kd.report.tables import label_safe
from renyi_kd.thesis.latex import markdown_to_latex
from renyi_kd.thesis.sections import SECTIONS, ChapterSection

__all__ = ["CHAPTER", "build_chapter"]

logger = logging.getLogger(__name__)

CHAPTER = "chapter.tex"
REFERENCES = Path(__file__).resolve().parents[3] / "docs" / "references.bib"

_INTRO = (r"This chapter reports every experiment of the benchmark from its results files. The notation is that of "
          r"the previous chapter: $\alpha$ is the order of the R\'enyi divergence $D_\alpha$, $T$ the temperature, "
          r"$\beta$ the weight of the soft term and $s$ its scaling; KL distillation is the order $\alpha = 1$ and "
          r"the student trained alone has no teacher. A verdict is \emph{better} or \emph{worse} where the "
          r"difference is significant after Holm's adjustment, \emph{equivalent} where it lies within the margin, "
          r"and \emph{inconclusive} otherwise.")  # fmt: skip


def _experiment(section: ChapterSection, root: Path) -> tuple[str, dict]:
    """The experiment's name and its ``report:`` block, from its config file."""
    config = yaml.safe_load((root / section.config).read_text(encoding="utf-8")) or {}
    return str(config.get("experiment", section.key)), config.get("report") or {}


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _splits_text(exp_dir: Path) -> str:
    path = Layout(exp_dir).splits
    if not path.is_file():
        return ""
    sizes = {name: len(indices) for name, indices in load_splits(path).items()}
    return ", ".join(f"{name} {sizes[name]:,}" for name in ("train", "val", "test", "transfer") if name in sizes)


def _unique(runs: pd.DataFrame, column: str) -> list:
    return sorted(runs[column].dropna().unique().tolist()) if column in runs else []


def _tuned(context: ReportContext) -> bool:
    return context.trials is not None and not context.trials.empty


def _tuning_text(context: ReportContext) -> str:
    runs, trials = context.runs, context.trials
    if _tuned(context):
        per_study = sorted(trials.groupby(["method", "teacher", "repeat"]).size().unique().tolist())
        budget = " or ".join(str(n) for n in per_study)
        return f"each method's hyperparameters are tuned by a study of {budget} trials per cluster"
    distilled = runs[runs["divergence"].notna()]  # β and T are the distillation methods' (the student alone has none)
    fixed = [f"{name} {', '.join(f'{v:g}' for v in _unique(frame, column))}"
             for name, column, frame in (("learning rate", "lr", runs), ("weight decay", "weight_decay", runs),
                                         ("β", "beta", distilled), ("T", "T", distilled))
             if _unique(frame, column)]  # fmt: skip
    return "nothing is tuned: the runs use " + "; ".join(fixed)


def _time_text(exp_dir: Path, context: ReportContext) -> str:
    runs, layout = context.runs, Layout(exp_dir)
    teachers = [read_json(layout.teacher(int(t)).metrics) for t in _unique(runs, "teacher")
                if layout.teacher(int(t)).metrics.is_file()]  # fmt: skip
    parts = {"teachers": sum(float(t.get("wall_time_s", 0.0)) for t in teachers),
             "tuning": float(context.trials["seconds"].sum()) if context.trials is not None and "seconds" in context.trials else 0.0,
             "final runs": float(pd.to_numeric(runs["wall_time_s"], errors="coerce").sum())}  # fmt: skip
    hardware = sorted({*_unique(runs, "hardware"), *(t["hardware"] for t in teachers if t.get("hardware"))})
    where = f"on {'; '.join(hardware)}" if hardware else "(the hardware is not recorded in these results)"
    shown = ", ".join(f"{name} {_minutes(seconds)}" for name, seconds in parts.items() if seconds)
    return f"Training took {_minutes(sum(parts.values()))} summed over its jobs ({shown}) {where}."


def setup_text(exp_dir: Path, context: ReportContext) -> str:
    """The setup of an experiment, every number read from its results."""
    runs = context.runs
    dataset = ", ".join(str(d) for d in _unique(runs, "dataset")) or "the data"
    splits = _splits_text(exp_dir)
    omitted = [str(c) for c in _unique(runs, "omit_classes") if str(c).strip()]
    teacher = context.teacher or {}
    clusters = runs[["teacher", "repeat"]].drop_duplicates()
    teachers, draws = clusters["teacher"].nunique(), clusters["repeat"].nunique()
    design = _count(teachers, "teacher") + (f" × {_count(draws, 'tuning draw')}" if _tuned(context) else "")
    seeds = _unique(runs, "seed")
    student = ", ".join(str(s) for s in _unique(runs, "student"))
    epochs = ", ".join(str(int(e)) for e in _unique(runs, "epochs"))
    text = (f"Data: {dataset}" + (f" (images per split: {splits})" if splits else "")
            + (f"; the transfer set holds no image of class {', '.join(omitted)}" if omitted else "") + ". "
            f"The teachers are {teacher.get('model', 'not recorded')}, the student is {student}, trained for {epochs} "
            f"epochs. {len(context.methods)} methods; {_tuning_text(context)}. Each method runs on seeds "
            f"{', '.join(str(int(s)) for s in seeds)} in each of {_count(len(clusters), 'cluster')} ({design}), "
            f"{len(runs)} final runs. " + _time_text(exp_dir, context))  # fmt: skip
    return markdown_to_latex(text)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _label(kind: str, experiment: str, name: str) -> str:
    return f"{kind}:{label_safe(experiment)}-{name}"


def _floats(section: ChapterSection, experiment: str, context: ReportContext, exp_dir: Path, out: Path
            ) -> tuple[list[str], list[str]]:
    """The section's tables and figures (copied into ``out/{experiment}/``) as LaTeX blocks, and their labels."""
    files, target = Layout(exp_dir).report, out / label_safe(experiment)
    blocks, labels = [], []
    fields = context.caption_fields()
    for name in section.tables:
        source = files.table(name, "tex")
        label = re.search(r"\\label\{([^}]+)\}", source.read_text(encoding="utf-8")) if source.is_file() else None
        if label is None:
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / source.name)
        blocks.append(rf"\input{{\chapterdir/{target.name}/{source.stem}}}")
        labels.append(label.group(1))
    for name in section.figures:
        source = files.figure(name, "pdf")
        if not source.is_file() or ("figure", name) not in ARTEFACTS:
            continue
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / source.name)
        caption = markdown_to_latex(ARTEFACTS["figure", name].caption_for(**fields))
        label = _label("fig", experiment, name)
        blocks.append("\n".join([r"\begin{figure}[htbp]", r"  \centering",
                                 rf"  \includegraphics[width=0.8\linewidth]{{\chapterdir/{target.name}/{source.stem}}}",
                                 rf"  \caption{{{caption}}}", rf"  \label{{{label}}}", r"\end{figure}"]))  # fmt: skip
        labels.append(label)
    return blocks, labels


def _refer(labels: Sequence[str]) -> str:
    """A sentence that refers to every float of the section."""
    named = [("Table" if label.startswith("tab:") else "Figure") + rf"~\ref{{{label}}}" for label in labels]
    if not named:
        return ""
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"{listed} show{'s' if len(named) == 1 else ''} the results."


def _no_results(experiment: str, command: str) -> str:
    """The paragraph of an experiment without results: its folder and the command that fills it; no number."""
    folder = markdown_to_latex(f"results/{experiment}")
    return "\n".join([rf"No results of this experiment exist yet (in \texttt{{{folder}}}). The command",
                      r"\begin{quote}", rf"\texttt{{{markdown_to_latex(command)}}}", r"\end{quote}",
                      r"produces them, and rerunning \texttt{make thesis} then adds them here."])


def section_tex(section: ChapterSection, results: Path, out: Path, root: Path) -> str:
    experiment, report = _experiment(section, root)
    exp_dir = results / experiment
    head = [rf"\section{{{section.title}}}" + "\n" + rf"\label{{sec:{label_safe(section.key)}}}", section.question]
    if not Layout(exp_dir).report.runs.is_file():
        return "\n\n".join([*head, _no_results(experiment, section.command)]) + "\n"
    context, _ = report_context(exp_dir, report)
    blocks, labels = _floats(section, experiment, context, exp_dir, out)
    paragraphs = [setup_text(exp_dir, context), markdown_to_latex(teacher_sentence(context)),
                  *(markdown_to_latex(p) for p in results_text(context)), _refer(labels)]  # fmt: skip
    return "\n\n".join([*head, *(p for p in paragraphs if p), *blocks]) + "\n"


def build_chapter(results: Path, out: Path, *, sections: Sequence[ChapterSection] = SECTIONS,
                  root: Path = Path(".")) -> Path:
    """Write ``out/chapter.tex`` (and the floats it shows, and ``references.bib``) from the experiments under
    ``results``; config files are read relative to ``root``."""
    out.mkdir(parents=True, exist_ok=True)
    body = [f"% Generated by `renyi-kd thesis` from {results}; no preamble: \\input it. Needs booktabs, graphicx, "
            "amsmath.", r"\providecommand{\chapterdir}{.}", r"\chapter{Experiments}", r"\label{chap:experiments}", "",
            _INTRO, ""]  # fmt: skip
    for section in sections:
        body.append(section_tex(section, results, out, root))
        logger.info("thesis: section %s written", section.key)
    shutil.copyfile(REFERENCES, out / "references.bib")
    path = out / CHAPTER
    write_text(path, "\n".join(body))
    return path
