"""A new report figure is one function and one decorator: registered here, the report draws it, places it in its
section of report.md with its caption, and the Snakemake report shows it with the same caption."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from test_report import make_experiment

from renyi_kd.experiment import Experiment
from renyi_kd.layout import Layout
from renyi_kd.report import build_report
from renyi_kd.report.artefacts import captions_param, figure, unregister_artefact
from renyi_kd.report.context import ReportContext
from renyi_kd.report.figures import FIG_WIDTH, figure_style, save_figure


@pytest.fixture
def histogram():
    @figure("accuracy_histogram", section="results", needs=("runs",),
            caption="Test accuracy of every final run ({experiment}), in percent.")
    def accuracy_histogram(report: ReportContext) -> list[Path]:
        with figure_style():
            fig, ax = plt.subplots(figsize=(FIG_WIDTH, 2.0), constrained_layout=True)
            ax.hist(100 * report.runs["test_acc"], bins=10, color="0.35")
            ax.set_xlabel("test accuracy (%)")
            return save_figure(fig, report.figures, "accuracy_histogram")

    yield accuracy_histogram
    unregister_artefact("figure", "accuracy_histogram")


def test_a_registered_figure_is_drawn_placed_and_captioned(histogram, tmp_path: Path) -> None:
    exp_dir = make_experiment(tmp_path, optional=False)
    report = build_report(exp_dir)
    files = Layout(exp_dir).report
    assert files.figure("accuracy_histogram", "png").stat().st_size > 0
    assert files.figure("accuracy_histogram", "pdf").stat().st_size > 0
    text = report.read_text(encoding="utf-8")
    caption = "Test accuracy of every final run (synthetic_exp), in percent."
    assert f"![{caption}](figures/accuracy_histogram.png)" in text
    assert text.index("accuracy_histogram.png") < text.index("## Tuning")  # in its section
    experiment = Experiment(name="exp_1", runtime=None, tracking=None, report={})  # snakemake --report's caption
    assert captions_param("figure", experiment)(None)["accuracy_histogram"] == caption.replace("synthetic_exp", r"exp\_1")
