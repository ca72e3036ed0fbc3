"""`make thesis` (renyi_kd.thesis): the experiments chapter from the tiny workflow's results. It has no preamble,
one section per registered experiment, the report's verdict sentences, every \\ref and \\cite resolved; an
experiment without results gets the command that produces it and no number; and the PDF compiles with pdflatex
(skipped only where pdflatex is missing; `make test` installs it), an undefined reference failing the build."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from renyi_kd.report.build import report_context, results_text
from renyi_kd.thesis.chapter import build_chapter
from renyi_kd.thesis.latex import UnknownCharacter, markdown_to_latex
from renyi_kd.thesis.pdf import LatexError, compile_chapter
from renyi_kd.thesis.sections import SECTIONS, ChapterSection

needs_latex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("bibtex") is None,
                                 reason="pdflatex/bibtex not on PATH: `make tex` installs them")


def sections(workdir: Path) -> list[ChapterSection]:
    """The registered sections, the main one reading the tiny workflow's config (experiment `tiny`)."""
    main = SECTIONS[0]
    tiny = ChapterSection(main.key, main.title, str(workdir / "config.yaml"), main.command, main.question,
                          main.tables, main.figures)
    return [tiny, *SECTIONS[1:]]


@pytest.fixture(scope="module")
def chapter(finished_workflow: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("thesis")
    return build_chapter(finished_workflow / "results", out, sections=sections(finished_workflow))


def test_the_chapter_has_no_preamble_and_a_section_per_experiment(chapter: Path) -> None:
    tex = chapter.read_text(encoding="ascii")  # plain ASCII: compiles with pdflatex's defaults
    assert r"\documentclass" not in tex and r"\begin{document}" not in tex
    assert tex.count(r"\chapter{Experiments}") == 1
    assert re.findall(r"\\section\{([^}]+)\}", tex) == [s.title for s in SECTIONS]


def test_its_verdicts_are_the_reports_sentences(chapter: Path, finished_workflow: Path) -> None:
    main = chapter.read_text(encoding="ascii").split(r"\section{")[1].split(r"\section{")[0]  # the main section
    context, _ = report_context(finished_workflow / "results" / "tiny", {})
    paragraphs = results_text(context)
    assert paragraphs and all(markdown_to_latex(p) in main for p in paragraphs)
    assert re.search(r"\\textbf\{Test accuracy against .*(inconclusive|equivalent|better|worse)", main)


def test_every_ref_has_a_label_every_float_is_referred_to_and_every_cite_is_in_the_bibliography(chapter: Path) -> None:
    tex = chapter.read_text(encoding="ascii")
    inputs = "".join(p.read_text(encoding="utf-8") for p in chapter.parent.rglob("*.tex") if p != chapter)
    labels = set(re.findall(r"\\label\{([^}]+)\}", tex + inputs))
    refs = set(re.findall(r"\\ref\{([^}]+)\}", tex))
    floats = {label for label in labels if label.startswith(("tab:", "fig:"))}
    assert refs and refs <= labels and floats <= refs
    assert any(label.startswith("fig:") for label in floats) and any(label.startswith("tab:") for label in floats)
    keys = set(re.findall(r"^@\w+\{([^,]+),", (chapter.parent / "references.bib").read_text(), flags=re.M))
    cited = {key.strip() for group in re.findall(r"\\cite\{([^}]+)\}", tex) for key in group.split(",")}
    assert cited and cited <= keys


def test_an_experiment_without_results_names_its_command_and_no_number(chapter: Path) -> None:
    tex = chapter.read_text(encoding="ascii")
    body = tex.split(r"\section{The order against the temperature}")[1].split(r"\section")[0]
    assert "No results of this experiment exist yet" in body and "make run CONFIG=configs/order-temperature.yaml" in body
    text = body.replace("configs/order-temperature.yaml", "")
    assert not re.search(r"\d", re.sub(r"\\(label|texttt)\{[^}]*\}", "", text))


@needs_latex
def test_the_chapter_compiles_to_a_pdf_of_several_pages(chapter: Path) -> None:
    pdf, pages = compile_chapter(chapter.parent)
    assert pdf.name == "chapter.pdf" and pdf.stat().st_size > 10_000 and pages >= 3
    log = (chapter.parent / "standalone.log").read_text(errors="replace")
    overfull = [float(w) for w in re.findall(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log)]
    assert max(overfull, default=0.0) < 10.0  # nothing runs into the margin


@needs_latex
def test_an_undefined_reference_fails_the_build(chapter: Path, tmp_path: Path) -> None:
    shutil.copytree(chapter.parent, tmp_path, dirs_exist_ok=True)
    broken = tmp_path / "chapter.tex"
    broken.write_text(broken.read_text() + "\nSee Table~\\ref{tab:nowhere}.\n")
    with pytest.raises(LatexError, match="tab:nowhere"):
        compile_chapter(tmp_path)


def test_a_symbol_without_a_latex_spelling_is_refused_not_dropped() -> None:
    assert markdown_to_latex("**KL** ≈α±1 % `a_b`") == r"\textbf{KL} $\approx\alpha\pm$1 \% \texttt{a\_b}"
    with pytest.raises(UnknownCharacter, match="U\\+263A"):
        markdown_to_latex("☺")
